"""Figures per group of documents (language, country, source type, language x country).

Grouping is fairlearn's `MetricFrame` (point estimates, one metric function per headline figure,
gold labels against predicted ones); the bootstrap adds an interval to each group figure. The
Other-vs-narrative decision is also a binary classifier per group, so fairlearn's false-positive
rate (ordinary news flagged) and true-positive rate give the between-group gaps and the
equalized odds difference. Groups under `min_support` documents are kept
and flagged `low_support`, and left out of the worst-group / gap views, where one document would
otherwise decide the verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    equalized_odds_difference,
    false_positive_rate,
    true_positive_rate,
)

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
    """Share of gold-`Other` documents (ordinary news) that the model flags with a narrative,
    overall and per language and country, and how far those rates differ between groups."""
    gold_other = np.array([d.is_other for d in docs])
    flagged = ~predicted_other
    keys = group_keys(docs)
    out = {
        "documents": int(gold_other.sum()),
        "overall": _rate_figure(flagged[gold_other], settings, 0),
        "between_groups": {},
    }
    for dimension in FPR_DIMENSIONS:
        frame = other_decision_frame(gold_other, predicted_other, keys[dimension])
        column = keys[dimension].to_numpy()
        out[dimension] = {
            str(g): _rate_figure(
                flagged[gold_other & (column == g)],
                settings,
                min_support,
                point=float(frame.by_group.loc[g, "false_positive_rate"]),
            )
            for g in sorted(set(column[gold_other]))
        }
        out["between_groups"][dimension] = other_decision_disparity(
            gold_other, predicted_other, keys[dimension], min_support
        )
    return out


# The Other-vs-narrative decision as a binary classifier: positive = "carries a narrative".
# A false positive is ordinary news flagged as propaganda, a false negative propaganda missed.
DECISION_METRICS = {
    "false_positive_rate": false_positive_rate,
    "true_positive_rate": true_positive_rate,
}


def other_decision_frame(gold_other, predicted_other, groups: pd.Series) -> MetricFrame:
    """fairlearn's MetricFrame of the decision per group: y_true gold, y_pred the model's."""
    return MetricFrame(
        metrics=DECISION_METRICS,
        y_true=~np.asarray(gold_other),
        y_pred=~np.asarray(predicted_other),
        sensitive_features=groups.reset_index(drop=True),
    )


def other_decision_disparity(gold_other, predicted_other, groups: pd.Series, min_support: int):
    """Between-group gaps of the decision, fairlearn's `MetricFrame.difference`:

    - `false_positive_rate`: the largest gap in news flagged, over groups with `min_support`
      gold-Other documents (the rate needs only those);
    - `equalized_odds`: fairlearn's equalized odds difference (the larger of the FPR and TPR
      gaps), over groups with `min_support` documents on each side of the decision.
    Smaller groups are left out: one document would set the gap.
    """
    gold_other, groups = np.asarray(gold_other), groups.reset_index(drop=True)
    predicted_other = np.asarray(predicted_other)
    news = pd.Series(gold_other).groupby(groups).sum()
    propaganda = pd.Series(~gold_other).groupby(groups).sum()
    with_news = [g for g in news.index if news[g] >= min_support]
    both = [g for g in with_news if propaganda[g] >= min_support]
    rows = {"false_positive_rate": with_news, "equalized_odds": both}
    out: dict = {"min_support": min_support}
    for name, chosen in rows.items():
        out[name] = {"groups": sorted(str(g) for g in chosen)}
        if len(chosen) < 2:
            out[name]["note"] = _TOO_FEW[name]
            continue
        keep = groups.isin(chosen).to_numpy()
        gap = _fpr_gap if name == "false_positive_rate" else _odds_gap
        out[name].update(gap(gold_other[keep], predicted_other[keep], groups[keep]))
    return out


_TOO_FEW = {
    "false_positive_rate": "fewer than two groups with enough gold-Other documents",
    "equalized_odds": "fewer than two groups with enough documents on each side",
}


def _fpr_gap(gold_other, predicted_other, groups) -> dict:
    frame = other_decision_frame(gold_other, predicted_other, groups)
    fpr = frame.by_group["false_positive_rate"]
    return {
        "difference": round(float(frame.difference()["false_positive_rate"]), 6),
        "highest": {"group": str(fpr.idxmax()), "value": round(float(fpr.max()), 6)},
        "lowest": {"group": str(fpr.idxmin()), "value": round(float(fpr.min()), 6)},
    }


def _odds_gap(gold_other, predicted_other, groups) -> dict:
    gaps = other_decision_frame(gold_other, predicted_other, groups).difference()
    odds = equalized_odds_difference(~gold_other, ~predicted_other, sensitive_features=groups)
    return {
        "difference": round(float(odds), 6),
        "false_positive_rate_difference": round(float(gaps["false_positive_rate"]), 6),
        "true_positive_rate_difference": round(float(gaps["true_positive_rate"]), 6),
    }


def _rate_figure(flags: np.ndarray, settings: Settings, min_support: int, point=None) -> dict:
    return {
        **share(flags, settings, point),
        "false_positives": int(flags.sum()),
        "low_support": bool(len(flags) < min_support),
    }
