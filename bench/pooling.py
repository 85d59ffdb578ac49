"""How a long text's windows should combine: mean vs max vs attention-weighted pooling, and
per-window scoring with the max over windows, on the frozen encoder + logistic heads.

    .venv/bin/python bench/pooling.py [--unlp ../shared/data/unlp2025/train.parquet]

Steps: 1. every post is split into the encoder's windows (configs/encoder_linear.yaml: 256
tokens, stride 32) and each window embedded once (cached on disk)  2. the same seeded 80/20
split as bench/real_data.py  3. per strategy: heads fitted on the training posts, thresholds
tuned on their out-of-fold scores (per-label F1), macro-F1 on the test posts with a 95%
bootstrap interval, overall and on the posts longer than one window:
  mean       length-weighted mean of the window vectors (the default), heads on it
  max        element-wise max of the window vectors, heads on it
  attention  heads fitted on mean vectors; each label's document logit is the softmax-weighted
             mean of its window logits (the label's own head is the attention query)
  window-max heads fitted on mean vectors; a label's score is its best window's score
Exits 0 with a message where the data is absent.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_data import DEFAULT_UNLP, SEED, _interval, _metric, _resample_weights  # noqa: E402
from real_data_sets import load_unlp  # noqa: E402
from real_data_systems import _cache_path  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from narrascope.families import sigmoid  # noqa: E402
from narrascope.training.config import TrainConfig  # noqa: E402
from narrascope.training.encoder_linear import fit_encoder_heads  # noqa: E402
from narrascope.training.heads import out_of_fold  # noqa: E402
from narrascope.training.thresholds import tune_thresholds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unlp", default=str(DEFAULT_UNLP))
    args = parser.parse_args()
    if not Path(args.unlp).is_file():
        print(f"{args.unlp} not found: nothing to measure.")
        return 0
    ds = load_unlp(args.unlp)
    config = TrainConfig.from_yaml(ROOT / "configs/encoder_linear.yaml")
    vectors, owner, lengths = window_vectors(ds["texts"], config)
    n = len(ds["texts"])
    train_idx, test_idx = train_test_split(
        np.arange(n), test_size=0.2, random_state=SEED, stratify=ds["langs"]
    )
    windows_per_text = np.bincount(owner, minlength=n)
    long_rows = windows_per_text[test_idx] > 1
    print(f"test posts {len(test_idx)}, longer than one window {int(long_rows.sum())}")
    for name in ("mean", "max", "attention", "window-max"):
        pred = _strategy(name, ds["y"], vectors, owner, lengths, train_idx, test_idx, config)
        truth = ds["y"][test_idx]
        cells = []
        for rows in (np.ones(len(test_idx), bool), long_rows):
            weights = _resample_weights(int(rows.sum()), np.zeros(int(rows.sum())))["all"]
            point = _metric("macro_f1", truth[rows], pred[rows], np.ones((1, rows.sum())))[0]
            boot = _metric("macro_f1", truth[rows], pred[rows], weights)
            cells.append(_interval(point, boot))
        print(f"  {name:10s} macro-F1 all {_fmt(cells[0])}   multi-window posts {_fmt(cells[1])}")
    return 0


def _fmt(cell: dict) -> str:
    return f"{cell['value']:.3f} [{cell['low']:.3f}, {cell['high']:.3f}]"


def window_vectors(texts: list[str], config: TrainConfig):
    """(window vectors, owning text of each window, content tokens per window), cached."""
    from narrascope.training.encoder_linear import EncoderLinearTrainer

    trainer = EncoderLinearTrainer(config)
    digest = hashlib.sha256("\n\x00".join(texts).encode()).hexdigest()[:16]
    path = _cache_path(trainer).with_name(f"windows-{digest}.npz")
    if path.is_file():
        with np.load(path, allow_pickle=False) as stored:
            return stored["vectors"], stored["owner"], stored["lengths"]
    encoder = trainer.encoder
    windows = encoder.windows(texts)
    order = sorted(range(len(windows)), key=lambda k: len(windows[k].ids))
    vectors = np.zeros((len(windows), encoder.dim), dtype=np.float32)
    with encoder.torch.inference_mode(), encoder.autocast:
        for start in range(0, len(order), 32):
            chunk = order[start : start + 32]
            vectors[chunk] = encoder.mean_pool([windows[k].ids for k in chunk]).numpy()
    owner = np.array([w.text_index for w in windows])
    lengths = np.array([max(len(w.ids), 1) for w in windows])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, vectors=vectors, owner=owner, lengths=lengths)
    return vectors, owner, lengths


def pool(vectors, owner, lengths, n: int, how: str) -> np.ndarray:
    if how == "max":
        out = np.full((n, vectors.shape[1]), -np.inf, dtype=np.float32)
        np.maximum.at(out, owner, vectors)
    else:
        out = np.zeros((n, vectors.shape[1]), dtype=np.float32)
        np.add.at(out, owner, vectors * lengths[:, None])
        out /= np.bincount(owner, weights=lengths, minlength=n)[:, None]
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def window_scores(coef, intercept, vectors, owner, n: int, how: str) -> np.ndarray:
    """Document scores from per-window logits of heads trained on document vectors."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    logits = unit @ coef.T + intercept  # windows x labels
    if how == "window-max":
        best = np.full((n, logits.shape[1]), -np.inf)
        np.maximum.at(best, owner, logits)
        return sigmoid(best)
    # attention: softmax over a document's windows of each label's own logit
    shifted = np.exp(logits - logits.max())
    num = np.zeros((n, logits.shape[1]))
    den = np.zeros((n, logits.shape[1]))
    np.add.at(num, owner, shifted * logits)
    np.add.at(den, owner, shifted)
    return sigmoid(num / den)


def _strategy(name, y, vectors, owner, lengths, train_idx, test_idx, config) -> np.ndarray:
    n = len(y)
    docs = pool(vectors, owner, lengths, n, "max" if name == "max" else "mean")

    def scores_for(fit_rows, score_rows):
        coef, intercept = fit_encoder_heads(docs[fit_rows], y[fit_rows], config)
        if name in ("mean", "max"):
            return sigmoid(docs[score_rows] @ coef.T + intercept)
        all_scores = window_scores(coef, intercept, vectors, owner, n, name)
        return all_scores[score_rows]

    oof = out_of_fold(
        len(train_idx),
        y[train_idx],
        config.seed,
        config.thresholds.folds,
        lambda a, b: scores_for(train_idx[a], train_idx[b]),
    )
    thresholds = tune_thresholds(y[train_idx], oof, config.thresholds)
    return scores_for(train_idx, test_idx) >= thresholds


if __name__ == "__main__":
    raise SystemExit(main())
