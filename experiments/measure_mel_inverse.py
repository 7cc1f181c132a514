"""Round trip of a real clip through each representation (log-spectral distance, 40-dB
floor) and Griffin-Lim from the true mel: librosa's mel_to_stft vs the exact NNLS inverse.

    python experiments/measure_mel_inverse.py
"""
import numpy as np, scipy.optimize
from neural_style_audio import examples, phase, representations, spectral
from neural_style_audio.audio import load_audio
from neural_style_audio.config import FeatureConfig
from neural_style_audio.representations import mel as mel_lib
def lsd(mag, ref, floor_db=40.0):
    floor = ref.max() * 10 ** (-floor_db / 20)
    a = 20*np.log10(np.maximum(mag, floor)); b = 20*np.log10(np.maximum(ref, floor))
    return float(np.sqrt(np.mean((a-b)**2)))
def nnls_inv(mel, basis):
    out = np.zeros((mel.shape[0], basis.shape[1]), np.float32)
    for t, fr in enumerate(np.asarray(mel, np.float64)):
        if np.any(fr > 0): out[t] = scipy.optimize.nnls(basis.astype(np.float64), fr)[0]
    return out
y3 = load_audio(examples.content_path(), 22050)[:3*22050]
for kind in ("stft","mel","mfcc"):
    cfg=FeatureConfig(feature=kind); rep=representations.get(cfg)
    mag=spectral.magnitude(y3); x=rep.analyse(mag); back=rep.synthesise(x)
    line=f"{kind}: lsd new {lsd(back,mag):.2f}"
    if kind!="stft":
        old=nnls_inv(rep.to_mel(x), rep.basis)
        zero=lambda b: float(np.mean(b[mag>mag.max()*1e-2]<=0))
        line+=f" old-nnls {lsd(old,mag):.2f}; zero bins new {zero(back):.3f} old {zero(old):.3f}"
    print(line)
y2=y3[:2*22050]; mag=spectral.magnitude(y2)
cfg=FeatureConfig(feature="mel"); rep=representations.get(cfg); x=rep.analyse(mag)
for name, m in (("true magnitude", mag), ("mel librosa", rep.synthesise(x)), ("mel nnls", nnls_inv(rep.to_mel(x), rep.basis))):
    for it in (60, 200):
        yo=phase.griffin_lim(m, n_iter=it, progress=False, length=len(y2))
        r=spectral.magnitude(yo); print(name, it, "SC", round(float(np.linalg.norm(r-mag)/np.linalg.norm(mag)),3))
