import pytest

from neural_style_audio.config import PRESETS, ConfigError, resolve_config


def test_ulyanov_preset_values():
    cfg = resolve_config("ulyanov")
    assert (cfg.features.sr, cfg.features.n_fft, cfg.network.n_filters,
            cfg.network.filter_width, cfg.network.activation) == (22050, 2048, 4096, 11, "relu")
    assert cfg.loss.content_weight == 5.5e-3  # Normalised terms (losses/objective.py).
    assert (cfg.optimizer.optimizer, cfg.optimizer.iterations) == ("lbfgs", 300)
    assert cfg.phase.griffin_lim_iters == 500


@pytest.mark.parametrize("name, checks", [
    ("deepmix", dict(content_weight=3.3e-3, n_filters=4096, filter_width=11, optimizer="lbfgs")),
    ("iitb", dict(feature="mel", activation="tanh")),
    ("cnn_baseline", dict(filter_width=3, n_filters=4096, optimizer="adam", learning_rate=0.005,
                          style_weight=1.0, iterations=2500, init="content", phase="content")),
])
def test_presets_resolve(name, checks):
    cfg = resolve_config(name)
    flat = {k: v for group in (cfg.features, cfg.network, cfg.loss, cfg.optimizer, cfg.phase)
            for k, v in vars(group).items()}
    for key, value in checks.items():
        assert flat[key] == value, key
    assert cfg.preset == name


def test_explicit_overrides_beat_preset_and_none_is_ignored():
    cfg = resolve_config("cnn_baseline", filter_width=7, iterations=None)
    assert cfg.network.filter_width == 7 and cfg.optimizer.iterations == 2500


@pytest.mark.parametrize("overrides, message", [
    (dict(feature="cqt"), "--feature"),
    (dict(n_layers=3), "--n_layers"),
    (dict(init="zeros", activation="relu"), "zero gradient"),
    (dict(content_weight=0, style_weight=0), "nothing to optimise"),
    (dict(n_fft=1000), "power of 2"),
    (dict(n_mfcc=200), "--n_mfcc"),
    (dict(bogus=1), "unknown setting"),
    (dict(backend="gpu"), "--backend must be one of"),
    (dict(backend="blas", pooling="max"), "--backend blas evaluates only"),
    (dict(backend="blas", energy_weight=0.1), "--backend blas evaluates only"),
    (dict(backend="blas", network="vgg19"), "--backend blas evaluates only"),
    (dict(backend="blas", content_loss="perceptual"), "--backend blas evaluates only"),
    (dict(backend="blas", method="source_filter"), "--backend blas evaluates only"),
])
def test_invalid_settings(overrides, message):
    with pytest.raises(ConfigError, match=message):
        resolve_config("ulyanov", **overrides)


def test_backend_blas_is_accepted_where_it_applies():
    for preset in ("ulyanov", "deepmix", "iitb"):
        assert resolve_config(preset, backend="blas").optimizer.backend == "blas"


def test_unknown_preset():
    with pytest.raises(ConfigError, match="unknown preset"):
        resolve_config("nope")
    assert {"ulyanov", "deepmix", "iitb", "cnn_baseline", "source_filter"} <= set(PRESETS)


def test_a_field_name_in_two_groups_is_an_error_not_an_overwrite():
    import dataclasses

    from neural_style_audio import config as config_lib

    @dataclasses.dataclass
    class First:
        seed: int = 0

    @dataclasses.dataclass
    class Second:
        seed: int = 1

    @dataclasses.dataclass
    class Clashing:
        first: First = dataclasses.field(default_factory=First)
        second: Second = dataclasses.field(default_factory=Second)

    with pytest.raises(ValueError, match="'seed' is defined in both 'first' and 'second'"):
        config_lib.field_names(Clashing, groups=("first", "second"))
    # The real settings have no such clash: every flat name maps to one group.
    names = config_lib.field_names()
    assert len(names) == sum(len(dataclasses.fields(config_lib.group_class(g)))
                             for g in config_lib.GROUPS)
