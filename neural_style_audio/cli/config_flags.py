"""absl flags for every TransferConfig field, shared by the command-line scripts.

Help texts and allowed values live beside the fields (config.setting). Each settings
group's flags are registered under their own module name (`neural_style_audio.features`,
`...network`, ...), so `--helpfull` lists them grouped by concern. Every setting flag
defaults to None so that only flags the user gives override the chosen preset; the
help shows the default preset's value.

Defining the flags does not import TensorFlow, so that a mistyped flag is reported
at once: settings whose values come from a registry (`--feature`, `--network`) are
string flags checked with the rest of the settings, and `--help` looks their
allowed values up (`describe_registry_choices`).
"""

from absl import flags

from neural_style_audio import config as config_lib

GROUP_TITLES = dict(features="features", network="network", loss="losses",
                    optimizer="optimiser", phase="phase", run="run",
                    source_filter="source_filter")


def flag_module(group):
    """The module name under which the flags of a settings group are listed."""
    return f"neural_style_audio.{GROUP_TITLES[group]}"


def _help(f, default):
    text = f.metadata.get("help", f.name)  # absl lists an enum's values itself.
    return f"{text} (default: {default})"


PRESET_MODULE = "neural_style_audio.preset"


def registry_flags():
    """Names of the settings whose allowed values come from a registry."""
    names = []
    for name in config_lib.field_names():
        _, f = config_lib.field_info(name)
        if callable(f.metadata.get("choices")):
            names.append(name)
    return names


def describe_registry_choices(flag_values=flags.FLAGS):
    """Puts the registered values (`<stft|mel|mfcc>: ...`) in front of the help of the
    registry-backed flags, as absl does for enums. Imports the registries (TensorFlow),
    so it is called only to show help."""
    for name in registry_flags():
        if name in flag_values and not flag_values[name].help.startswith("<"):
            _, f = config_lib.field_info(name)
            flag_values[name].help = f"<{'|'.join(config_lib.choices_of(f))}>: " \
                                     f"{flag_values[name].help}"


def define_transfer_flags(flag_values=flags.FLAGS, default_preset=None):
    """Defines --preset and one flag per config field (no-op for already defined ones).

    Args:
      flag_values: where the flags go.
      default_preset: the --preset default, whose values the other flags show as their
        defaults (the package's DEFAULT_PRESET when None).

    Returns:
      The names of the flags defined, for `flags.declare_key_flag` in a script.
    """
    defined = []
    fv = dict(flag_values=flag_values)
    default_preset = default_preset or config_lib.DEFAULT_PRESET
    if "preset" not in flag_values:
        flags.DEFINE_enum("preset", default_preset, list(config_lib.PRESETS),
                          "Published configuration to start from. The defaults shown for "
                          f"the settings are those of --preset {default_preset}; a flag you "
                          "give overrides the preset's value.",
                          module_name=PRESET_MODULE, **fv)
        defined.append("preset")
    # The preset's values without validation (which would import TensorFlow).
    default = config_lib.apply_overrides(config_lib.TransferConfig(preset=default_preset),
                                         config_lib.PRESETS[default_preset])
    registry_backed = registry_flags()
    for name, group in config_lib.field_names().items():
        if name in flag_values:
            continue
        _, f = config_lib.field_info(name)
        ftype = f.type if isinstance(f.type, type) else eval(f.type)  # noqa: S307
        help_text = _help(f, getattr(getattr(default, group), name))
        kw = dict(module_name=flag_module(group), **fv)
        if name in registry_backed:
            flags.DEFINE_string(name, None, help_text, **kw)
        elif config_lib.choices_of(f):
            flags.DEFINE_enum(name, None, list(config_lib.choices_of(f)), help_text, **kw)
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


__all__ = ["define_transfer_flags", "config_from_flags", "flag_module", "GROUP_TITLES",
           "PRESET_MODULE", "describe_registry_choices"]
