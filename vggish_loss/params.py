"""Constants of the published VGGish model, in one place.

Values follow the reference implementation (tensorflow/models,
research/audioset/vggish: vggish_params.py, mel_features.py, vggish_slim.py,
vggish_postprocess.py and its README). Nothing else in `vggish_loss` writes these
numbers as literals.
"""

# ----------------------------------------------------------------------------
# Audio front end (vggish_params.py, mel_features.py).
# ----------------------------------------------------------------------------
# VGGish was trained on 16 kHz mono audio; everything else is resampled first.
SAMPLE_RATE = 16000
# 25 ms analysis window: 400 samples at 16 kHz.
STFT_WINDOW_LENGTH_SECONDS = 0.025
STFT_WINDOW_LENGTH_SAMPLES = int(round(SAMPLE_RATE * STFT_WINDOW_LENGTH_SECONDS))
# 10 ms hop: 160 samples, i.e. 100 feature frames per second.
STFT_HOP_LENGTH_SECONDS = 0.010
STFT_HOP_LENGTH_SAMPLES = int(round(SAMPLE_RATE * STFT_HOP_LENGTH_SECONDS))
FRAMES_PER_SECOND = 1.0 / STFT_HOP_LENGTH_SECONDS
# The FFT length is the window length rounded up to a power of two (400 -> 512);
# the window is zero-padded to it.
FFT_LENGTH = 2 ** (STFT_WINDOW_LENGTH_SAMPLES - 1).bit_length()
# Non-redundant rfft bins: FFT_LENGTH / 2 + 1 = 257.
NUM_SPECTROGRAM_BINS = FFT_LENGTH // 2 + 1
# "Periodic" Hann window (a full cosine period of N samples, as Matlab's
# 'periodic' option), not numpy's symmetric np.hanning.
STFT_WINDOW = "periodic_hann"
# Frames are cut without padding; a partial frame at the end is dropped.
STFT_PAD_END = False
# The spectrogram is the STFT *magnitude* (power 1), not the power spectrum.
STFT_MAGNITUDE_POWER = 1.0

# 64 mel bands ...
NUM_MEL_BINS = 64
# ... covering 125-7500 Hz (lower edge of the first, upper edge of the last band).
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
# HTK mel scale: mel = 1127 * ln(1 + hz / 700).
MEL_BREAK_FREQUENCY_HERTZ = 700.0
MEL_HIGH_FREQUENCY_Q = 1127.0
# Stabilised log: log(mel + 0.01); the offset keeps silence finite.
LOG_OFFSET = 0.01

# Examples: non-overlapping 0.96 s patches of 96 frames x 64 bands.
EXAMPLE_WINDOW_SECONDS = 0.96
EXAMPLE_HOP_SECONDS = 0.96
NUM_FRAMES = int(round(EXAMPLE_WINDOW_SECONDS * FRAMES_PER_SECOND))
EXAMPLE_HOP_FRAMES = int(round(EXAMPLE_HOP_SECONDS * FRAMES_PER_SECOND))
NUM_BANDS = NUM_MEL_BINS

# ----------------------------------------------------------------------------
# Architecture (vggish_slim.py): VGG configuration A with the fifth conv group
# dropped, 3x3/stride-1/SAME convolutions with ReLU, 2x2/stride-2/SAME max-pools.
# ----------------------------------------------------------------------------
# Size of the embedding layer fc2 (pre-activation: no ReLU on it).
EMBEDDING_SIZE = 128
# Output channels of conv1, conv2, conv3_1, conv3_2, conv4_1, conv4_2.
CONV_CHANNELS = (64, 128, 256, 256, 512, 512)
# Units of fc1_1 and fc1_2.
FC_UNITS = (4096, 4096)
CONV_KERNEL_SIZE = 3
POOL_SIZE = 2
POOL_STRIDE = 2
# Weight initialisation of the reference when training (truncated normal).
INIT_STDDEV = 0.01
# Number of 2x2 pools: 96x64 -> 6x4 before flattening.
NUM_POOLS = 4

# ----------------------------------------------------------------------------
# Post-processing (vggish_postprocess.py): PCA + whitening, 8-bit quantisation.
# ----------------------------------------------------------------------------
# Keys inside vggish_pca_params.npz.
PCA_EIGEN_VECTORS_NAME = "pca_eigen_vectors"  # [128, 128], output x input dims
PCA_MEANS_NAME = "pca_means"  # [128] (reshaped to a column vector)
# PCA outputs are clipped to this range, then mapped linearly to 0..255 uint8.
QUANTIZE_MIN_VAL = -2.0
QUANTIZE_MAX_VAL = +2.0
QUANTIZE_LEVELS = 255.0

# ----------------------------------------------------------------------------
# Checkpoint / graph names (vggish_slim.py, vggish_params.py).
# ----------------------------------------------------------------------------
# All variables live under this variable scope.
CHECKPOINT_SCOPE = "vggish"
# Per-layer variable names: <scope>/<layer scope>/weights and .../biases.
CHECKPOINT_WEIGHTS_NAME = "weights"
CHECKPOINT_BIASES_NAME = "biases"
# Reference layer scopes in network order, for every layer of the model.
# slim.repeat(..., scope='conv3') names its layers conv3/conv3_1, conv3/conv3_2
# (likewise conv4 and fc1).
LAYER_NAMES = (
    "conv1", "pool1",
    "conv2", "pool2",
    "conv3/conv3_1", "conv3/conv3_2", "pool3",
    "conv4/conv4_1", "conv4/conv4_2", "pool4",
    "flatten",
    "fc1/fc1_1", "fc1/fc1_2",
    "fc2",
)
# The layers that hold variables in the checkpoint.
WEIGHT_LAYER_NAMES = (
    "conv1", "conv2",
    "conv3/conv3_1", "conv3/conv3_2",
    "conv4/conv4_1", "conv4/conv4_2",
    "fc1/fc1_1", "fc1/fc1_2",
    "fc2",
)
CONV_LAYER_NAMES = WEIGHT_LAYER_NAMES[:6]
FC_LAYER_NAMES = WEIGHT_LAYER_NAMES[6:8]
EMBEDDING_LAYER_NAME = "fc2"
# TF1 graph tensor names of the reference model.
INPUT_OP_NAME = "vggish/input_features"
OUTPUT_OP_NAME = "vggish/embedding"

# ----------------------------------------------------------------------------
# Where the official files live (used in error messages).
# ----------------------------------------------------------------------------
CHECKPOINT_FILENAME = "vggish_model.ckpt"
PCA_PARAMS_FILENAME = "vggish_pca_params.npz"
CHECKPOINT_URL = "https://storage.googleapis.com/audioset/vggish_model.ckpt"
PCA_PARAMS_URL = "https://storage.googleapis.com/audioset/vggish_pca_params.npz"
# The TF-Hub model takes a 16 kHz waveform and returns [n, 128] embeddings.
TFHUB_HANDLE = "https://tfhub.dev/google/vggish/1"
REFERENCE_CODE_URL = (
    "https://github.com/tensorflow/models/tree/master/research/audioset/vggish")

# The compact model shipped with this package (trained by a separate task).
COMPACT_WEIGHTS_FILENAME = "compact.weights.h5"
COMPACT_CONFIG_FILENAME = "compact.json"
