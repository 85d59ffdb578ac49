"""Figures per group of documents (language, country, source type, language x country).

Grouping is fairlearn's `MetricFrame` (point estimates, one metric function per headline figure);
the bootstrap adds an interval to each group figure. Groups under `min_support` documents are kept
and flagged `low_support`, and left out of the worst-group / gap views, where one document would
otherwise decide the verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame

from narrascope.eval.bootstrap import (
    DocCounts,
    Settings,
    estimate,
    headline,
    resample_weights,
    share,
)
from narrascope.metrics import HEADLINE
from narrascope.schema import Document

UNKNOWN = "unknown"
DIMENSIONS = ("language", "country", "source_type", "language_country")
FPR_DIMENSIONS = ("language", "country")
MIN_SUPPORT = 5


def group_keys(docs: list[Document]) -> pd.DataFrame:
    keys = pd.DataFrame(
        {
            "language": [d.lang for d in docs],
            "country": [d.country or UNKNOWN for d in docs],
            "source_type": [str(d.source_type) for d in docs],
        }
    )
    # The country-within-language view: "uk/RU" is Ukrainian-language text from Russian sources.
    keys["language_country"] = keys["language"] + "/" + keys["country"]
    return keys


def headline_by_group(
    truth: np.ndarray, pred: np.ndarray, keys: pd.Series, settings: Settings, min_support: int
) -> tuple[dict, dict]:
    """{group: {n, low_support, metric: {value, low, high}}} and the bootstrap samples behind it."""
    frame = MetricFrame(metrics=HEADLINE, y_true=truth, y_pred=pred, sensitive_features=keys)
    counts, labels = DocCounts.of(truth, pred), keys.to_numpy()
    figures, samples = {}, {}
    for group, row in frame.by_group.iterrows():
        mask = labels == group
        drawn = headline(counts.subset(mask), resample_weights(int(mask.sum()), settings))
        figures[str(group)] = {
            "n": int(mask.sum()),
            "low_support": bool(mask.sum() < min_support),
            **{m: estimate(float(row[m]), drawn[m], settings) for m in HEADLINE},
        }
        samples[str(group)] = drawn
    return figures, samples


def overall(truth: np.ndarray, pred: np.ndarray, settings: Settings) -> tuple[dict, dict]:
    counts = DocCounts.of(truth, pred)
    point = headline(counts, np.ones((1, len(counts))))
    drawn = headline(counts, resample_weights(len(counts), settings))
    figures = {m: estimate(float(point[m][0]), drawn[m], settings) for m in HEADLINE}
    return {"n": len(counts), **figures}, drawn


def extremes(figures: dict, samples: dict, metric: str, settings: Settings, worst_is_low=True):
    """Worst and best supported group for one metric, and the gap between them with its interval."""
    supported = {g: f for g, f in figures.items() if not f["low_support"]}
    if len(supported) < 2:
        return {"note": "fewer than two groups with enough support", "groups": len(supported)}
    ranked = sorted(supported, key=lambda g: supported[g][metric]["value"])
    worst, best = (ranked[0], ranked[-1]) if worst_is_low else (ranked[-1], ranked[0])
    gap_samples = samples[best][metric] - samples[worst][metric]  # signed: may cross 0
    gap = abs(supported[best][metric]["value"] - supported[worst][metric]["value"])
    return {
        "worst": {"group": worst, **supported[worst][metric]},
        "best": {"group": best, **supported[best][metric]},
        "gap": estimate(gap, gap_samples, settings),
        "groups": len(supported),
    }


def other_false_positive_rates(
    docs: list[Document], predicted_other: np.ndarray, settings: Settings, min_support: int
) -> dict:
    """Share of gold-`Other` documents (ordinary news) that the model flags with a narrative."""
    gold_other = np.array([d.is_other for d in docs])
    flagged = ~predicted_other[gold_other]
    keys = group_keys(docs)[gold_other]
    out = {"documents": int(gold_other.sum()), "overall": _rate_figure(flagged, settings, 0)}
    for dimension in FPR_DIMENSIONS:
        frame = MetricFrame(
            metrics=lambda _, p: float(np.mean(p)) if len(p) else 0.0,
            y_true=flagged,
            y_pred=flagged,
            sensitive_features=keys[dimension].reset_index(drop=True),
        )
        column = keys[dimension].to_numpy()
        groups = {
            str(g): _rate_figure(flagged[column == g], settings, min_support, point=value)
            for g, value in frame.by_group.items()
        }
        out[dimension] = groups
    return out


def _rate_figure(flags: np.ndarray, settings: Settings, min_support: int, point=None) -> dict:
    return {
        **share(flags, settings, point),
        "false_positives": int(flags.sum()),
        "low_support": bool(len(flags) < min_support),
    }
