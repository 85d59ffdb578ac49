"""Champion against challenger on the same documents: per-group deltas with paired bootstrap.

delta = candidate - baseline. Both models are scored on the *same* resampled documents, so the
interval of the delta is much tighter than two independent intervals would suggest. A verdict is
`better` when the whole interval is above zero, `worse` when it is below, and otherwise
`no detectable difference`. The registry's promotion gate reads this report.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from narrascope.artifact import utc_now
from narrascope.eval.bootstrap import DocCounts, Settings, estimate, headline, resample_weights
from narrascope.eval.groups import FPR_DIMENSIONS, group_keys, other_decision_disparity
from narrascope.eval.predictions import Run, run_model
from narrascope.eval.render import Page, Table, page_markdown
from narrascope.files import write_json
from narrascope.metrics import HEADLINE, LEVELS, aligned, gold_sets
from narrascope.schema import Document

COMPARE_SCHEMA = "narrascope.eval.compare/1"
COMPARE_DIMENSIONS = ("language", "country", "source_type")
BETTER, WORSE, SAME = "better", "worse", "no detectable difference"


def verdict(delta: dict) -> str:
    if delta["low"] > 0:
        return BETTER
    if delta["high"] < 0:
        return WORSE
    return SAME


def compare(
    docs: list[Document],
    baseline: Run,
    candidate: Run,
    data_name: str,
    settings: Settings,
    min_support: int,
) -> dict:
    keys = group_keys(docs)
    gold = gold_sets(docs)
    sets = {"baseline": baseline.level_sets(), "candidate": candidate.level_sets()}
    report = {
        "schema": COMPARE_SCHEMA,
        "created": utc_now(),
        "baseline": baseline.model,
        "candidate": candidate.model,
        "data": {"name": data_name, "documents": len(docs)},
        "settings": {**settings.to_dict(), "min_support": min_support},
        "convention": "delta = candidate - baseline, paired bootstrap interval; "
        f"'{BETTER}' / '{WORSE}' when the interval excludes 0, else '{SAME}'.",
        "levels": {},
    }
    for level in LEVELS:
        truth, before, after, _ = aligned(
            gold[level], sets["baseline"][level], sets["candidate"][level]
        )
        old, new = DocCounts.of(truth, before), DocCounts.of(truth, after)
        everyone = np.ones(len(docs), dtype=bool)
        body = {"overall": _delta(old, new, everyone, settings, min_support)}
        for dimension in COMPARE_DIMENSIONS:
            column = keys[dimension].to_numpy()
            body[dimension] = {
                str(g): _delta(old, new, column == g, settings, min_support)
                for g in sorted(set(column))
            }
        report["levels"][level] = body
    report["other_decision"] = {
        "baseline": decision_gaps(docs, baseline, min_support),
        "candidate": decision_gaps(docs, candidate, min_support),
    }
    return report


def decision_gaps(docs: list[Document], run: Run, min_support: int) -> dict:
    """Between-group gaps of one model's Other-vs-narrative decision (FPR: news flagged as
    propaganda), per language and country: `eval.groups.other_decision_disparity`."""
    keys, gold_other = group_keys(docs), np.array([d.is_other for d in docs])
    return {
        dimension: other_decision_disparity(
            gold_other, run.predicted_other, keys[dimension], min_support
        )
        for dimension in FPR_DIMENSIONS
    }


def compare_versions(
    registry, baseline: str, candidate: str, docs, data_name: str, settings, min_support: int
) -> dict:
    """`compare` for two registry versions or aliases, each scored once on `docs`."""
    runs = [run_model(registry.load(ref), docs) for ref in (baseline, candidate)]
    return compare(docs, *runs, data_name, settings, min_support)


def _delta(old: DocCounts, new: DocCounts, mask, settings: Settings, min_support: int) -> dict:
    old, new, n = old.subset(mask), new.subset(mask), int(mask.sum())
    weights = resample_weights(n, settings)  # the same draws for both models: a paired bootstrap
    point_old, point_new = headline(old, np.ones((1, n))), headline(new, np.ones((1, n)))
    drawn_old, drawn_new = headline(old, weights), headline(new, weights)
    out: dict = {"n": n, "low_support": n < min_support}
    for metric in HEADLINE:
        before, after = float(point_old[metric][0]), float(point_new[metric][0])
        delta = estimate(after - before, drawn_new[metric] - drawn_old[metric], settings)
        out[metric] = {
            "baseline": round(before, 6),
            "candidate": round(after, 6),
            "delta": delta,
            "verdict": verdict(delta),
        }
    return out


def groups_of(body: dict, dimensions=COMPARE_DIMENSIONS):
    """(dimension, group, figures) for `overall` and every group of `dimensions` in one level."""
    yield "overall", "all", body["overall"]
    for dimension in dimensions:
        for group, figures in body[dimension].items():
            yield dimension, group, figures


def regressions(report: dict, metric: str = "samples_f1") -> list[dict]:
    """Every supported group where the candidate is detectably worse on `metric`."""
    found = []
    for level, body in report["levels"].items():
        for dimension, group, fig in groups_of(body):
            if not fig["low_support"] and fig[metric]["verdict"] == WORSE:
                found.append(
                    {"level": level, "dimension": dimension, "group": group, **fig[metric]}
                )
    return found


def write_comparison(report: dict, out_dir: str | Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "compare.json", "md": out_dir / "compare.md"}
    write_json(paths["json"], report)
    paths["md"].write_text(page_markdown(comparison_page(report)), encoding="utf-8")
    return paths


def comparison_page(report: dict) -> Page:
    old, new, settings = report["baseline"], report["candidate"], report["settings"]
    page = Page(
        f"Comparison: {new['version']} (candidate) against {old['version']} (baseline)",
        [
            f"Data: `{report['data']['name']}`, {report['data']['documents']} documents. "
            f"Created {report['created']}.",
            f"Convention: {report['convention']} {settings['confidence']:.0%} intervals, "
            f"{settings['resamples']} resamples, seed {settings['seed']}.",
        ],
    )
    for level, body in report["levels"].items():
        rows = [_row(*group) for group in groups_of(body)]
        page.tables.append(
            Table(
                f"{level}: samples-F1",
                ["dimension", "group", "n", "baseline", "candidate", "delta", "verdict"],
                rows,
            )
        )
    if "other_decision" in report:
        page.tables.append(_decision_table(report["other_decision"]))
    return page


GAP_FIGURES = {
    "false_positive_rate": "FPR difference (news flagged)",
    "equalized_odds": "equalized odds difference",
}


def _decision_table(decision: dict) -> Table:
    rows = []
    for dimension in decision["baseline"]:
        old, new = decision["baseline"][dimension], decision["candidate"][dimension]
        for key, name in GAP_FIGURES.items():
            a, b = old[key].get("difference"), new[key].get("difference")
            if a is None or b is None:
                rows.append(
                    [dimension, name, old[key].get("note", ""), new[key].get("note", ""), ""]
                )
                continue
            rows.append([dimension, name, f"{a:.3f}", f"{b:.3f}", f"{b - a:+.3f}"])
    return Table(
        "Between-group gaps on the Other-vs-narrative decision (lower is fairer)",
        ["dimension", "figure", "baseline", "candidate", "change"],
        rows,
    )


def _row(dimension: str, group: str, fig: dict) -> list[str]:
    f1 = fig["samples_f1"]
    flag = " (low support)" if fig["low_support"] else ""
    return [
        dimension,
        group + flag,
        str(fig["n"]),
        f"{f1['baseline']:.3f}",
        f"{f1['candidate']:.3f}",
        f"{f1['delta']['value']:+.3f} [{f1['delta']['low']:+.3f}, {f1['delta']['high']:+.3f}]",
        f1["verdict"],
    ]
