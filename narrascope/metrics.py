"""Multi-label metrics with the SemEval-2025 Task 10 conventions, on plain label sets.

- `Other` is a real label: a document with no narrative has the label set {"Other"}.
- At subnarrative level a narrative with no subnarrative counts as "<narrative>.Other".
- samples-F1 = per-document F1 averaged over documents, zero_division=0.
- macro-F1 = mean F1 over labels with support > 0 in the gold data; micro-F1 pools counts.

Every F1 in the project (these figures, the bootstrap's resampled ones, threshold tuning, the
benchmarks) goes through `f1_from_counts`, and every "best threshold on a grid" through
`best_threshold`, so one convention holds everywhere; tests/test_metrics_oracle.py checks the
figures against scikit-learn's `f1_score`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from narrascope.schema import OTHER


def narrative_set(narratives: Iterable[str]) -> frozenset[str]:
    found = frozenset(narratives)
    return found or frozenset({OTHER})


def subnarrative_set(narratives: Iterable[str], subnarratives: Iterable[str]) -> frozenset[str]:
    narratives, subs = frozenset(narratives), frozenset(subnarratives)
    if not narratives:
        return frozenset({OTHER})
    bare = {f"{n}.{OTHER}" for n in narratives if not any(s.startswith(n + ".") for s in subs)}
    return subs | bare


def binarise(sets: Sequence[frozenset[str]], labels: Sequence[str]) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    matrix = np.zeros((len(sets), len(labels)), dtype=bool)
    for row, found in enumerate(sets):
        for lab in found:
            matrix[row, index[lab]] = True
    return matrix


def ratio(numerator, denominator) -> np.ndarray:
    """numerator / denominator elementwise, 0 where the denominator is 0 (zero_division=0).

    The dtype follows the inputs (float32 counts stay float32), so a caller's figures do not
    change by being routed here.
    """
    numerator, denominator = np.asarray(numerator), np.asarray(denominator)
    dtype = np.result_type(numerator, denominator, 1.0)
    out = np.zeros(np.broadcast_shapes(numerator.shape, denominator.shape), dtype=dtype)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def f1_from_counts(tp, predicted, support) -> np.ndarray:
    """2 tp / (predicted + support), 0 where nothing is gold or predicted: the one F1 formula.

    Counts may be arrays of any matching shape (per row, per label, per bootstrap resample) and
    may be weighted (a resample's document counts); `float()` the result for a scalar.
    """
    tp, predicted, support = np.asarray(tp), np.asarray(predicted), np.asarray(support)
    return ratio(2 * tp, predicted + support)


def per_document_f1(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """F1 of each row; 0 where both sets are empty (zero_division=0)."""
    return f1_from_counts((truth & pred).sum(axis=1), pred.sum(axis=1), truth.sum(axis=1))


def per_label(truth: np.ndarray, pred: np.ndarray) -> dict[str, np.ndarray]:
    tp = (truth & pred).sum(axis=0).astype(float)
    predicted, support = pred.sum(axis=0).astype(float), truth.sum(axis=0).astype(float)
    return {
        "precision": ratio(tp, predicted),
        "recall": ratio(tp, support),
        "f1": f1_from_counts(tp, predicted, support),
        "support": support,
        "predicted": predicted,
    }


def samples_f1(truth: np.ndarray, pred: np.ndarray) -> float:
    return float(per_document_f1(truth, pred).mean()) if len(truth) else 0.0


def micro_f1(truth: np.ndarray, pred: np.ndarray) -> float:
    return float(f1_from_counts((truth & pred).sum(), pred.sum(), truth.sum()))


def macro_f1(truth: np.ndarray, pred: np.ndarray) -> float:
    stats = per_label(truth, pred)
    present = stats["support"] > 0
    return float(stats["f1"][present].mean()) if present.any() else 0.0


def best_threshold(truth: np.ndarray, scores: np.ndarray, grid: np.ndarray) -> float:
    """The value of `grid` (ascending) at which `scores >= t` has the best micro-F1 against
    `truth` (any shape, pooled); ties go to the higher threshold (fewer, surer positives)."""
    truth = np.asarray(truth, dtype=bool)
    support = truth.sum()
    f1 = []
    for t in grid:
        predicted = scores >= t
        f1.append(float(f1_from_counts((truth & predicted).sum(), predicted.sum(), support)))
    return best_on_grid(grid, f1)


def best_on_grid(grid: np.ndarray, figures) -> float:
    """The grid value (ascending grid) whose figure is largest; ties go to the higher value."""
    return float(grid[len(grid) - 1 - int(np.argmax(np.asarray(figures)[::-1]))])


HEADLINE = {"samples_f1": samples_f1, "micro_f1": micro_f1, "macro_f1": macro_f1}


def summary(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Headline figures for one group of documents."""
    return {**{name: fn(truth, pred) for name, fn in HEADLINE.items()}, "n": int(len(truth))}


LEVELS = ("narratives", "subnarratives")


def level_sets(pairs: Sequence[tuple[Iterable[str], Iterable[str]]]) -> dict[str, list[frozenset]]:
    """(narratives, subnarratives) per document -> SemEval label sets at both levels."""
    pairs = [(tuple(n), tuple(s)) for n, s in pairs]
    return {
        "narratives": [narrative_set(n) for n, _ in pairs],
        "subnarratives": [subnarrative_set(n, s) for n, s in pairs],
    }


def gold_sets(docs) -> dict[str, list[frozenset]]:
    """The label sets of labelled documents (anything with `narratives` and `subnarratives`)."""
    return level_sets([(d.narratives, d.subnarratives) for d in docs])


def aligned(gold: Sequence[frozenset], *preds: Sequence[frozenset]):
    """Binarise gold and one or more predicted set lists over their joint label universe:
    (gold matrix, one matrix per prediction list..., universe)."""
    universe = sorted(set().union(*gold, *(s for pred in preds for s in pred)))
    return (binarise(gold, universe), *(binarise(pred, universe) for pred in preds), universe)


def summary_by_group(truth: np.ndarray, pred: np.ndarray, keys: Sequence[str]) -> dict:
    """`summary` for each group of rows sharing a key (e.g. a language), keys sorted."""
    keys = np.asarray(keys)
    return {key: summary(truth[keys == key], pred[keys == key]) for key in sorted(set(keys))}
