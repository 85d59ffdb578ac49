"""Every family against a plain scikit-learn baseline on real data, in one run.

    .venv/bin/python bench/real_data.py [--unlp ../shared/data/unlp2025/train.parquet]
        [--data SEMEVAL_FOLDER_OR_JSONL ...] [--taxonomy TAX.yaml]
        [--systems baseline linear encoder_linear ensemble] [--out bench/real_data.json]

Paths are read from the command line; a path that is absent is reported and skipped, and with
no data at all the script says so and exits 0. Nothing here is part of the project's data.

Steps: 1. each data set: UNLP 2025 techniques (flat multi-label, macro-F1 as in the shared
task) and any SemEval-layout folder or JSONL set (narratives and subnarratives, samples-F1 as
in SemEval; a SemEval folder's taxonomy is derived from its labels unless --taxonomy is given)
2. one fixed, seeded split stratified by language (80/20)  3. each system fits on the training
part: the plain baseline (char_wb 2-5 TF-IDF, sublinear tf, 200k features + logistic regression
C=4, balanced, cut at 0.5), each family (thresholds tuned on its out-of-fold scores), and the
ensemble of linear + encoder_linear (weights on the same out-of-fold scores)  4. on the test
part: figures overall and per language with 95% bootstrap intervals, and each system's paired
difference to the baseline (same resamples)  5. a table, and JSON for bench/RESULTS.md.
Embeddings are cached on disk (`$NARRASCOPE_CACHE/bench-embeddings`), keyed by text and encoder.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_data_sets import load_jsonl_or_semeval, load_unlp  # noqa: E402
from real_data_systems import SYSTEMS, fit_and_predict  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from narrascope.metrics import f1_from_counts  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_UNLP = ROOT.parent / "shared/data/unlp2025/train.parquet"
SEED = 13
BOOTSTRAP = 1000


def main() -> int:
    args = _args()
    data_sets = _data_sets(args)
    if not data_sets:
        print("no real data found at the given paths: nothing to measure.")
        return 0
    results = [run_data_set(ds, args) for ds in data_sets]
    for result in results:
        _print_table(result)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unlp", default=str(DEFAULT_UNLP), help="UNLP 2025 train.parquet")
    parser.add_argument("--data", nargs="*", default=[], help="SemEval folders or JSONL files")
    parser.add_argument("--taxonomy", help="taxonomy for --data (default: derived / bundled)")
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=list(SYSTEMS))
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--out", default=str(ROOT / "bench/real_data.json"))
    return parser.parse_args()


def _data_sets(args) -> list[dict]:
    found = []
    if args.unlp and Path(args.unlp).is_file():
        found.append(load_unlp(args.unlp))
    elif args.unlp:
        print(f"{args.unlp} not found: skipping UNLP 2025.")
    for path in args.data:
        if Path(path).exists():
            found.append(load_jsonl_or_semeval(path, args.taxonomy))
        else:
            print(f"{path} not found: skipping it.")
    return found


def run_data_set(ds: dict, args) -> dict:
    """Fit every system on one seeded split of `ds`, score its test part against the baseline."""
    n = len(ds["texts"])
    train_idx, test_idx = train_test_split(
        np.arange(n), test_size=args.test_fraction, random_state=SEED, stratify=ds["langs"]
    )
    print(f"\n{ds['name']}: {n} documents, train {len(train_idx)}, test {len(test_idx)}")
    truth = ds["truth"](test_idx)
    langs = np.asarray(ds["langs"])[test_idx]
    resamples = _resample_weights(len(test_idx), langs)
    systems, cache = {}, {}
    for name in args.systems:
        started = time.perf_counter()
        pred = fit_and_predict(name, ds, train_idx, test_idx, cache)
        seconds = time.perf_counter() - started
        systems[name] = {"seconds": round(seconds, 1), "pred": pred}
        print(f"  {name}: {seconds:.0f} s", file=sys.stderr)
    base = systems.get("baseline")
    table = {}
    for name, system in systems.items():
        table[name] = _figures(truth, system["pred"], base and base["pred"], langs, resamples)
        table[name]["train_and_predict_seconds"] = system["seconds"]
    return {
        "data_set": ds["name"],
        "metric": ds["metric"],
        "documents": n,
        "test_documents": len(test_idx),
        "per_language_test": {str(k): int((langs == k).sum()) for k in sorted(set(langs))},
        "systems": table,
    }


def _resample_weights(n: int, langs: np.ndarray) -> dict[str, np.ndarray]:
    """Bootstrap multiplicity matrices (resamples x documents): overall and within each
    language; every system is scored on the same resamples, so differences are paired."""
    rng = np.random.default_rng(SEED)
    out = {"all": _multiplicities(rng.integers(0, n, (BOOTSTRAP, n)), n)}
    for lang in sorted(set(langs)):
        rows = np.flatnonzero(langs == lang)
        draws = rows[rng.integers(0, len(rows), (BOOTSTRAP, len(rows)))]
        out[str(lang)] = _multiplicities(draws, n)
    return out


def _multiplicities(draws: np.ndarray, n: int) -> np.ndarray:
    weights = np.zeros((len(draws), n), dtype=np.float32)
    np.add.at(weights, (np.arange(len(draws))[:, None], draws), 1.0)
    return weights


def _figures(truth: dict, pred: dict, base: dict | None, langs, resamples) -> dict:
    """For each level (e.g. techniques, or narratives and subnarratives) and each group:
    macro-F1 and samples-F1 with intervals, and the paired difference to the baseline."""
    out = {}
    for level in truth:
        t, p = truth[level], pred[level]
        b = base[level] if base else None
        out[level] = {}
        for group, weights in resamples.items():
            rows = np.ones(len(langs), bool) if group == "all" else langs == group
            entry = {}
            for metric in ("macro_f1", "samples_f1"):
                point = _metric(metric, t[rows], p[rows], np.ones((1, rows.sum())))[0]
                boot = _metric(metric, t, p, weights)
                entry[metric] = _interval(point, boot)
                if b is not None:
                    base_point = _metric(metric, t[rows], b[rows], np.ones((1, rows.sum())))[0]
                    delta = boot - _metric(metric, t, b, weights)
                    entry[f"{metric}_vs_baseline"] = _interval(point - base_point, delta)
            out[level][group] = entry
    return out


def _metric(name: str, truth: np.ndarray, pred: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The metric under each row of document weights (a bootstrap resample), vectorised."""
    tp_doc = (truth & pred).astype(np.float32)
    if name == "samples_f1":
        f1 = f1_from_counts(tp_doc.sum(1), pred.sum(1), truth.sum(1))
        return weights @ f1 / weights.sum(1)
    tp = weights @ tp_doc
    predicted = weights @ pred.astype(np.float32)
    support = weights @ truth.astype(np.float32)
    f1 = f1_from_counts(tp, predicted, support)
    present = support > 0  # narrascope.metrics.macro_f1: the labels the gold part holds
    return (f1 * present).sum(1) / np.maximum(present.sum(1), 1)


def _interval(point: float, boot: np.ndarray) -> dict:
    low, high = np.percentile(boot, [2.5, 97.5])
    return {
        "value": round(float(point), 4),
        "low": round(float(low), 4),
        "high": round(float(high), 4),
    }


def _print_table(result: dict) -> None:
    metric = result["metric"]
    print(f"\n{result['data_set']} ({metric}; test {result['per_language_test']})")
    for level in next(iter(result["systems"].values())):
        if level == "train_and_predict_seconds":
            continue
        groups = list(next(iter(result["systems"].values()))[level])
        print(f"  {level}: " + "  ".join(f"{g:>24s}" for g in groups) + "   vs baseline (all)")
        for name, figures in result["systems"].items():
            cells = [_cell(figures[level][g][metric]) for g in groups]
            delta = figures[level]["all"].get(f"{metric}_vs_baseline")
            print(
                f"  {name:16s}" + "  ".join(f"{c:>24s}" for c in cells) + f"   {_cell(delta, True)}"
            )


def _cell(entry: dict | None, signed: bool = False) -> str:
    if not entry:
        return "-"
    fmt = "+.3f" if signed else ".3f"
    return f"{entry['value']:{fmt}} [{entry['low']:{fmt}}, {entry['high']:{fmt}}]"


if __name__ == "__main__":
    raise SystemExit(main())
