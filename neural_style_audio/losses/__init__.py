"""Loss terms (`terms`) and the transfer objective built from them (`objective`)."""
from neural_style_audio.losses.terms import (  # noqa: F401
    content_loss, energy_envelope, envelope_loss, frequency_envelope, gram_matrix, style_loss)
from neural_style_audio.losses.objective import (  # noqa: F401
    TransferObjective, content_targets, perceptual_content_loss, style_targets)
