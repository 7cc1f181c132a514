"""Audio style transfer from the command line.

    python scripts/transfer.py                       # bundled example -> outputs/
    python scripts/transfer.py --content a.wav --style b.wav [--output c.wav]
    python scripts/transfer.py --content 'melodies/*.wav' --style violin.wav --preset iitb
    python scripts/transfer.py --flagfile my_settings.cfg

Writes, per content/style pair, a WAV, a JSON run record and a PNG figure, all three
or none; an existing file is replaced only with --overwrite. Exit codes: 0 done,
2 a user error (one line 'error: ...'; in a batch, after the other pairs ran),
130 interrupted.
"""
import os
import sys
import time

_STARTED = time.perf_counter()  # Before the imports: the run reports their time.

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TF's start-up chatter quiet.

from absl import flags  # noqa: E402

from neural_style_audio import cli  # noqa: E402

_FLAG_NAMES = cli.define_flags()


def main(argv):
    if len(argv) > 1:
        print(f"error: unexpected arguments {argv[1:]} (use --content/--style)", file=sys.stderr)
        sys.exit(cli.EXIT_USER_ERROR)
    sys.exit(cli.run_transfer_command(flags.FLAGS, started=_STARTED))


def console_main():
    """Entry point of `nsa-transfer` and scripts/transfer.py."""
    cli.run_command(main, __doc__, sections=[("inputs", cli.INPUTS_MODULE),
                                             ("outputs", cli.OUTPUTS_MODULE)]
                    + cli.settings_sections())


if __name__ == "__main__":
    console_main()
