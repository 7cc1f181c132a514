"""scripts/compare_losses.py end to end on two tiny triplets (random-weight models)."""
import json
import subprocess
import sys

import pytest
import soundfile as sf

from conftest import REPO, SR, harmonic_tone


@pytest.mark.slow
def test_compare_losses_writes_table_for_every_method(tmp_path):
    entries = []
    for i, (f0, f1) in enumerate([(220, 330), (262, 196)]):
        names = {}
        for role, f, decay in (("content", f0, 0.3), ("style", f1, 1.5), ("target", f0, 1.5)):
            path = tmp_path / f"{role}{i}.wav"
            sf.write(path, harmonic_tone(f, 1.0, decay=decay), SR)
            names[role] = path.name
        entries.append(dict(id=i, **names))
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(entries))
    out = tmp_path / "cmp"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "compare_losses.py"), f"--manifest={manifest}",
         f"--output_dir={out}", "--iterations=2", "--n_filters=16", "--griffin_lim_iters=2",
         "--perceptual_model=random:0.125", "--vgg_weights=random", "--vgg_feature=mfcc"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = (out / "comparison.csv").read_text().splitlines()
    systems = {line.split(",")[1] for line in table[1:]}
    assert systems == {"l2", "perceptual", "vgg19", "copy_content", "copy_style"}
    assert len(table) == 1 + 2 * 5
    assert (out / "comparison.md").is_file() and (out / "comparison.png").is_file()
    bad = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "compare_losses.py"), f"--manifest={manifest}",
         f"--output_dir={out}", "--methods=l2,nope"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "unknown" in bad.stderr and "Traceback" not in bad.stderr
