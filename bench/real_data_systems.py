"""The systems bench/real_data.py compares: a plain scikit-learn baseline and each family.

Each `fit_and_predict(name, ds, train_idx, test_idx, cache)` fits on the training rows only and
returns the test rows' decisions as {level: bool matrix}. Families tune their thresholds on
out-of-fold scores of the training rows (as `narrascope train` does), with the data set's
objective; the ensemble reuses the linear and encoder_linear scores kept in `cache`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from narrascope.training.config import TrainConfig
from narrascope.training.ensemble import best_weights
from narrascope.training.thresholds import tune_thresholds

ROOT = Path(__file__).resolve().parents[1]


def baseline(ds: dict, train_idx, test_idx, cache) -> dict:
    """Issue #15's ten-line baseline, exactly: one logistic regression per label, cut at 0.5."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, max_features=200_000
    )
    x_train = vectorizer.fit_transform([ds["texts"][i] for i in train_idx])
    x_test = vectorizer.transform([ds["texts"][i] for i in test_idx])
    y = ds["y"][train_idx]
    binary = np.zeros((len(test_idx), y.shape[1]), dtype=bool)
    for j in range(y.shape[1]):
        if 0 < y[:, j].sum() < len(y):
            clf = LogisticRegression(C=4, class_weight="balanced", max_iter=2000)
            binary[:, j] = clf.fit(x_train, y[:, j]).predict(x_test).astype(bool)
    return ds["plain"](binary, test_idx)


def _config(family: str, ds: dict) -> TrainConfig:
    raw = TrainConfig.from_yaml(ROOT / f"configs/{family}.yaml").to_dict()
    raw["train_data"], raw["data_cards"] = [], []
    raw["thresholds"]["objective"] = ds["objective"]
    return TrainConfig.from_dict(raw)


def _family_scores(family: str, ds: dict, train_idx, test_idx, cache) -> dict:
    """{'oof', 'test'} scores of one family, computed once per data set."""
    if family in cache:
        return cache[family]
    from narrascope.training.train import make_trainer

    config = _config(family, ds)
    trainer = make_trainer(config, Path("/tmp/narrascope-bench"))
    if family == "encoder_linear":
        _load_embeddings(trainer)
    texts = [ds["texts"][i] for i in train_idx]
    y = ds["y"][train_idx]
    model = trainer.fit(texts, y)
    _, oof = trainer.validate(texts, y)
    test = model.scores([ds["texts"][i] for i in test_idx])
    if family == "encoder_linear":
        _save_embeddings(trainer)
    cache[family] = {"oof": oof, "test": test, "config": config}
    return cache[family]


def family(name: str):
    def run(ds: dict, train_idx, test_idx, cache) -> dict:
        scores = _family_scores(name, ds, train_idx, test_idx, cache)
        cfg = scores["config"].thresholds
        thresholds = tune_thresholds(ds["y"][train_idx], scores["oof"], cfg)
        return ds["decide"](scores["test"], thresholds, test_idx)

    return run


def ensemble(ds: dict, train_idx, test_idx, cache) -> dict:
    """linear + encoder_linear, weights and thresholds chosen on their out-of-fold scores."""
    members = [_family_scores(f, ds, train_idx, test_idx, cache) for f in MEMBERS]
    y = ds["y"][train_idx]
    cfg = members[0]["config"].thresholds
    truth = ds["truth"](train_idx)

    def objective(scores: np.ndarray) -> float:
        decided = ds["decide"](scores, tune_thresholds(y, scores, cfg), train_idx)
        return float(np.mean([_metric(ds["metric"], truth[k], decided[k]) for k in truth]))

    weights = best_weights([m["oof"] for m in members], objective, 0.1)
    oof = sum(w * m["oof"] for w, m in zip(weights, members))
    test = sum(w * m["test"] for w, m in zip(weights, members))
    cache["ensemble_weights"] = weights
    return ds["decide"](test, tune_thresholds(y, oof, cfg), test_idx)


def _metric(name: str, truth: np.ndarray, pred: np.ndarray) -> float:
    from narrascope.metrics import HEADLINE

    return HEADLINE[name](truth, pred)


MEMBERS = ("linear", "encoder_linear")
SYSTEMS = {
    "baseline": baseline,
    "linear": family("linear"),
    "encoder_linear": family("encoder_linear"),
    "ensemble": ensemble,
}


def fit_and_predict(name: str, ds: dict, train_idx, test_idx, cache: dict) -> dict:
    return SYSTEMS[name](ds, train_idx, test_idx, cache)


# -- embeddings on disk: the encoder is the slow part on 2 cores ----------------------------------
def _cache_path(trainer) -> Path:
    spec = {k: v for k, v in trainer.spec.items() if k not in ("batch_size", "threads")}
    key = hashlib.sha256(repr(sorted(spec.items())).encode()).hexdigest()[:16]
    base = Path(os.environ.get("NARRASCOPE_CACHE", Path.home() / ".cache/narrascope"))
    return base / "bench-embeddings" / f"{key}.npz"


def _load_embeddings(trainer) -> None:
    path = _cache_path(trainer)
    if not path.is_file():
        return
    with np.load(path, allow_pickle=False) as stored:
        known = dict(zip(stored["text_sha256"].astype(str), stored["vectors"]))
    trainer._by_digest = known
    original = trainer.embed

    def embed(texts):
        for text in texts:
            digest = hashlib.sha256(text.encode()).hexdigest()
            if text not in trainer._cache and digest in known:
                trainer._cache[text] = known[digest]
        return original(texts)

    trainer.embed = embed


def _save_embeddings(trainer) -> None:
    path = _cache_path(trainer)
    path.parent.mkdir(parents=True, exist_ok=True)
    digests = [hashlib.sha256(t.encode()).hexdigest() for t in trainer._cache]
    merged = dict(getattr(trainer, "_by_digest", {}))
    merged.update(zip(digests, trainer._cache.values()))
    np.savez(
        path,
        text_sha256=np.array(list(merged), dtype="S64"),
        vectors=np.stack(list(merged.values())).astype(np.float32),
    )
