"""Quality floors of the committed configs on the held-out split (slow: full training)."""

from __future__ import annotations

import pytest

from narrascope.data import load_documents
from narrascope.eval.report import evaluate
from narrascope.predictor import Predictor
from narrascope.training.config import TrainConfig
from narrascope.training.train import train

# (config, overall narratives floor, per-language floor, subnarratives floor), each set below
# the figures measured when it was written (README): linear 0.592 / 0.47 / 0.505,
# encoder_linear 0.849 / 0.686 / 0.818, finetuned 0.881 / 0.706 / 0.851 (about 2.5 minutes).
# Since issue 12 no narrative is forced below its threshold, which costs recall on this corpus
# (bench/RESULTS.md, "Decoding rule"): encoder_linear 0.768 / 0.569 (zh) / 0.754, finetuned
# 0.803 / 0.647 / 0.780; encoder_linear's per-language floor moved from 0.6 to 0.5 with it.
FLOORS = [
    ("configs/linear.yaml", 0.5, 0.35, 0.4),
    ("configs/encoder_linear.yaml", 0.75, 0.5, 0.7),
    ("configs/finetuned.yaml", 0.78, 0.6, 0.72),
]


@pytest.mark.slow
@pytest.mark.parametrize(("config", "overall", "per_language", "subs"), FLOORS)
def test_committed_config_quality_floor(
    tmp_path, root, taxonomy, config, overall, per_language, subs
):
    artifact = train(TrainConfig.from_yaml(root / config), tmp_path / "m", root=root)
    docs = load_documents(root / "data/corpus/test.jsonl", taxonomy).documents
    report = evaluate(Predictor(artifact), docs, data_name="test")
    narratives = report["levels"]["narratives"]
    assert narratives["overall"]["samples_f1"]["value"] >= overall
    languages = narratives["groups"]["language"].values()
    assert min(f["samples_f1"]["value"] for f in languages) >= per_language
    assert report["levels"]["subnarratives"]["overall"]["samples_f1"]["value"] >= subs
