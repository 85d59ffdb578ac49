"""bench/real_data.py: absent data is a message and exit 0; the narrative path scores systems
with intervals and paired differences (on the bundled corpus, baseline only, for speed)."""

from __future__ import annotations

import json
import subprocess
import sys


def _run(root, *args):
    command = [sys.executable, str(root / "bench/real_data.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=root)


def test_absent_data_exits_0_with_a_message(root, tmp_path):
    done = _run(root, "--unlp", str(tmp_path / "no.parquet"), "--data", str(tmp_path / "none"))
    assert done.returncode == 0, done.stderr
    assert "nothing to measure" in done.stdout and "not found" in done.stdout


def test_narratives_figures_have_intervals_and_paired_deltas(root, tmp_path):
    out = tmp_path / "r.json"
    done = _run(
        root,
        "--unlp",
        "",
        "--data",
        str(root / "data/corpus/train.jsonl"),
        "--systems",
        "baseline",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(out.read_text())
    figures = result["systems"]["baseline"]
    assert set(figures) >= {"narratives", "subnarratives"}
    overall = figures["narratives"]["all"]
    assert overall["samples_f1"]["low"] <= overall["samples_f1"]["value"]
    assert overall["samples_f1"]["value"] <= overall["samples_f1"]["high"]
    assert overall["samples_f1"]["value"] > 0.3  # the baseline learns the bundled corpus
    # The baseline against itself: a paired difference of exactly zero on every resample.
    assert overall["samples_f1_vs_baseline"] == {"value": 0.0, "low": 0.0, "high": 0.0}
    assert set(figures["narratives"]) == {"all", *result["per_language_test"]}
