"""Shared fixtures: one small real model trained on the bundled corpus, once per session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Must be set before bentoml is imported anywhere (see PITFALLS: /metrics hangs otherwise).
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="narrascope-prom-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")

import pytest  # noqa: E402

from narrascope.taxonomy import Taxonomy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Smaller than configs/linear.yaml so the session fixture trains in a few seconds.
FAST_CONFIG = {
    "train_data": ["data/corpus/train.jsonl"],
    "taxonomy": "data/taxonomy.yaml",
    "data_cards": ["data_cards/narrascope-corpus.md"],
    "seed": 13,
    "linear": {"ngram_range": [2, 4], "max_features": 20000},
    "thresholds": {"folds": 3},
}


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return Taxonomy.load(ROOT / "data/taxonomy.yaml")


@pytest.fixture(scope="session")
def fast_config() -> dict:
    return FAST_CONFIG


@pytest.fixture(scope="session")
def artifact(tmp_path_factory) -> Path:
    from narrascope.training.config import TrainConfig
    from narrascope.training.train import train

    out = tmp_path_factory.mktemp("artifact") / "linear"
    return train(TrainConfig.from_dict(FAST_CONFIG), out, root=ROOT)


@pytest.fixture(scope="session")
def registry_root(tmp_path_factory, artifact) -> Path:
    """A registry with the session model registered as v1 and aliased `production`."""
    from narrascope.model_registry import Registry

    path = tmp_path_factory.mktemp("registry")
    registry = Registry(path)
    registry.set_alias("production", registry.register(artifact))
    return path


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory, root) -> Path:
    from tiny_encoder import build_tiny_encoder

    from narrascope.data import load_documents

    texts = [d.text for d in load_documents(root / "data/corpus/train.jsonl").documents]
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-encoder"), texts)


@pytest.fixture(scope="session")
def degraded_registry(registry_root, artifact, tmp_path_factory):
    """v1 (the session model, `production`) and v2: the same recipe with every Chinese document
    taught as one narrative -- a model deliberately degraded in one language."""
    import json
    import shutil

    from narrascope.model_registry import Registry
    from narrascope.training.config import TrainConfig
    from narrascope.training.train import train

    work = tmp_path_factory.mktemp("degraded")
    rows = [
        json.loads(line) for line in (ROOT / "data/corpus/train.jsonl").read_text().splitlines()
    ]
    for row in rows:
        if row["lang"] == "zh":
            row["narratives"], row["subnarratives"] = ["CC.hoax"], []
    data = work / "train.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    config = TrainConfig.from_dict({**FAST_CONFIG, "train_data": [str(data)]})
    degraded = train(config, work / "artifact", root=ROOT)
    registry_path = work / "registry"
    shutil.copytree(registry_root, registry_path)
    Registry(registry_path).register(degraded, note="Chinese labels corrupted")
    return registry_path
