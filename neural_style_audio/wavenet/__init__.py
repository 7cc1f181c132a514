"""A Magenta-NSynth-style WaveNet autoencoder (Engel et al. 2017) in Keras.

    from neural_style_audio.wavenet import config, model, generation, checkpoint
    net = model.build_model(config.SMALL)               # or load_model("shipped")
    encoding = net.encode(waveform[None])               # [1, frames, 16], 31.25 frames/s
    audio = generation.FastGenerator(net).generate(encoding)

Modules: config (sizes: the published h512_bo16, small, tiny), mulaw (differentiable
and quantised mu-law), model (Keras encoder/decoder), checkpoint (magenta's variable
names), generation (fast cached decoding and the naive reference), weights (the shipped
small model).
"""
