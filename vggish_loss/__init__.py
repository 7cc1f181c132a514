"""VGGish perceptual loss: front end, model, weight loading and loss.

Public API:
  front end  waveform_to_log_mel, magnitude_to_log_mel,
             linear_magnitude_to_vggish_log_mel, log_mel_to_examples,
             resample_to_vggish_rate, vggish_mel_matrix
  model      VGGishConfig, build_vggish, activation_model, canonical_layer_name
  loading    VGGishLoadError, load_official_checkpoint, load_hub, HubVGGish,
             load_pca, PCAPostprocessor, load_compact, save_compact
  loss       PerceptualLoss, resolve_perceptual_model
`params` holds the published VGGish constants; `mel_features_np` is a numpy
reference front end used as the test oracle.
"""
from vggish_loss import params
from vggish_loss.frontend import (
    linear_magnitude_to_vggish_log_mel,
    log_mel_to_examples,
    magnitude_to_log_mel,
    resample_to_vggish_rate,
    vggish_mel_matrix,
    waveform_to_log_mel,
)
from vggish_loss.loading import (
    HubVGGish,
    PCAPostprocessor,
    VGGishLoadError,
    load_compact,
    load_hub,
    load_official_checkpoint,
    load_pca,
    save_compact,
)
from vggish_loss.model import (
    VGGishConfig,
    activation_model,
    build_vggish,
    canonical_layer_name,
)
from vggish_loss.perceptual import PerceptualLoss, resolve_perceptual_model

__all__ = [
    "params",
    "waveform_to_log_mel", "magnitude_to_log_mel", "linear_magnitude_to_vggish_log_mel",
    "log_mel_to_examples", "resample_to_vggish_rate", "vggish_mel_matrix",
    "VGGishConfig", "build_vggish", "activation_model", "canonical_layer_name",
    "VGGishLoadError", "load_official_checkpoint", "load_hub", "HubVGGish", "load_pca",
    "PCAPostprocessor", "load_compact", "save_compact",
    "PerceptualLoss", "resolve_perceptual_model",
]
