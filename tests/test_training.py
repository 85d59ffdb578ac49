"""Train -> save -> load -> predict: reproducible, pickle-free, consistent with the taxonomy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from narrascope.data import load_documents
from narrascope.errors import ArtifactError, DataError
from narrascope.predictor import Predictor
from narrascope.training.config import TrainConfig
from narrascope.training.train import train


@pytest.fixture(scope="module")
def test_docs(root, taxonomy):
    return load_documents(root / "data/corpus/test.jsonl", taxonomy).documents


def test_artifact_has_manifest_card_and_no_pickle(artifact):
    names = sorted(p.name for p in artifact.iterdir())
    assert names == [
        "README.md",
        "manifest.json",
        "taxonomy.yaml",
        "validation.npz",
        "vocabulary.json",
        "weights.npz",
    ]
    manifest = json.loads((artifact / "manifest.json").read_text())
    for key in (
        "schema_version",
        "family",
        "labels",
        "thresholds",
        "languages",
        "config",
        "config_sha256",
        "data",
        "metrics",
        "git_commit",
        "model_id",
    ):
        assert key in manifest
    assert (
        len(manifest["labels"]) == 41
        and manifest["labels"][-1] == "Other"
        and set(manifest["thresholds"]) == set(manifest["labels"])
    )
    assert set(manifest["languages"]) >= {"en", "ru", "uk", "zh", "es", "de", "fr", "ar"}
    per_language = manifest["metrics"]["validation"]["narratives"]["per_language"]
    assert set(per_language) == set(manifest["languages"])
    assert sum(f["n"] for f in per_language.values()) == manifest["data"]["documents"]
    with np.load(artifact / "weights.npz", allow_pickle=False) as arrays:  # raises on object arrays
        assert arrays["coef"].shape == (41, manifest["n_features"])
    assert "Model card" in (artifact / "README.md").read_text()


def test_round_trip_reproduces_scores_of_the_trained_model(artifact, test_docs):
    texts = [d.text for d in test_docs[:50]]
    first, second = Predictor(artifact).scores(texts), Predictor(artifact).scores(texts)
    assert first.shape == (50, 41)
    assert np.array_equal(first, second)
    assert ((first >= 0) & (first <= 1)).all()


def test_same_seed_same_weights(tmp_path, root, artifact, fast_config):
    again = train(TrainConfig.from_dict(fast_config), tmp_path / "again", root=root)
    for name in ("weights.npz", "vocabulary.json"):
        assert (again / name).read_bytes() == (artifact / name).read_bytes()


def test_predictions_follow_the_taxonomy(artifact, test_docs, taxonomy):
    predictor = Predictor(artifact)
    outputs = predictor.predict([d.text for d in test_docs], threshold=0.2)
    for out in outputs:
        narratives = {s.id for s in out.narratives}
        # every chosen narrative has at least one subnarrative, every subnarrative its narrative
        assert {taxonomy.parent_of(s.id) for s in out.subnarratives} == narratives
        assert out.is_other == (not narratives)
        if out.other_score >= predictor.thresholds[-1]:  # the Other gate wins
            assert not narratives
        # every narrative shown reached the (overridden) threshold: none is forced
        assert all(s.score >= 0.2 for s in out.narratives)
    assert 0 < sum(o.is_other for o in outputs) < len(outputs)


def test_model_learns_something(artifact, test_docs):
    """Far better than chance on held-out text: propaganda scores above ordinary news."""
    predictor = Predictor(artifact)
    scores = predictor.scores([d.text for d in test_docs])
    other_score = scores[:, predictor.labels.index("Other")]
    other = np.array([d.is_other for d in test_docs])
    assert other_score[other].mean() > other_score[~other].mean() + 0.1


def test_threshold_override_and_language_hint(artifact, train_propaganda):
    predictor = Predictor(artifact)
    everything = predictor.predict([train_propaganda], threshold=0.0)[0]
    assert len(everything.narratives) == 12 and len(everything.subnarratives) == 28
    assert all(s.threshold == 0.0 for s in everything.narratives)
    least = predictor.predict([train_propaganda], ["fr"], threshold=1.0)[0]
    # nothing reaches 1.0, and no narrative is forced: the text is Other
    assert least.is_other and not least.subnarratives
    assert least.lang == "fr" and least.lang_confidence == 1.0


@pytest.fixture(scope="module")
def train_propaganda(root, taxonomy):
    """A training text the model saw as propaganda: its `Other` score is far below threshold."""
    docs = load_documents(root / "data/corpus/train.jsonl", taxonomy).documents
    return next(d.text for d in docs if len(d.narratives) == 1 and len(d.text) > 400)


def test_config_rejects_unknown_settings():
    with pytest.raises(DataError, match="field 'linear.ngrams': unknown setting"):
        TrainConfig.from_dict({"linear": {"ngrams": [1, 2]}})
    with pytest.raises(DataError, match="unknown family 'forest'"):
        TrainConfig.from_dict({"family": "forest"})


def test_committed_configs_load(root):
    families = {TrainConfig.from_yaml(p).family for p in (root / "configs").glob("*.yaml")}
    assert families == {"linear", "encoder_linear", "finetuned", "ensemble"}


def test_not_an_artifact(tmp_path):
    with pytest.raises(ArtifactError, match="manifest.json is missing"):
        Predictor(tmp_path)


def test_committed_linear_config_trains_on_tiny_data(tmp_path, root):
    """configs/linear.yaml as committed, on 120 documents (the full run is a slow test)."""
    lines = (root / "data/corpus/train.jsonl").read_text(encoding="utf-8").splitlines()
    tiny = tmp_path / "tiny.jsonl"
    tiny.write_text("\n".join(lines[::4][:120]) + "\n", encoding="utf-8")
    raw = TrainConfig.from_yaml(root / "configs/linear.yaml").to_dict()
    raw["train_data"] = [str(tiny)]
    out = train(TrainConfig.from_dict(raw), tmp_path / "m", root=root)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["data"]["documents"] == 120 and manifest["family"] == "linear"
