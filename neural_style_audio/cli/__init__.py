"""Command-line layer: what the transfer command does with its flags (expand inputs, run
pairs, report errors) and what every command shares. One module per command
(`cli/transfer.py`, `cli/sweep.py`, ...) holds its flags and `console_main`, the target
of the `nsa-*` entry points and of the thin `scripts/*.py`.

User errors (bad files, bad settings) print one line `error: ...` on stderr and give
exit code 2; nothing is written for a pair that failed.
"""
import glob
import itertools
import sys
import time
from pathlib import Path

from absl import flags

from neural_style_audio import audio, examples
from neural_style_audio.config import ConfigError
from neural_style_audio.cli.config_flags import config_from_flags, define_transfer_flags  # noqa: F401
from neural_style_audio.cli.quiet import import_tensorflow_quietly  # noqa: F401

EXIT_USER_ERROR = 2


def use_docstring_for_help(doc, flag_names=(), flag_values=flags.FLAGS):
    """Makes absl's --help show `doc` (the command module's docstring) as the usage text
    and `flag_names` as the command's own flags, also when the command runs through a
    thin scripts/*.py wrapper or an entry point (absl's --help lists the flags of the
    __main__ module only; --helpfull lists every flag, grouped by module)."""
    main = sys.modules.get("__main__")
    if main is not None:
        main.__doc__ = doc
    for name in flag_names:
        flag_values.register_key_flag_for_module(sys.argv[0], flag_values[name])


def define_flags(flag_values=flags.FLAGS):
    """Defines the transfer command's flags: inputs, outputs and every setting.

    Returns:
      The names of the flags defined.
    """
    fv = dict(flag_values=flag_values)
    flags.DEFINE_multi_string("content", None, "Content clip(s): files or globs "
                              "(repeat the flag or comma-separate).", **fv)
    flags.DEFINE_multi_string("style", None, "Style clip(s): files or globs "
                              "(repeat the flag or comma-separate).", **fv)
    flags.DEFINE_string("output", None, "Output WAV (only with a single content/style pair).",
                        **fv)
    flags.DEFINE_string("output_dir", "outputs", "Directory for outputs when --output is not "
                        "given; files are named <content>__<style>.wav/.json/.png.", **fv)
    flags.DEFINE_bool("plot", True, "Write the PNG figure beside the WAV.", **fv)
    own = ["content", "style", "output", "output_dir", "plot"]
    return own + define_transfer_flags(flag_values)


class UsageError(ValueError):
    """Invalid command-line usage; the message is one line."""


def expand_inputs(patterns, role):
    """Expands comma-separated files and globs; a pattern matching nothing is an error."""
    paths = []
    for item in patterns or []:
        for pattern in filter(None, (p.strip() for p in item.split(","))):
            if glob.has_magic(pattern):
                matches = sorted(glob.glob(pattern))
                if not matches:
                    raise UsageError(f"--{role} '{pattern}': no file matches this pattern")
                paths.extend(Path(m) for m in matches)
            else:
                paths.append(Path(pattern))
    return paths


def output_path_for(content, style, output, output_dir, n_pairs):
    """The WAV path of one pair: --output for a single pair, else <dir>/<content>__<style>.wav."""
    if output:
        if n_pairs > 1:
            raise UsageError(f"--output names one file but there are {n_pairs} content/style "
                             "pairs; use --output_dir instead")
        path = Path(output)
        if path.suffix.lower() not in (".wav", ".flac"):
            raise UsageError(f"--output {output}: must end in .wav or .flac")
        return path
    return Path(output_dir) / f"{Path(content).stem}__{Path(style).stem}.wav"


def plan_pairs(flag_values):
    """Returns [(content, style, output_path)] for every content x style pair."""
    fv = flag_values
    contents = expand_inputs(fv.content, "content")
    styles = expand_inputs(fv.style, "style")
    if not contents and not styles:
        contents, styles = [examples.content_path()], [examples.style_path()]
        print(f"No --content/--style given: using the bundled example\n"
              f"  content: {contents[0]}\n  style:   {styles[0]}", file=sys.stderr)
    elif not contents or not styles:
        raise UsageError("give both --content and --style (or neither, for the bundled example)")
    pairs = list(itertools.product(contents, styles))
    inputs = {p.resolve() for p in contents + styles}
    planned = []
    for content, style in pairs:
        out = output_path_for(content, style, fv.output, fv.output_dir, len(pairs))
        for path in (out, out.with_suffix(".json"), out.with_suffix(".png")):
            if path.resolve() in inputs:
                raise UsageError(f"{path}: output would overwrite an input file")
        planned.append((content, style, out))
    return planned


def model_errors():
    """Exceptions whose one-line message is shown to the user as is (no traceback)."""
    from vggish_loss import VGGishLoadError
    from neural_style_audio.networks.vgg19 import VGGWeightsError
    return (audio.AudioInputError, ConfigError, VGGWeightsError, VGGishLoadError)


def script_main(body, errors=(), tensorflow=True):
    """The absl `main` of a script whose work is body() -> exit code.

    Refuses extra positional arguments, hides TensorFlow's C++ start-up chatter (when
    the script uses TensorFlow) and turns user errors (bad audio, settings, manifests,
    models that cannot be loaded, and `errors`) into one line 'error: ...' and exit
    code 2, without a traceback.
    """

    def main(argv):
        if len(argv) > 1:
            print(f"error: unexpected arguments {argv[1:]}", file=sys.stderr)
            return EXIT_USER_ERROR
        from neural_style_audio.evaluation import ManifestError
        user_errors = (UsageError, ManifestError, audio.AudioInputError, ConfigError,
                       *errors)
        if tensorflow:
            import_tensorflow_quietly()
            user_errors += model_errors()
        try:
            return body()
        except user_errors as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_USER_ERROR

    return main


def timing_breakdown(timings, write_s=None, import_s=None):
    """One line saying where a transfer's time went (from its record's timings)."""
    parts = []
    if import_s is not None:
        parts.append(f"imports {import_s:.1f} s")
    t = timings
    parts += [f"load+analyse {t.get('load_s', 0) + t.get('features_s', 0):.1f} s",
              f"network {t.get('build_network_s', 0):.1f} s"]
    if "compile_s" in t:
        parts.append(f"compile {t['compile_s']:.1f} s")
        parts.append(f"optimise {t['optimise_s'] - t['compile_s']:.1f} s "
                     f"({t['evaluations']} evaluations, {t['ms_per_evaluation']:.0f} ms each)")
    else:
        parts.append(f"optimise {t.get('optimise_s', 0):.1f} s")
    parts += [f"inverse {t.get('invert_features_s', 0):.1f} s",
              f"phase {t.get('phase_s', 0):.1f} s"]
    if write_s is not None:
        parts.append(f"write {write_s:.1f} s")
    return "time: " + ", ".join(parts)


def run_transfer_command(flag_values, started=None):
    """Runs every pair; returns the process exit code.

    Args:
      flag_values: parsed absl flags.
      started: time.perf_counter() when the command began (before its imports), to
        report the import time.
    """
    import_tensorflow_quietly()
    import_s = time.perf_counter() - started if started is not None else None
    from neural_style_audio.networks import required_samples
    from neural_style_audio.methods.optimisation import TransferCache, transfer
    from neural_style_audio.outputs import write_outputs
    try:
        config = config_from_flags(flag_values)
        pairs = plan_pairs(flag_values)
        min_samples = required_samples(config)
        # Validate every input before the first (long) optimisation starts.
        for path in {p for pair in pairs for p in pair[:2]}:
            audio.load_audio(path, config.features.sr, min_samples)
    except (audio.AudioInputError, ConfigError, UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    failures, cache = 0, TransferCache()
    for i, (content, style, out) in enumerate(pairs):
        label = f"[{i + 1}/{len(pairs)}] " if len(pairs) > 1 else ""
        print(f"{label}{content} + style of {style}", file=sys.stderr)
        try:
            result = transfer(content, style, config, cache=cache)
        except model_errors() as err:
            print(f"error: {err}", file=sys.stderr)
            failures += 1
            continue
        t_write = time.perf_counter()
        paths = write_outputs(result, out, plot=flag_values.plot)
        write_s = time.perf_counter() - t_write
        rec = result.record
        print(f"{label}wrote {paths['wav']} ({rec['output_seconds']:.1f} s, final loss "
              f"{rec['final_loss']:.4g}, {rec['timings']['total_s']:.1f} s)", file=sys.stderr)
        print(f"{label}{timing_breakdown(rec['timings'], write_s, import_s if i == 0 else None)}",
              file=sys.stderr)
        for chunk in rec["chunks"]:
            if chunk["message"].startswith("stopped"):
                print(f"warning: {chunk['message']}", file=sys.stderr)
    return EXIT_USER_ERROR if failures else 0

