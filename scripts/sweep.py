"""A grid of transfer settings over a set of pairs: a table, heat-maps and audio per cell.

    python scripts/sweep.py --content a.wav --style b.wav \
        --grid n_filters=128,256,512 --grid filter_width=5,11 --iterations 50
    python scripts/sweep.py --manifest outputs/pairs/manifest.json \
        --grid content_weight=0.001,0.01,0.1 --metric log_spectral_distance

Any transfer flag can be a grid axis (and --grid preset=ulyanov,deepmix); the other
transfer flags fix the settings shared by all cells. Writes <output_dir>/sweep.csv,
sweep.md, sweep_final_loss.png, sweep_<metric>.png and the audio of every cell under
<output_dir>/cells/<cell>/. Cells already done are read back, not recomputed.
"""
from neural_style_audio.cli.sweep import console_main

if __name__ == "__main__":
    console_main()
