"""An offline HTML report of a run set: spectrograms, audio players and metrics per item.

    python scripts/report.py --manifest outputs/runs/manifest.json \
        --evaluation outputs/runs/evaluation/evaluation.csv

Writes --output (default: report.html beside the manifest) and its spectrogram PNGs in
<report>_files/; links are relative, so the folder can be moved or archived whole.
"""
from neural_style_audio.cli.report import console_main

if __name__ == "__main__":
    console_main()
