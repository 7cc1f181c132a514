"""Command-line layer: what the transfer command does with its flags (expand inputs,
name and check outputs, run pairs, report errors) and what every command shares
(`run_command`: help, flag parsing, exit codes). One module per command
(`cli/transfer.py`, `cli/sweep.py`, ...) holds its flags and `console_main`, the target
of the `nsa-*` entry points and of the thin `scripts/*.py`.

Exit codes: 0 success; 2 a user error (bad flag, file, setting or output location),
printed as one line `error: ...` naming the flag or path, without a traceback; 130
interrupted (Ctrl-C). Outputs are written as complete units or not at all, and an
existing file is never replaced without --overwrite.
"""
import contextlib
import glob
import itertools
import os
import re
import shutil
import signal
import sys
import threading
import time
import warnings
from pathlib import Path

from absl import app, flags

from neural_style_audio import audio, examples
from neural_style_audio.config import ConfigError
from neural_style_audio.cli.config_flags import (  # noqa: F401
    GROUP_TITLES, PRESET_MODULE, config_from_flags, define_transfer_flags,
    describe_registry_choices, flag_module)
from neural_style_audio.quiet import import_tensorflow_quietly  # noqa: F401

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it.
# --help sections of the transfer's own flags.
INPUTS_MODULE = "neural_style_audio.cli.transfer.inputs"
OUTPUTS_MODULE = "neural_style_audio.cli.transfer.outputs"
# Room the JSON record and PNG figure of one pair take, at most (bytes).
SIDE_FILES_BYTES = 512 * 1024
HELP_FLAGS = ("--help", "-help", "-h", "-?", "--helpshort", "-helpshort")
HELPFULL_FLAGS = ("--helpfull", "-helpfull")
FLAGFILE_NOTE = """\
Flags can also come from a file: --flagfile=settings.cfg, one flag per line
(--name=value or --name value; lines starting with # are comments). Flags after it
on the command line override it. --helpfull also lists absl's own flags."""


class UsageError(ValueError):
    """Invalid command-line usage; the message is one line (or one line and an
    indented list)."""


# --- Flags, help and parsing shared by every command -------------------------------

def define_flags(flag_values=flags.FLAGS):
    """Defines the transfer command's flags: inputs, outputs and every setting.

    Returns:
      The names of the flags defined.
    """
    fv = dict(flag_values=flag_values, module_name=INPUTS_MODULE)
    flags.DEFINE_multi_string(
        "content", None, "Content clip(s): a file, a glob ('melodies/*.wav', quoted) or "
        "several, comma-separated or by repeating the flag. A value naming an existing "
        "file is taken literally, commas and [ ] included", **fv)
    flags.DEFINE_multi_string("style", None, "Style clip(s), given like --content. Every "
                              "content is rendered in every style", **fv)
    fv = dict(flag_values=flag_values, module_name=OUTPUTS_MODULE)
    flags.DEFINE_string("output", None, "Output .wav or .flac for a single content/style "
                        "pair; the .json record and .png figure go beside it.", **fv)
    flags.DEFINE_string("output_dir", "outputs", "Folder for the outputs when --output is "
                        "not given: <content>__<style>.wav/.json/.png per pair.", **fv)
    flags.DEFINE_bool("overwrite", False, "Replace existing output files (WAV, JSON and "
                      "PNG). Without it a run that would replace any stops before it "
                      "starts. Inputs are never replaced.", **fv)
    flags.DEFINE_bool("plot", True, "Write the PNG figure beside the WAV.", **fv)
    own = ["content", "style", "output", "output_dir", "overwrite", "plot"]
    return own + define_transfer_flags(flag_values)


def settings_sections():
    """(title, flag module) of the preset and of each settings group, for --help."""
    return [("preset", PRESET_MODULE)] + [(title, flag_module(group))
                                          for group, title in GROUP_TITLES.items()]


def command_help(doc, sections, flag_values=flags.FLAGS):
    """The --help text: the command's docstring, then its flags section by section."""
    if any(name in flag_values for name in ("feature", "network")):
        describe_registry_choices(flag_values)
    parts = [doc.strip("\n")]
    for title, module in sections:
        text = flag_values.module_help(module).strip("\n")
        if text:  # module_help starts with a "<module name>:" line.
            parts.append(f"{title}:\n" + text.split("\n", 1)[1])
    parts.append(FLAGFILE_NOTE)
    return "\n\n".join(parts) + "\n"


def _flag_name(token):
    """The flag name of a command-line token ('--a=1' -> 'a'), or None."""
    found = re.match(r"^--?([^=\s]+)", token)
    return found.group(1) if found else None


def _join_spaced_value(line, flag_values):
    """A flagfile line '--name value' as '--name=value' (absl reads one token a line)."""
    found = re.match(r"^--?([A-Za-z_][\w.-]*)\s+(\S.*)$", line)
    if found and found.group(1) in flag_values:
        return f"--{found.group(1)}={found.group(2)}"
    return line


def _expand_flagfiles(args, flag_values):
    """Replaces --flagfile arguments by their lines.

    Returns:
      (args, sources): the arguments, and for each the flagfile it came from (None
      for the command line).
    """
    out, sources, i = [], [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out += args[i:]
            sources += [None] * (len(args) - i)
            break
        found = re.match(r"^--?flagfile(?:=(.*))?$", arg)
        if not found:
            out.append(arg)
            sources.append(None)
            i += 1
            continue
        name = found.group(1)
        if name is None:
            if i + 1 >= len(args):
                raise UsageError("--flagfile needs a file name")
            name, i = args[i + 1], i + 1
        i += 1
        if not name.strip():
            raise UsageError("--flagfile is empty (an unset shell variable?)")
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"--flagfile {name}: "
                             f"{'is a folder' if path.is_dir() else 'file not found'}")
        try:
            lines = flag_values.read_flags_from_files([f"--flagfile={name}"])
        except flags.CantOpenFlagFileError as err:
            detail = str(err).split("Unable to open flagfile:")[-1].strip()
            raise UsageError(f"--flagfile {name}: cannot read a file it names ({detail})") from None
        for line in lines:
            if not line.startswith("-"):
                raise UsageError(f"--flagfile {name}: line '{line}' is not a flag "
                                 f"(write --{line} or a comment starting with #)")
            out.append(_join_spaced_value(line, flag_values))
            sources.append(name)
    return out, sources


def _flag_error_message(err, args, sources):
    """absl's flag error as one line naming the flag (and the flagfile it came from)."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    name = getattr(err, "flagname", None)
    if isinstance(err, flags.UnrecognizedFlagError):
        hint = re.search(r"Did you mean: (.+?) \?", text)
        text = f"unknown flag --{name}" + (f" (did you mean --{hint.group(1)}?)" if hint else "")
    elif (found := re.match(r"^flag --([^=]+)=(.*?): (.*)$", text)):
        name, value, reason = found.groups()
        if "invalid literal for int()" in reason:
            reason = "not an integer"
        elif "could not convert string to float" in reason:
            reason = "not a number"
        elif "Non-boolean argument" in reason:
            reason = f"not true or false (write --{name} or --no{name})"
        text = f"--{name}={value}: {reason}"
    elif (found := re.match(r"^Missing value for flag --(\S+)", text)):
        name = found.group(1)
        text = f"--{name} needs a value"
    for token, source in zip(args, sources):
        if source is not None and name is not None and _flag_name(token) == name:
            return f"{text} (in --flagfile {source})"
    return text


def parse_command_line(argv, flag_values=flags.FLAGS):
    """Parses flags as absl does, with the command line's conventions: flagfile lines
    may be '--name value'; every problem is a one-line UsageError.

    Returns:
      The arguments left after the flags (argv[0] first).
    """
    args, sources = _expand_flagfiles(list(argv[1:]), flag_values)
    try:
        return flag_values([argv[0]] + args)
    except flags.Error as err:
        raise UsageError(_flag_error_message(err, args, sources)) from None


def run_command(main, doc, module=None, flag_values=flags.FLAGS, sections=None):
    """Runs a command's absl `main` with the conventions every command shares.

    --help / -h print the docstring and the command's flags grouped by concern (exit
    0); a flag error is one line 'error: ...' with exit code 2 (absl's default is a
    usage dump and 1); Ctrl-C ends with one line and exit code 130.

    Args:
      main: absl main(argv) -> exit code.
      doc: the command's docstring (usage text).
      module: `__name__` of the module that defines the command's own flags.
      sections: [(title, flag module)] for --help (default: the command's flags, then
        the preset and settings groups when the command has them).
    """
    if module == "__main__":
        module = sys.argv[0]  # absl files a script's flags under its path.
    sections = sections or ([("options", module)] if module else []) + settings_sections()
    main_module = sys.modules.get("__main__")
    if main_module is not None:
        main_module.__doc__ = doc  # For --helpfull (absl prints __main__'s docstring).

    def parse(argv):
        tokens = argv[1:argv.index("--")] if "--" in argv else argv[1:]
        if any(t in HELP_FLAGS for t in tokens):
            sys.stdout.write(command_help(doc, sections, flag_values))
            sys.exit(0)
        if any(t in HELPFULL_FLAGS for t in tokens):
            describe_registry_choices(flag_values)
            app.usage(shorthelp=False, writeto_stdout=True)
            sys.exit(0)
        try:
            return parse_command_line(argv, flag_values)
        except UsageError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(EXIT_USER_ERROR)

    with InterruptWatch() as watch:
        try:
            app.run(main, flags_parser=parse)
        except Exception:  # SystemExit passes; see InterruptWatch.
            if not watch.seen:
                raise
            print("interrupted (Ctrl-C)", file=sys.stderr)
            sys.exit(EXIT_INTERRUPTED)
        except KeyboardInterrupt:
            print("interrupted (Ctrl-C)", file=sys.stderr)
            sys.exit(EXIT_INTERRUPTED)


class InterruptWatch:
    """Context manager that records Ctrl-C (SIGINT) and raises KeyboardInterrupt as usual.

    TensorFlow can turn a KeyboardInterrupt raised inside its Python code into another
    exception (seen: an AttributeError from EagerTensor.__getattr__ when Ctrl-C came
    during the objective's first call), which would otherwise end in a traceback and
    exit code 1, or be reported as a failed pair of a batch. With `seen`, the command
    knows that whatever exception follows was caused by the user's Ctrl-C.
    Outside the main thread (where signal handlers cannot be set) it only records
    nothing and changes nothing.
    """

    def __init__(self):
        self.seen = False
        self._previous = None

    def _handle(self, signum, frame):
        del signum, frame
        self.seen = True
        raise KeyboardInterrupt

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def use_docstring_for_help(doc, flag_names=(), flag_values=flags.FLAGS):
    """Older way to show `doc` in absl's --help (commands now use `run_command`)."""
    main = sys.modules.get("__main__")
    if main is not None:
        main.__doc__ = doc
    for name in flag_names:
        flag_values.register_key_flag_for_module(sys.argv[0], flag_values[name])


@contextlib.contextmanager
def warnings_as_lines():
    """Shows the package's InputWarnings as one line 'warning: ...' on stderr, each
    message once; other warnings as Python shows them."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", audio.InputWarning)  # Deduplicated below.
        python_show, seen = warnings.showwarning, set()

        def show(message, category, filename, lineno, file=None, line=None):
            if not issubclass(category, audio.InputWarning):
                python_show(message, category, filename, lineno, file, line)
            elif str(message) not in seen:  # An input is loaded to check it, then to use it.
                seen.add(str(message))
                print(f"warning: {message}", file=sys.stderr)

        warnings.showwarning = show
        yield


def model_errors():
    """Exceptions whose one-line message is shown to the user as is (no traceback)."""
    from vggish_loss import VGGishLoadError
    from neural_style_audio.networks.vgg19 import VGGWeightsError
    return (audio.AudioInputError, ConfigError, VGGWeightsError, VGGishLoadError)


def script_main(body, errors=(), tensorflow=True):
    """The absl `main` of a script whose work is body() -> exit code.

    Refuses extra positional arguments, hides TensorFlow's C++ start-up chatter (when
    the script uses TensorFlow) and turns user errors (bad audio, settings, manifests,
    output locations, models that cannot be loaded, and `errors`) into one line
    'error: ...' and exit code 2, without a traceback.
    """

    def main(argv):
        if len(argv) > 1:
            print(f"error: unexpected arguments {argv[1:]}", file=sys.stderr)
            return EXIT_USER_ERROR
        from neural_style_audio.evaluation import ManifestError
        user_errors = (UsageError, ManifestError, audio.AudioInputError, audio.OutputError,
                       ConfigError, *errors)
        if tensorflow:
            import_tensorflow_quietly()
            user_errors += model_errors()
        with warnings_as_lines():
            try:
                return body()
            except user_errors as err:
                print(f"error: {err}", file=sys.stderr)
                return EXIT_USER_ERROR

    return main


# --- The transfer command ------------------------------------------------------------

def expand_inputs(patterns, role):
    """The files of one input flag, each once, in the order given.

    A value naming an existing path is taken literally (commas and [ ] included);
    otherwise it is split at commas, and a part that is not an existing path but has
    glob characters (* ? [ ], ** for any folders) is expanded in sorted order.

    Raises:
      UsageError: an empty value (an unset shell variable), or a pattern that
        matches nothing.
    """
    paths = []
    for value in patterns or []:
        parts = [value] if os.path.lexists(value) else [p.strip() for p in value.split(",")]
        if not any(parts):
            raise UsageError(f"--{role} is empty (an unset shell variable?): give a file "
                             "or a glob")
        for part in filter(None, parts):
            if not os.path.lexists(part) and glob.has_magic(part):
                matches = sorted(glob.glob(part, recursive=True))
                if not matches:
                    raise UsageError(f"--{role} '{part}': no file matches this pattern")
                paths.extend(Path(m) for m in matches)
            else:
                paths.append(Path(part))
    unique = {}
    for path in paths:
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


def input_labels(paths):
    """The name each input gives to output names: its stem, made unique.

    Inputs whose stems are equal (ignoring case, as some file systems do) are told
    apart by their folders below the folder they share ('a/mel.wav', 'b/mel.wav' ->
    'a-mel', 'b-mel'), and files of one folder by their extension ('song.wav',
    'song.flac' -> 'song_wav', 'song_flac'). The names depend only on the set of
    inputs, so a rerun gives the same names.
    """
    labels = {path: path.stem for path in paths}
    by_stem = {}
    for path in paths:
        by_stem.setdefault(path.stem.casefold(), []).append(path)
    for group in by_stem.values():
        if len(group) < 2:
            continue
        folders = [Path(os.path.abspath(p)).parent for p in group]
        common = Path(os.path.commonpath(folders))
        for path, folder in zip(group, folders):
            labels[path] = "-".join(folder.relative_to(common).parts + (path.stem,))
        counts = {}
        for path in group:
            counts[labels[path].casefold()] = counts.get(labels[path].casefold(), 0) + 1
        for path in group:
            if counts[labels[path].casefold()] > 1:
                labels[path] += "_" + path.suffix.lstrip(".").lower()
    return labels


def output_path_for(content, style, output, output_dir, n_pairs, labels=None):
    """The WAV path of one pair: --output for a single pair, else
    <output_dir>/<content label>__<style label>.wav (labels: `input_labels`)."""
    if output:
        if n_pairs > 1:
            raise UsageError(f"--output names one file but there are {n_pairs} content/style "
                             "pairs; use --output_dir instead")
        path = Path(output)
        if path.suffix.lower() not in audio.OUTPUT_FORMATS:
            raise UsageError(f"--output {output}: must end in .wav or .flac")
        return path
    labels = labels or {}
    content_label = labels.get(content, Path(content).stem)
    style_label = labels.get(style, Path(style).stem)
    return Path(output_dir) / f"{content_label}__{style_label}.wav"


def plan_pairs(flag_values):
    """Returns [(content, style, output_path)] for every content x style pair.

    Raises:
      UsageError: empty flags, a pattern matching nothing, only one of
        --content/--style, --output with several pairs, or two pairs whose outputs
        would have the same name.
    """
    fv = flag_values
    for name in ("output", "output_dir"):
        if fv[name].value is not None and not fv[name].value.strip():
            raise UsageError(f"--{name} is empty (an unset shell variable?)")
    contents = expand_inputs(fv.content, "content")
    styles = expand_inputs(fv.style, "style")
    if not contents and not styles:
        contents, styles = [examples.content_path()], [examples.style_path()]
        print(f"No --content/--style given: using the bundled example\n"
              f"  content: {contents[0]}\n  style:   {styles[0]}", file=sys.stderr)
    elif not contents or not styles:
        raise UsageError("give both --content and --style (or neither, for the bundled example)")
    pairs = list(itertools.product(contents, styles))
    labels = {**input_labels(contents), **input_labels(styles)}
    planned, claimed = [], {}
    for content, style in pairs:
        out = output_path_for(content, style, fv.output, fv.output_dir, len(pairs),
                              {content: labels[content], style: labels[style]})
        key = os.path.normcase(os.path.abspath(out)).casefold()
        if key in claimed:
            other = claimed[key]
            raise UsageError(f"{out}: both {other[0]} + {other[1]} and {content} + {style} "
                             "would write this output; rename one of the inputs")
        claimed[key] = (content, style)
        planned.append((content, style, out))
    return planned


def check_outputs(pairs, flag_values):
    """Checks before any work that every output of `pairs` can and may be written.

    Raises:
      UsageError: --output_dir names a file; an output would replace an input, or
        (without --overwrite) an existing file; an output path is a folder; a
        folder cannot be written.
    """
    from neural_style_audio.outputs import output_paths
    fv = flag_values
    if fv.output is None:
        folder = Path(fv.output_dir)
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"--output_dir {folder}: is a file, not a folder")
        try:
            audio.check_folder_writable(folder)
        except audio.OutputError as err:
            raise UsageError(f"--output_dir {err}") from None
    paths = [p for _, _, out in pairs for p in output_paths(out, fv.plot).values()]
    inputs = [p for pair in pairs for p in pair[:2]]
    try:
        audio.check_output_paths(paths, fv.overwrite, inputs, "use --overwrite")
    except audio.OutputError as err:
        raise UsageError(str(err)) from None


def _size(n_bytes):
    return f"{n_bytes / 2**20:.1f} MB" if n_bytes >= 2**20 else f"{n_bytes / 2**10:.0f} KB"


def check_free_space(pairs, n_samples):
    """Refuses a run whose outputs would not fit on their disks (checked up front, so
    a full disk is found before the long computation, not after it).

    Args:
      pairs: [(content, style, wav path)].
      n_samples: content path -> its length in samples at the processing rate.
    """
    need = {}
    for content, _, out in pairs:
        folder = Path(os.path.abspath(out)).parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        need[folder] = need.get(folder, 0) + 2 * n_samples[content] + SIDE_FILES_BYTES
    for folder, n_bytes in need.items():
        free = shutil.disk_usage(folder).free
        if free < n_bytes:
            raise UsageError(f"{folder}: not enough free space ({_size(free)} free; these "
                             f"outputs need about {_size(n_bytes)})")


def validate_inputs(paths, sr, min_samples, needed_for=None):
    """Loads every input once, collecting every problem (in the order given).

    Returns:
      {path: length in samples at `sr`}.

    Raises:
      UsageError: one line for one bad file; a line and an indented list for several.
    """
    lengths, problems = {}, []
    for path in paths:
        try:
            lengths[path] = len(audio.load_audio(path, sr, min_samples, needed_for))
        except audio.AudioInputError as err:
            problems.append(str(err))
    if len(problems) == 1:
        raise UsageError(problems[0])
    if problems:
        cause = ""
        if needed_for and any(": too short for " in p for p in problems):
            cause = (f" ({needed_for} needs clips of at least "
                     f"{audio.format_length(min_samples, sr)})")
        raise UsageError(f"{len(problems)} of {len(paths)} input files cannot be used{cause}:"
                         "\n  " + "\n  ".join(problems))
    return lengths


def timing_breakdown(timings, write_s=None, import_s=None):
    """One line saying where a transfer's time went (from its record's timings)."""
    parts = []
    if import_s is not None:
        parts.append(f"imports {import_s:.1f} s")
    t = timings
    if "synthesis_s" in t:  # The source-filter method: no network, no optimisation.
        parts += [f"load {t['load_s']:.1f} s",
                  f"content notes {t['content_analysis_s']:.1f} s",
                  f"style fit {t['style_fit_s']:.1f} s", f"synthesis {t['synthesis_s']:.1f} s"]
        if write_s is not None:
            parts.append(f"write {write_s:.1f} s")
        return "time: " + ", ".join(parts)
    parts += [f"load+analyse {t.get('load_s', 0) + t.get('features_s', 0):.1f} s",
              f"network {t.get('build_network_s', 0):.1f} s"]
    if "compile_s" in t:
        backend = t.get("backend", "xla")
        probed = t.get("backend_ms") or {}
        parts.append(f"compile {t['compile_s']:.1f} s")
        if probed:
            backend += " (auto timed " + ", ".join(
                f"{name} {ms:.0f} ms" for name, ms in sorted(probed.items())) + ")"
        if len(set(t.get("backends", []))) > 1:
            backend += ", chunks on " + "/".join(t["backends"])
        parts.append(f"optimise {t['optimise_s'] - t['compile_s']:.1f} s "
                     f"({t['evaluations']} evaluations, {t['ms_per_evaluation']:.0f} ms each "
                     f"on {backend})")
    else:
        parts.append(f"optimise {t.get('optimise_s', 0):.1f} s")
    parts += [f"inverse {t.get('invert_features_s', 0):.1f} s",
              f"phase {t.get('phase_s', 0):.1f} s"]
    if write_s is not None:
        parts.append(f"write {write_s:.1f} s")
    return "time: " + ", ".join(parts)


def run_transfer_command(flag_values, started=None):
    """Runs every pair; returns the process exit code.

    Everything that can be checked is checked before the first optimisation: flags,
    input files (all of them, every problem reported), output names, existing
    outputs, writable folders and free space. A pair that fails later (a model that
    cannot be loaded, a write error) is reported and the others go on; the exit code
    is then 2, after a summary.

    Args:
      flag_values: parsed absl flags.
      started: time.perf_counter() when the command began (before its imports), to
        report the import time.
    """
    done = []
    with warnings_as_lines(), InterruptWatch() as watch:
        try:
            return _transfer_pairs(flag_values, started, done, watch)
        except Exception:  # Ctrl-C that TensorFlow turned into another exception.
            if not watch.seen:
                raise
        except KeyboardInterrupt:
            pass
        print(f"interrupted (Ctrl-C) after {len(done)} finished pair(s); no partial "
              "output was left", file=sys.stderr)
        return EXIT_INTERRUPTED


def unused_flags_warning(config, fv):
    """A one-line warning naming explicit flags the config's method does not read, or None.

    E.g. `--iterations 50` with the default source-filter method, which optimises nothing.
    """
    from neural_style_audio import config as config_lib, methods
    groups = methods.get(config.run.method).settings_groups
    if not groups:
        return None
    unused = [f"--{name}" for name, group in config_lib.field_names().items()
              if group not in groups and name in fv and fv[name].present]
    if not unused:
        return None
    return (f"warning: {', '.join(unused)} {'has' if len(unused) == 1 else 'have'} no effect "
            f"with the {config.run.method} method of --preset {config.preset}; the "
            "optimisation presets (e.g. --preset ulyanov) use them")


def _transfer_pairs(fv, started, done, watch):
    try:
        pairs = plan_pairs(fv)  # Quick checks first: no TensorFlow needed for these.
        check_outputs(pairs, fv)
        import_tensorflow_quietly()
        from neural_style_audio import methods
        from neural_style_audio.methods.optimisation import TransferCache, length_requirement
        from neural_style_audio.outputs import write_outputs
        import_s = time.perf_counter() - started if started is not None else None
        config = config_from_flags(fv)
        transfer = methods.get(config.run.method).transfer
        unused = unused_flags_warning(config, fv)
        if unused:
            print(unused, file=sys.stderr)
        min_samples, needed_for = length_requirement(config)
        inputs = list(dict.fromkeys([c for c, _, _ in pairs] + [s for _, s, _ in pairs]))
        lengths = validate_inputs(inputs, config.features.sr, min_samples, needed_for)
        check_free_space(pairs, lengths)
    except (audio.AudioInputError, audio.OutputError, ConfigError, UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    failures, cache = [], TransferCache()
    for i, (content, style, out) in enumerate(pairs):
        label = f"[{i + 1}/{len(pairs)}] " if len(pairs) > 1 else ""
        print(f"{label}{content} + style of {style}", file=sys.stderr)
        try:
            result = transfer(content, style, config, cache=cache)
            t_write = time.perf_counter()
            paths = write_outputs(result, out, plot=fv.plot, overwrite=fv.overwrite,
                                  overwrite_hint="use --overwrite")
            write_s = time.perf_counter() - t_write
        except (*model_errors(), audio.OutputError) as err:
            if watch.seen:  # Not the pair's fault: the user pressed Ctrl-C.
                raise KeyboardInterrupt from err
            print(f"error: {label}{err}", file=sys.stderr)
            failures.append(f"{label}{content} + {style}")
            continue
        done.append(out)
        rec = result.record
        print(f"{label}wrote {', '.join(str(p) for p in paths.values())} "
              f"({rec['output_seconds']:.1f} s of audio, "
              + (f"final loss {rec['final_loss']:.4g}, " if "final_loss" in rec else "")
              + f"{rec['timings']['total_s']:.1f} s)", file=sys.stderr)
        print(f"{label}{timing_breakdown(rec['timings'], write_s, import_s if i == 0 else None)}",
              file=sys.stderr)
        for chunk in rec["chunks"]:
            if chunk["message"].startswith("stopped"):
                print(f"warning: {chunk['message']}", file=sys.stderr)
    if failures and len(pairs) > 1:
        print(f"error: {len(failures)} of {len(pairs)} pairs failed ({'; '.join(failures)}); "
              f"{len(done)} written", file=sys.stderr)
    return EXIT_USER_ERROR if failures else 0
