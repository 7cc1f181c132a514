"""Loss terms (`terms`) and the transfer objective built from them (`objective`)."""
from neural_style_audio.losses.terms import (  # noqa: F401
    content_loss, content_scale, energy_envelope, envelope_loss, frequency_envelope,
    gram_energy, gram_matrix, style_loss)
from neural_style_audio.losses.objective import (  # noqa: F401
    LOSS_SCALE, TransferObjective, content_targets, perceptual_content_loss, style_targets)
