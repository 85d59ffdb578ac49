"""The encoder + linear heads family on a tiny local BERT: windows, pooling, train, save, load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from narrascope.encoders.encoder import TextEncoder
from narrascope.errors import ArtifactError
from narrascope.predictor import Predictor
from narrascope.training.config import TrainConfig
from narrascope.training.train import train


def _encoder_config(root, tiny_encoder, **encoder) -> TrainConfig:
    cfg = TrainConfig.from_yaml(root / "configs/encoder_linear.yaml").to_dict()
    cfg["encoder"].update(
        {"base_model": str(tiny_encoder), "max_tokens": 64, "stride": 8, "prefix": "", **encoder}
    )
    cfg["thresholds"]["folds"] = 3
    return TrainConfig.from_dict(cfg)


def test_windows_overlap_by_stride(tiny_encoder):
    encoder = TextEncoder(tiny_encoder, max_tokens=12, stride=4, prefix="")
    ids = encoder.tokenizer.content_ids(["word " * 40])[0]
    windows = encoder.windows(["word " * 40])
    assert all(len(w.ids) <= 10 for w in windows)
    assert windows[0].ids == ids[:10] and windows[1].ids == ids[6:16]
    assert windows[-1].ids[-1] == ids[-1]
    assert len(encoder.windows(["short"])) == 1


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_embeddings_are_normalised_and_batch_independent(tiny_encoder, pooling):
    encoder = TextEncoder(tiny_encoder, max_tokens=16, stride=2, pooling=pooling, prefix="")
    texts = ["a short one", "a much longer text " * 20, "третий текст"]
    together = encoder.embed(texts, batch_size=8)
    alone = np.stack([encoder.embed([t])[0] for t in texts])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-5)


def test_bad_pooling_and_stride_are_refused(tiny_encoder):
    with pytest.raises(ValueError, match="pooling"):
        TextEncoder(tiny_encoder, pooling="median")
    with pytest.raises(ValueError, match="stride"):
        TextEncoder(tiny_encoder, max_tokens=16, stride=14)


@pytest.fixture(scope="module")
def encoder_artifact(tmp_path_factory, root, tiny_encoder):
    out = tmp_path_factory.mktemp("enc") / "model"
    return train(_encoder_config(root, tiny_encoder), out, root=root)


def test_artifact_is_small_pickle_free_and_records_its_encoder(encoder_artifact, tiny_encoder):
    names = sorted(p.name for p in encoder_artifact.iterdir())
    assert names == [
        "README.md",
        "heads.safetensors",
        "manifest.json",
        "taxonomy.yaml",
        "validation.npz",
    ]
    manifest = json.loads((encoder_artifact / "manifest.json").read_text())
    assert manifest["family"] == "encoder_linear" and manifest["n_features"] == 32
    assert manifest["encoder"]["base_model"] == str(tiny_encoder)
    assert len(manifest["encoder"]["fingerprint"]) == 64


def test_round_trip_scores_are_identical(encoder_artifact, root):
    texts = ["Sanctions have failed.", "Парламент принял бюджет.", "北约东扩"]
    first = Predictor(encoder_artifact).scores(texts)
    assert first.shape == (3, 41)
    assert np.array_equal(first, Predictor(encoder_artifact).scores(texts))


def test_same_seed_same_heads(tmp_path, root, tiny_encoder, encoder_artifact):
    again = train(_encoder_config(root, tiny_encoder), tmp_path / "m", root=root)
    assert (again / "heads.safetensors").read_bytes() == (
        encoder_artifact / "heads.safetensors"
    ).read_bytes()


def test_a_different_encoder_is_refused(encoder_artifact, tiny_encoder, tmp_path):
    import shutil

    from tiny_encoder import build_tiny_encoder

    other = build_tiny_encoder(tmp_path / "other", ["completely different words"] * 50, seed=1)
    manifest = json.loads((encoder_artifact / "manifest.json").read_text())
    copy = tmp_path / "artifact"
    shutil.copytree(encoder_artifact, copy)
    manifest["encoder"]["base_model"] = str(other)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="not the one this model was trained with"):
        Predictor(copy)
