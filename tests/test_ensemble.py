"""Ensembles of registered models: weights tuned on stored validation scores, verified members."""

from __future__ import annotations

import json

import numpy as np
import pytest

from narrascope.errors import ArtifactError, DataError
from narrascope.model_registry import Registry
from narrascope.predictor import Predictor
from narrascope.training.config import TrainConfig
from narrascope.training.train import train


@pytest.fixture(scope="module")
def members(tmp_path_factory, root):
    """Two different linear models on the same 240 documents, registered as v1 and v2."""
    tmp = tmp_path_factory.mktemp("ensemble")
    lines = (root / "data/corpus/train.jsonl").read_text(encoding="utf-8").splitlines()
    data = tmp / "data.jsonl"
    data.write_text("\n".join(lines[::2][:240]) + "\n", encoding="utf-8")
    registry = Registry(tmp / "registry")
    for ngrams in ([2, 4], [1, 2]):
        raw = {
            "train_data": [str(data)],
            "linear": {"ngram_range": ngrams, "max_features": 5000},
            "thresholds": {"folds": 3},
        }
        out = train(TrainConfig.from_dict(raw), tmp / f"m{ngrams[1]}", root=root)
        registry.register(out)
    return registry, data


def _ensemble(registry, data, root, tmp_path, monkeypatch):
    monkeypatch.setenv("NARRASCOPE_REGISTRY", str(registry.root))
    raw = {
        "family": "ensemble",
        "train_data": [str(data)],
        "thresholds": {"folds": 3},
        "ensemble": {"members": ["v1", "v2"], "weight_step": 0.25},
    }
    return train(TrainConfig.from_dict(raw), tmp_path / "ens", root=root)


def test_every_artifact_stores_its_validation_scores(members):
    registry, _ = members
    with np.load(registry.artifact_path("v1") / "validation.npz", allow_pickle=False) as stored:
        assert stored["scores"].shape == (240, 41) and len(stored["text_sha256"]) == 240
        assert len(stored["text_sha256"][0]) == 64


def test_ensemble_weights_and_load_through_registry(members, root, tmp_path, monkeypatch):
    registry, data = members
    out = _ensemble(registry, data, root, tmp_path, monkeypatch)
    manifest = json.loads((out / "manifest.json").read_text())
    spec = manifest["ensemble"]["members"]
    assert [m["version"] for m in spec] == ["v1", "v2"]
    assert sum(m["weight"] for m in spec) == pytest.approx(1.0)
    version = registry.register(out)
    ensemble = registry.load(version)
    texts = ["Sanctions have failed and Europe freezes.", "Rain is expected on Tuesday."]
    expected = sum(m["weight"] * registry.load(m["version"]).scores(texts) for m in spec)
    assert np.allclose(ensemble.scores(texts), expected)
    # at least as good as its best member on the documents its weights were chosen on
    best_member = max(_validation_f1(registry, v) for v in ("v1", "v2"))
    assert manifest["metrics"]["validation"]["narratives"]["samples_f1"] >= best_member - 1e-9


def _validation_f1(registry, version) -> float:
    manifest = json.loads((registry.artifact_path(version) / "manifest.json").read_text())
    return manifest["metrics"]["validation"]["narratives"]["samples_f1"]


def test_ensemble_outside_the_registry_is_refused(members, root, tmp_path, monkeypatch):
    registry, data = members
    out = _ensemble(registry, data, root, tmp_path, monkeypatch)
    with pytest.raises(ArtifactError, match="loads through the registry"):
        Predictor(out)


def test_a_changed_member_is_refused(members, root, tmp_path, monkeypatch):
    registry, data = members
    out = _ensemble(registry, data, root, tmp_path, monkeypatch)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["ensemble"]["members"][0]["files_sha256"] = "0" * 64
    (out / "manifest.json").write_text(json.dumps(manifest))
    version = registry.register(out)
    with pytest.raises(ArtifactError, match="changed since the ensemble was trained"):
        registry.load(version)


def test_one_member_is_not_an_ensemble(members, root, tmp_path, monkeypatch):
    registry, data = members
    monkeypatch.setenv("NARRASCOPE_REGISTRY", str(registry.root))
    raw = {"family": "ensemble", "train_data": [str(data)], "ensemble": {"members": ["v1"]}}
    with pytest.raises(DataError, match="at least two members"):
        train(TrainConfig.from_dict(raw), tmp_path / "ens", root=root)
