"""Installs the neural-style-audio distribution (packages neural_style_audio, vggish_loss)."""
from setuptools import find_packages, setup

# The `pairs` extra: rendering General-MIDI evaluation sets (make_pairs, the trainers).
PAIRS_REQUIRES = ["pretty_midi>=0.2.10,<0.3"]

setup(
    name="neural-style-audio",
    version="0.1.0",
    description=(
        "Audio style transfer with TensorFlow/Keras: the content of one clip, "
        "the style (timbre, texture) of another."
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["neural_style_audio*", "vggish_loss*"]),
    package_data={
        "neural_style_audio": ["data/examples/*.flac", "data/examples/*.txt",
                               "networks/weights/*", "wavenet/weights/*"],
        "vggish_loss": ["weights/*"],
    },
    include_package_data=True,
    install_requires=[
        # TF 2.16+ ships Keras 3; tf-keras is needed by tensorflow-hub.
        "tensorflow>=2.16,<2.22",
        "tf-keras>=2.16,<2.22",
        # Imported directly (Keras 3 API); TF 2.16+ depends on Keras 3 too.
        "keras>=3.0,<4",
        "tensorflow-hub>=0.16,<0.17",
        "librosa>=0.10.1,<0.12",
        "soundfile>=0.12,<0.15",
        # minimize(callback=f(intermediate_result)) (optimize.py) needs SciPy 1.11.
        "scipy>=1.11,<2",
        "numpy>=1.24,<3",
        "absl-py>=1.4,<3",
        "matplotlib>=3.7,<4",
        "tqdm>=4.64,<5",
    ],
    entry_points={"console_scripts": [
        f"nsa-{name.replace('_', '-')}=neural_style_audio.cli.{name}:console_main"
        for name in ("transfer", "make_pairs", "run_pairs", "evaluate", "sweep", "report",
                     "compare_losses", "train_vggish_compact", "make_examples",
                     "train_instrument_cnn", "train_genre_classifier",
                     "train_cyclegan", "convert", "train_wavenet")]},
    extras_require={
        # pytest-xdist: the suite runs in 2 processes (pytest.ini); the pairs extra: the
        # tests of the generated evaluation sets run rather than skip.
        "test": ["pytest>=7.4,<10", "pytest-xdist>=3.5,<4", *PAIRS_REQUIRES],
        "pairs": PAIRS_REQUIRES,
    },
)
