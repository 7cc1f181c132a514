"""Evaluation: objective metrics, manifests, the runner, tables, sweeps, report, plots.

    from neural_style_audio import evaluation
    items = evaluation.load_manifest("pairs/manifest.json")
    rows = evaluation.evaluate_items(items)

The runner's public names are available here; `metrics`, `sweep`, `report` and `plots`
are submodules (plots and report import matplotlib; nothing here imports TensorFlow).
"""
from neural_style_audio.evaluation.runner import *  # noqa: F401,F403
from neural_style_audio.evaluation import metrics  # noqa: F401
