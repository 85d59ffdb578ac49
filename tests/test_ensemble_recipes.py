"""One command trains linear + encoder_linear and their ensemble (configs/ensemble_full.yaml).

The encoder member runs on the tiny local BERT (about a minute on 2 cores, so `slow`); the
committed recipe itself is checked for what it names in the default suite.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from narrascope.errors import DataError
from narrascope.predictor import Predictor
from narrascope.training.config import TrainConfig
from narrascope.training.train import train


@pytest.fixture(scope="module")
def recipes(tmp_path_factory, root, tiny_encoder):
    folder = tmp_path_factory.mktemp("recipes")
    linear = {"family": "linear", "linear": {"ngram_range": [2, 4], "max_features": 20000}}
    encoder = {
        "family": "encoder_linear",
        "encoder": {"base_model": str(tiny_encoder), "max_tokens": 64, "stride": 8, "prefix": ""},
    }
    paths = []
    for name, raw in (("linear", linear), ("encoder", encoder)):
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def bundled(tmp_path_factory, root, recipes):
    lines = (root / "data/corpus/train.jsonl").read_text(encoding="utf-8").splitlines()
    data = tmp_path_factory.mktemp("data") / "small.jsonl"
    data.write_text("\n".join(lines[::3]) + "\n", encoding="utf-8")
    config = TrainConfig.from_dict(
        {
            "family": "ensemble",
            "train_data": [str(data)],
            "ensemble": {"recipes": recipes, "weight_step": 0.25},
            "thresholds": {"folds": 3},
        }
    )
    return train(config, tmp_path_factory.mktemp("out") / "ensemble", root=root)


@pytest.mark.slow
def test_one_command_trains_members_and_ensemble(bundled):
    manifest = json.loads((bundled / "manifest.json").read_text())
    spec = manifest["ensemble"]
    assert spec["bundled"] and [m["family"] for m in spec["members"]] == [
        "linear",
        "encoder_linear",
    ]
    assert np.isclose(sum(m["weight"] for m in spec["members"]), 1.0)
    for member in spec["members"]:
        assert (bundled / member["path"] / "member.json").is_file()


@pytest.mark.slow
def test_bundled_ensemble_scores_are_the_weighted_members(bundled):
    from narrascope.families import load_family

    predictor = Predictor(bundled)  # self-contained: no registry needed
    texts = ["NATO expansion left Russia no choice.", "The weather was mild in Lyon today."]
    manifest = json.loads((bundled / "manifest.json").read_text())
    expected = 0
    for member in manifest["ensemble"]["members"]:
        path = bundled / member["path"]
        spec = json.loads((path / "member.json").read_text())
        expected = expected + member["weight"] * load_family(spec, path).scores(texts)
    assert np.allclose(predictor.scores(texts), expected)
    assert len(predictor.predict(texts)) == 2


@pytest.mark.slow
def test_bundled_ensemble_registers_and_loads(bundled, tmp_path):
    from narrascope.model_registry import Registry

    registry = Registry(tmp_path / "reg")
    version = registry.register(bundled)
    texts = ["Sanctions only hurt Europe."]
    assert np.allclose(registry.load(version).scores(texts), Predictor(bundled).scores(texts))


def test_committed_recipe_and_bad_recipes(root, tmp_path):
    config = TrainConfig.from_yaml(root / "configs/ensemble_full.yaml")
    assert config.family == "ensemble" and len(config.ensemble.recipes) >= 2
    families = [TrainConfig.from_yaml(root / r).family for r in config.ensemble.recipes]
    assert families == ["linear", "encoder_linear"]
    from narrascope.training.ensemble_recipes import member_config

    nested = tmp_path / "nested.yaml"
    nested.write_text("family: ensemble\n", encoding="utf-8")
    with pytest.raises(DataError, match="cannot itself be an ensemble"):
        member_config(config, str(nested))
    member = member_config(config, str(root / "configs/linear.yaml"))
    assert member.train_data == config.train_data and member.seed == config.seed
