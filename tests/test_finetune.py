"""The fine-tuned family on a tiny local BERT: artifact, determinism, checkpoint resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

from narrascope.predictor import Predictor
from narrascope.training import finetune
from narrascope.training.config import TrainConfig
from narrascope.training.train import train


def _config(root, tiny_encoder, **finetune_settings) -> TrainConfig:
    cfg = TrainConfig.from_yaml(root / "configs/finetuned.yaml").to_dict()
    cfg["encoder"].update(base_model=str(tiny_encoder), max_tokens=64, stride=8, prefix="")
    cfg["finetune"].update({"epochs": 2, **finetune_settings})
    return TrainConfig.from_dict(cfg)


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory, root, tiny_encoder):
    return train(_config(root, tiny_encoder), tmp_path_factory.mktemp("ft") / "m", root=root)


def test_artifact_stores_changed_weights_only(finetuned):
    from safetensors.numpy import load_file

    names = sorted(p.name for p in finetuned.iterdir())
    assert names == [
        "README.md",
        "encoder.safetensors",
        "heads.safetensors",
        "manifest.json",
        "taxonomy.yaml",
        "validation.npz",
    ]
    stored = load_file(str(finetuned / "encoder.safetensors"))
    assert "embeddings.word_embeddings.weight" not in stored  # frozen: the base's are used
    manifest = json.loads((finetuned / "manifest.json").read_text())
    assert manifest["metrics"]["validation"]["kind"] == "held-out validation split"
    history = manifest["finetune"]["history"]
    assert [h["epoch"] for h in history] == [0, 1, 2]
    assert (
        manifest["finetune"]["best_epoch"]
        == min(history, key=lambda h: h["validation_loss"])["epoch"]
    )
    assert not (finetuned.parent / "m.checkpoints").exists()  # removed once training finished


def test_fine_tuning_changed_the_encoder_and_round_trips(finetuned, tiny_encoder):
    from narrascope.encoders.encoder import TextEncoder

    texts = ["Sanctions have failed.", "Парламент принял бюджет."]
    predictor = Predictor(finetuned)
    assert np.array_equal(predictor.scores(texts), Predictor(finetuned).scores(texts))
    base = TextEncoder(tiny_encoder, max_tokens=64, stride=8, prefix="").embed(texts)
    tuned = predictor.model.encoder.embed(texts)
    assert not np.allclose(base, tuned, atol=1e-4)


def test_same_seed_same_weights(tmp_path, root, tiny_encoder, finetuned):
    again = train(_config(root, tiny_encoder), tmp_path / "m", root=root)
    for name in ("encoder.safetensors", "heads.safetensors"):
        assert (again / name).read_bytes() == (finetuned / name).read_bytes()


def test_activation_checkpointing_only_trades_time_for_memory(tmp_path, root, tiny_encoder):
    """Recomputed activations and stored ones (the default) give the same fine-tuned weights."""
    from safetensors.numpy import load_file

    on = train(
        _config(root, tiny_encoder, epochs=1, gradient_checkpointing=True),
        tmp_path / "on",
        root=root,
    )
    off = train(_config(root, tiny_encoder, epochs=1), tmp_path / "off", root=root)
    stored_on = load_file(str(on / "encoder.safetensors"))
    stored_off = load_file(str(off / "encoder.safetensors"))
    assert stored_on.keys() == stored_off.keys()
    for name, weights in stored_on.items():
        np.testing.assert_allclose(weights, stored_off[name], atol=1e-6, err_msg=name)


def test_an_interrupted_run_resumes_to_the_same_weights(
    tmp_path, root, tiny_encoder, finetuned, monkeypatch
):
    original = finetune.FinetuneTrainer._epoch

    def crash_in_epoch_two(self, *args):
        if args[-1] == 2:
            raise KeyboardInterrupt("simulated crash")
        return original(self, *args)

    monkeypatch.setattr(finetune.FinetuneTrainer, "_epoch", crash_in_epoch_two)
    with pytest.raises(KeyboardInterrupt):
        train(_config(root, tiny_encoder), tmp_path / "m", root=root)
    progress = json.loads((tmp_path / "m.checkpoints/progress.json").read_text())
    assert [h["epoch"] for h in progress["history"]] == [0, 1]
    monkeypatch.setattr(finetune.FinetuneTrainer, "_epoch", original)
    resumed = train(_config(root, tiny_encoder), tmp_path / "m", root=root)
    for name in ("encoder.safetensors", "heads.safetensors"):
        assert (resumed / name).read_bytes() == (finetuned / name).read_bytes()


def test_checkpoints_of_another_config_are_not_resumed(tmp_path, root, tiny_encoder, capsys):
    stale = tmp_path / "m.checkpoints"
    stale.mkdir()
    (stale / "progress.json").write_text(json.dumps({"key": "other", "history": []}))
    train(_config(root, tiny_encoder, epochs=1), tmp_path / "m", root=root)
    assert "resuming" not in capsys.readouterr().out


def test_batches_are_split_by_token_budget(root, tiny_encoder, tmp_path):
    trainer = finetune.FinetuneTrainer(
        _config(root, tiny_encoder, max_batch_tokens=40), tmp_path / "m"
    )
    texts = ["word " * n for n in (5, 10, 30, 2, 50)]
    trainer._count_tokens(texts)
    chunks = trainer._token_chunks(np.arange(5))
    assert np.concatenate(chunks).tolist() == [0, 1, 2, 3, 4]  # every document, in order
    assert len(chunks) > 1
    counts = trainer.counts
    for chunk in chunks:  # within budget, unless one document alone exceeds it
        assert len(chunk) == 1 or sum(counts[i] + 2 for i in chunk) <= 40
