"""absl flags for every TransferConfig field, shared by the command-line scripts.

Help texts and allowed values live beside the fields (config.setting). Each settings
group's flags are registered under their own module name (`neural_style_audio.features`,
`...network`, ...), so `--helpfull` lists them grouped by concern. Every setting flag
defaults to None so that only flags the user gives override the chosen preset; the
help shows the default preset's value.
"""

from absl import flags

from neural_style_audio import config as config_lib
from neural_style_audio.cli.quiet import import_tensorflow_quietly

GROUP_TITLES = dict(features="features", network="network", loss="losses",
                    optimizer="optimiser", phase="phase", run="run")


def flag_module(group):
    """The module name under which the flags of a settings group are listed."""
    return f"neural_style_audio.{GROUP_TITLES[group]}"


def _help(f, default):
    text = f.metadata.get("help", f.name)  # absl lists an enum's values itself.
    return f"{text} (default preset: {default})"


def define_transfer_flags(flag_values=flags.FLAGS):
    """Defines --preset and one flag per config field (no-op for already defined ones).

    Returns:
      The names of the flags defined, for `flags.declare_key_flag` in a script.
    """
    import_tensorflow_quietly()  # The registries behind the choices import TensorFlow.
    defined = []
    fv = dict(flag_values=flag_values)
    if "preset" not in flag_values:
        flags.DEFINE_enum("preset", "ulyanov", list(config_lib.PRESETS),
                          "Published configuration to start from; explicit flags override it.",
                          module_name="neural_style_audio.preset", **fv)
        defined.append("preset")
    default = config_lib.resolve_config("ulyanov")
    for name, group in config_lib.field_names().items():
        if name in flag_values:
            continue
        _, f = config_lib.field_info(name)
        ftype = f.type if isinstance(f.type, type) else eval(f.type)  # noqa: S307
        help_text = _help(f, getattr(getattr(default, group), name))
        kw = dict(module_name=flag_module(group), **fv)
        choices = config_lib.choices_of(f)
        if choices:
            flags.DEFINE_enum(name, None, list(choices), help_text, **kw)
        elif ftype is bool:
            flags.DEFINE_bool(name, None, help_text, **kw)
        elif ftype is int:
            flags.DEFINE_integer(name, None, help_text, **kw)
        elif ftype is float:
            flags.DEFINE_float(name, None, help_text, **kw)
        else:
            flags.DEFINE_string(name, None, help_text, **kw)
        defined.append(name)
    return defined


def config_from_flags(flag_values=None, **extra):
    """Resolves a TransferConfig from parsed flags: the preset, then the given flags."""
    fv = flag_values or flags.FLAGS
    overrides = {name: fv[name].value for name in config_lib.field_names()}
    overrides.update(extra)
    return config_lib.resolve_config(fv.preset, **overrides)


__all__ = ["define_transfer_flags", "config_from_flags", "flag_module"]
