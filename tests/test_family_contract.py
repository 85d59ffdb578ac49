"""One contract every model family keeps, on tiny data: what was trained is what is loaded.

For each family: fit in memory, save, load through `load_family` (the Predictor's path), and the
loaded scores equal the in-memory model's (a save bug shows here; comparing two loads of one file
would not see it). The same seed gives the same bytes, scores are probabilities, nothing is
pickled, and a full `train()` keeps its thresholds and taxonomy in the artifact.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from narrascope.data import load_documents
from narrascope.decode import Decoder
from narrascope.families import load_family
from narrascope.metrics import binarise
from narrascope.predictor import Predictor
from narrascope.schema import OTHER
from narrascope.training.config import TrainConfig
from narrascope.training.train import make_trainer, train

FAMILIES = ["linear", "encoder_linear", "finetuned", "ensemble"]
PROBES = [
    "NATO expansion left Russia no choice: the West provoked this war.",
    "Der Stadtrat beschließt den Haushalt für das kommende Jahr.",
    "Санкции разрушают экономику Европы, а не России.",
    "🙂",
]
PICKLE_SUFFIXES = {".pkl", ".pickle", ".pt", ".pth", ".bin", ".joblib"}


def _raw_config(family: str, root: Path, data: Path, tiny_encoder: Path) -> dict:
    raw = TrainConfig.from_yaml(root / f"configs/{family}.yaml").to_dict()
    raw.update(train_data=[str(data)], data_cards=[], seed=13)
    raw["thresholds"]["folds"] = 3
    raw["encoder"].update(base_model=str(tiny_encoder), max_tokens=64, stride=8, prefix="")
    raw["finetune"]["epochs"] = 1
    raw["linear"]["max_features"] = 5000
    if family == "ensemble":
        raw["ensemble"]["members"] = ["v1", "v2"]
    return raw


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, root) -> Path:
    lines = (root / "data/corpus/train.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("contract") / "tiny.jsonl"
    path.write_text("\n".join(lines[::6]) + "\n", encoding="utf-8")  # ~90, every language
    return path


@pytest.fixture
def setting(request, root, tiny_data, tiny_encoder, taxonomy, degraded_registry, monkeypatch):
    """(family, config, texts, y, labels, loader) for one family."""
    from narrascope.model_registry import Registry

    family = request.param
    monkeypatch.setenv("NARRASCOPE_REGISTRY", str(degraded_registry))  # ensemble members
    config = TrainConfig.from_dict(_raw_config(family, root, tiny_data, tiny_encoder))
    docs = load_documents(tiny_data, taxonomy).documents
    labels = [*taxonomy.narrative_ids, *taxonomy.subnarrative_ids, OTHER]
    sets = [{*d.narratives, *d.subnarratives} | ({OTHER} if d.is_other else set()) for d in docs]
    loader = Registry(degraded_registry).load
    return family, config, [d.text for d in docs], binarise(sets, labels), labels, loader


def _fit(setting, work: Path):
    family, config, texts, y, labels, _ = setting
    from narrascope.taxonomy import Taxonomy

    decoder = Decoder(labels, Taxonomy.load(config.taxonomy))
    trainer = make_trainer(config, work, decoder)
    model = trainer.fit(texts, y)
    trainer.validate(texts, y)  # the protocol: validation scores of what fit() trained
    return model, {"family": family, "labels": labels, **trainer.describe(model)}


def _saved_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("setting", FAMILIES, indirect=True)
def test_family_keeps_the_contract(setting, tmp_path, root):
    family, config, _, _, labels, loader = setting
    model, manifest = _fit(setting, tmp_path / "work")
    in_memory = model.scores(PROBES)
    saved = tmp_path / "saved"
    saved.mkdir()
    model.save(saved)
    loaded = load_family(json.loads(json.dumps(manifest)), saved, loader)

    # what is loaded scores exactly as what was trained
    assert np.allclose(loaded.scores(PROBES), in_memory, rtol=0, atol=1e-6)
    assert in_memory.shape == (len(PROBES), len(labels))
    assert np.all((in_memory >= 0) & (in_memory <= 1))
    _assert_no_pickle(saved)

    # a full train() with the same seed writes the same weight bytes, and keeps its
    # thresholds and taxonomy
    artifact = train(config, tmp_path / "artifact", root=root)
    files = _saved_files(saved)
    stored = {name: data for name, data in _saved_files(artifact).items() if name in files}
    assert stored == files, f"{family}: retraining with the same seed changed " + ", ".join(
        sorted(n for n in files if stored.get(n) != files[n])
    )
    predictor = Predictor(artifact, loader=loader)
    written = json.loads((artifact / "manifest.json").read_text())["thresholds"]
    assert dict(zip(predictor.labels, predictor.thresholds.tolist())) == written
    assert (artifact / "taxonomy.yaml").read_bytes() == (root / config.taxonomy).read_bytes()
    assert np.allclose(predictor.scores(PROBES), in_memory, rtol=0, atol=1e-6)
    _assert_no_pickle(artifact)


def _assert_no_pickle(folder: Path) -> None:
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        assert path.suffix not in PICKLE_SUFFIXES, path
        if path.suffix == ".npz":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    with archive.open(name) as member:  # each member is a .npy array
                        np.lib.format.read_array(member, allow_pickle=False)
        else:
            assert not path.read_bytes()[:2].startswith(b"\x80"), f"{path} looks pickled"
