"""Every model family on real data: UNLP 2025 manipulation techniques (Ukrainian and Russian posts).

    .venv/bin/python bench/train_families.py [--data ../shared/data/unlp2025/train.parquet]
        [--families linear encoder_linear finetuned ensemble] [--folds 5] [--finetune-folds 1]
        [--out bench/train_families.json]

The data is not part of the project (CC BY-NC-SA 4.0, ../shared/data/README.md); where the path
is absent the script says so and exits 0.

Steps: 1. read the posts and their 10 technique labels  2. a fixed, seeded 5-fold split
stratified by language  3. for each family, in its own process (so peak RSS is its own): per
fold, tune thresholds on the training part (the family's own validation), fit, score the test
part  4. macro-F1 (mean over techniques, the shared task's metric) and samples-F1 (zero_division
0; a post with no technique and none predicted scores 0) per language, with the spread over
folds; training seconds, inference texts/s, peak RSS  5. a table, and JSON for RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from narrascope.families.ensemble import EnsembleModel
from narrascope.metrics import summary
from narrascope.training.config import TrainConfig
from narrascope.training.ensemble import best_weights
from narrascope.training.thresholds import tune_thresholds
from narrascope.training.train import make_trainer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared/data/unlp2025/train.parquet"
SEED = 13


def main() -> None:
    args = _args()
    if not Path(args.data).is_file():
        print(f"{args.data} not found: the UNLP 2025 data is not here, nothing to measure.")
        return
    if args.one:
        print(json.dumps(run_family(args.one, args)))
        return
    results = [_in_subprocess(family, args) for family in args.families]
    _print_table(results)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument(
        "--families", nargs="+", default=["linear", "encoder_linear", "finetuned", "ensemble"]
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--finetune-folds",
        type=int,
        default=1,
        help="folds to run for the fine-tuned family (minutes each on 2 cores)",
    )
    parser.add_argument("--finetune-epochs", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "bench/train_families.json"))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one family here
    return parser.parse_args()


def load_unlp(path: str):
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["content", "lang", "techniques"]).to_pylist()
    labels = sorted({t for row in table for t in (row["techniques"] or [])})
    texts = [row["content"] for row in table]
    langs = np.array([row["lang"] for row in table])
    y = np.array([[lab in (row["techniques"] or []) for lab in labels] for row in table])
    return texts, langs, y, labels


def run_family(family: str, args) -> dict:
    texts, langs, y, labels = load_unlp(args.data)
    config = _config(family, args)
    splits = list(StratifiedKFold(args.folds, shuffle=True, random_state=SEED).split(texts, langs))
    if family == "finetuned":
        splits = splits[: args.finetune_folds]
    folds, shared = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for k, (train_idx, test_idx) in enumerate(splits):
            if family == "ensemble":
                # encoder_linear embeds each post once; its trainer caches across folds
                shared = shared or make_trainer(_config("encoder_linear", args), Path(tmp))
                members = [make_trainer(_config("linear", args), Path(tmp)), shared]
                trainer = _FoldEnsemble(members, config)
            else:
                trainer = shared or make_trainer(config, Path(tmp) / f"fold{k}")
                shared = trainer if family == "encoder_linear" else None
            folds.append(_one_fold(trainer, config, texts, langs, y, train_idx, test_idx))
            print(f"{family} fold {k}: {json.dumps(folds[-1]['macro_f1'])}", file=sys.stderr)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"family": family, "labels": labels, "folds": folds, "peak_rss_mb": round(peak_mb)}


class _FoldEnsemble:
    """linear + encoder_linear trained on the fold, weighted on their out-of-fold scores by
    macro-F1 (the registry-based ensemble family does the same with stored scores)."""

    def __init__(self, members, config: TrainConfig):
        self.members, self.config = members, config

    def fit(self, texts, y):
        models = [m.fit(texts, y) for m in self.members]
        stacked = [m.validate(texts, y)[1] for m in self.members]  # out-of-fold: every row
        self.weights = best_weights(
            stacked, lambda s: _macro_f1(s, y, self.config), self.config.ensemble.weight_step
        )
        self.combined = sum(w * s for w, s in zip(self.weights, stacked))
        return EnsembleModel(models, self.weights)

    def validate(self, texts, y):
        return np.arange(len(texts)), self.combined


def _macro_f1(scores: np.ndarray, y: np.ndarray, config: TrainConfig) -> float:
    return summary(y, scores >= tune_thresholds(y, scores, config.thresholds))["macro_f1"]


def _config(family: str, args) -> TrainConfig:
    if family == "ensemble":  # members come from their own configs; the grid from this one
        return TrainConfig.from_dict({"train_data": [], "ensemble": {"weight_step": 0.1}})
    raw = TrainConfig.from_yaml(ROOT / f"configs/{family}.yaml").to_dict()
    raw["train_data"] = []  # the data comes from the parquet file, not from the config
    if family == "finetuned":
        raw["finetune"]["epochs"] = args.finetune_epochs
    return TrainConfig.from_dict(raw)


def _one_fold(trainer, config, texts, langs, y, train_idx, test_idx) -> dict:
    train_texts = [texts[i] for i in train_idx]
    started = time.perf_counter()
    model = trainer.fit(train_texts, y[train_idx])
    val_idx, val_scores = trainer.validate(train_texts, y[train_idx])
    thresholds = tune_thresholds(y[train_idx][val_idx], val_scores, config.thresholds)
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scores = model.scores([texts[i] for i in test_idx])
    rate = len(test_idx) / (time.perf_counter() - started)
    truth, guess = y[test_idx], scores >= thresholds
    fold = {
        "train_seconds": round(train_seconds, 1),
        "texts_per_second": round(rate, 1),
        "macro_f1": {},
        "samples_f1": {},
    }
    for lang in ["all", *sorted(set(langs))]:
        rows = np.ones(len(test_idx), bool) if lang == "all" else langs[test_idx] == lang
        figures = summary(truth[rows], guess[rows])
        fold["macro_f1"][lang] = round(figures["macro_f1"], 4)
        fold["samples_f1"][lang] = round(figures["samples_f1"], 4)
    return fold


def _in_subprocess(family: str, args) -> dict:
    command = [
        sys.executable,
        __file__,
        "--one",
        family,
        "--data",
        args.data,
        "--folds",
        str(args.folds),
        "--finetune-folds",
        str(args.finetune_folds),
        "--finetune-epochs",
        str(args.finetune_epochs),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _stat(result: dict, metric: str, lang: str) -> str:
    values = [f[metric][lang] for f in result["folds"]]
    return f"{np.mean(values):.3f}±{np.std(values):.3f}"


def _print_table(results: list[dict]) -> None:
    print(
        "\nfamily          folds  macro-F1 all  uk            ru            samples-F1 all"
        "  train s  texts/s  peak RSS"
    )
    for r in results:
        folds = r["folds"]
        print(
            f"{r['family']:15s} {len(folds):5d}  {_stat(r, 'macro_f1', 'all')}   "
            f"{_stat(r, 'macro_f1', 'uk')}   {_stat(r, 'macro_f1', 'ru')}   "
            f"{_stat(r, 'samples_f1', 'all')}     "
            f"{np.mean([f['train_seconds'] for f in folds]):6.0f}  "
            f"{np.mean([f['texts_per_second'] for f in folds]):7.1f}  {r['peak_rss_mb']} MB"
        )


if __name__ == "__main__":
    main()
