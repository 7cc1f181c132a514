"""Compares content losses / feature networks on the same pairs, with the project's metrics.

    python scripts/compare_losses.py --manifest pairs/manifest.json --max_items 10 \
        --output_dir outputs/compare

Methods (each on the same items, same seed):
  l2          the shallow random network, L2 content loss on its activations (Ulyanov);
  perceptual  the same network's Gram style loss + VGGish perceptual content loss;
  vgg19       VGG-19 on the spectrogram as an image (DeepMix): Gram of conv1_1..conv5_1,
              content conv4_2.
Writes runs/<method>/ (audio, records), comparison.csv/.md/.png with every metric for
each method and the copy-content / copy-style baselines.
"""
from neural_style_audio.cli.compare_losses import console_main

if __name__ == "__main__":
    console_main()
