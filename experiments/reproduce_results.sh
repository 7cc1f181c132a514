#!/usr/bin/env bash
# Reproduces the tables of docs/RESULTS.md (CPU, 2 cores: about 3 hours).
# Some iteration counts are below the published ones to fit a 2-core CPU budget; each
# deviation is named where it happens and in docs/RESULTS.md.
#   bash experiments/reproduce_results.sh [OUT]   (default OUT=outputs/results)
# Needs fluidsynth + fluid-soundfont-gm (apt) and pretty_midi (pip install -e '.[pairs]').
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-outputs/results}
P=$OUT/pairs20
export TF_CPP_MIN_LOG_LEVEL=2

# 1. Paired set: 20 triplets, 3.2-s clips (8 beats at 150 BPM), 9 content / 8 style instruments.
[ -f $P/manifest.json ] || python scripts/make_pairs.py --n_triplets 20 --max_beats 8 \
    --tempo_bpm 150 --duration_s 3.2 --seed 0 --output_dir $P

# 2. Presets on every triplet, then the metrics against the copy baselines.
#    ulyanov and iitb at their full settings (L-BFGS-B up to 300 iterations); cnn_baseline
#    with 300 Adam steps instead of 2500 (CPU time). The runs/ulyanov and runs/iitb runs
#    (L-BFGS-B stopped at 100) show what the extra iterations change.
python scripts/run_pairs.py --manifest $P/manifest.json --preset ulyanov \
    --output_dir $OUT/runs/ulyanov_full
python scripts/run_pairs.py --manifest $P/manifest.json --preset iitb \
    --output_dir $OUT/runs/iitb_full
python scripts/run_pairs.py --manifest $P/manifest.json --preset ulyanov --iterations 100 \
    --output_dir $OUT/runs/ulyanov
python scripts/run_pairs.py --manifest $P/manifest.json --preset iitb --iterations 100 \
    --output_dir $OUT/runs/iitb
python scripts/run_pairs.py --manifest $P/manifest.json --preset cnn_baseline --iterations 300 \
    --output_dir $OUT/runs/cnn_baseline
for preset in ulyanov_full iitb_full ulyanov iitb cnn_baseline; do
  python scripts/evaluate.py --manifest $OUT/runs/$preset/manifest.json \
      --output_dir $OUT/eval/$preset
done

# 3. Content-loss comparison on 10 triplets: L2 / VGGish perceptual / VGG-19 (random
#    weights: ImageNet weights cannot be downloaded here), 50 iterations, 1024 filters.
python scripts/compare_losses.py --manifest $P/manifest.json --max_items 10 --iterations 50 \
    --n_filters 1024 --vgg_weights random --output_dir $OUT/compare_losses

# 4. DeepMix tables (final loss; one 3.2-s pair; 50 L-BFGS-B / optimiser iterations).
PAIR="--content $P/clips/twinkle_twinkle__alto_sax.flac --style $P/clips/frere_jacques__flute.flac"
python scripts/sweep.py $PAIR --preset deepmix --iterations 50 --griffin_lim_iters 50 \
    --grid n_filters=128,256,512,1024,2048,4096 --grid filter_width=5,10,15,20,25,30 \
    --metrics mfcc_stats_distance,chroma_similarity --metric mfcc_stats_distance --noplot \
    --output_dir $OUT/sweeps/filters_width
python scripts/sweep.py $PAIR --preset deepmix --n_layers 2 --n_filters 1024 --iterations 50 \
    --griffin_lim_iters 50 --grid optimizer=rmsprop,adam,lbfgs \
    --grid learning_rate=0.1,0.01,0.001,0.0001 --metrics mfcc_stats_distance,chroma_similarity \
    --metric mfcc_stats_distance --noplot \
    --output_dir $OUT/sweeps/two_layer_optimizers
python scripts/sweep.py --content $P/clips/twinkle_twinkle__alto_sax.flac \
    --content $P/clips/amazing_grace__clarinet.flac --style $P/clips/frere_jacques__flute.flac \
    --preset deepmix --iterations 50 --griffin_lim_iters 200 --noplot \
    --grid content_weight=0.0001,0.001,0.01,0.1,1,10,100 --metric chroma_similarity \
    --output_dir $OUT/sweeps/alpha
