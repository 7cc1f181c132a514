"""Runs the style transfer on every triplet of a manifest (scripts/make_pairs.py), resuming.

    python scripts/run_pairs.py --manifest outputs/pairs/manifest.json \
        --output_dir outputs/runs/ulyanov --preset ulyanov --iterations 100

Writes <output_dir>/outputs/<item>.wav|json|png and <output_dir>/manifest.json (the
input entries plus an `output` path each), ready for scripts/evaluate.py and
scripts/report.py. Items whose outputs exist (made with the same settings) are skipped.
"""
from neural_style_audio.cli.run_pairs import console_main

if __name__ == "__main__":
    console_main()
