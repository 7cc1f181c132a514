"""Objective evaluation of style-transfer outputs against the copy-content/copy-style baselines.

    python scripts/evaluate.py --manifest outputs/runs/manifest.json
    python scripts/evaluate.py --content a.wav --style b.wav --output out.wav [--target t.wav]

Scores the output, the content clip itself and the style clip itself (looped/cut to the
content length) with every metric of metrics.evaluate_all; prints the means per system
and writes evaluation.csv, evaluation.md (per-item rows and means per system) and
evaluation.png (the distribution of every metric per system) into --output_dir.
"""
from neural_style_audio.cli.evaluate import console_main

if __name__ == "__main__":
    console_main()
