"""Evaluate a model on labelled documents; report.json is the source of truth.

    narrascope eval --model production --data data/corpus/test.jsonl --out reports/latest

Steps: 1. predict every document once (labels and raw scores)
2. headline figures with bootstrap intervals overall and per language, country, source type and
   language x country; worst group and largest gap; per-label figures; most confused label pairs
3. false positives on ordinary news (`Other`) per language and country
4. calibration per language (needs scores) and the country-name counterfactual probe (needs the
   model) -- both skipped when scoring a prediction file
5. write report.json, then render report.md, report.html and the SemEval predictions file from it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from narrascope.artifact import utc_now
from narrascope.eval.bootstrap import Settings
from narrascope.eval.calibration import calibration
from narrascope.eval.groups import (
    DIMENSIONS,
    MIN_SUPPORT,
    extremes,
    group_keys,
    headline_by_group,
    other_false_positive_rates,
    overall,
)
from narrascope.eval.predictions import Run, run_model
from narrascope.eval.probe import NameSets, probe
from narrascope.eval.render import render_html, render_markdown
from narrascope.eval.semeval import write_predictions
from narrascope.files import write_json
from narrascope.metrics import HEADLINE, LEVELS, aligned, gold_sets, per_label
from narrascope.schema import Document

REPORT_SCHEMA = "narrascope.eval.report/2"
CONVENTION = (
    "samples-F1 = per-document F1 averaged over documents, zero_division=0 "
    "(SemEval-2025 Task 10); 'Other' is a label; at subnarrative level a narrative "
    "without a subnarrative counts as '<narrative>.Other'; macro-F1 averages labels "
    "with gold support > 0. Intervals: percentile bootstrap over documents."
)
TOP_CONFUSIONS = 15
DEFAULT_SETTINGS = Settings()


def evaluate(
    predictor,
    docs: list[Document],
    data_name: str,
    settings: Settings = DEFAULT_SETTINGS,
    min_support: int = MIN_SUPPORT,
    names: NameSets | None = None,
) -> dict:
    """The full report for a live model: figures, bias views, calibration and (with names) probe."""
    run = run_model(predictor, docs)
    report = report_for_run(run, docs, data_name, settings, min_support)
    report["calibration"] = calibration(docs, run.scores, run.labels, predictor.taxonomy)
    if names is not None:
        report["counterfactual"] = probe(predictor, docs, run.narratives, names, settings)
    return report


def report_for_run(
    run: Run, docs: list[Document], data_name: str, settings: Settings, min_support: int
) -> dict:
    """Figures that need only predicted labels (a live run or a SemEval prediction file)."""
    gold = gold_sets(docs)
    pred = run.level_sets()
    keys = group_keys(docs)
    report = {
        "schema": REPORT_SCHEMA,
        "created": utc_now(),
        "model": run.model,
        "data": {"name": data_name, "documents": len(docs)},
        "convention": CONVENTION,
        "settings": {**settings.to_dict(), "min_support": min_support},
        "levels": {},
    }
    for level in LEVELS:
        truth, guess, universe = aligned(gold[level], pred[level])
        headline, headline_samples = overall(truth, guess, settings)
        body = {"overall": headline, "groups": {}, "bias": {}}
        for dimension in DIMENSIONS:
            figures, samples = headline_by_group(
                truth, guess, keys[dimension], settings, min_support
            )
            body["groups"][dimension] = figures
            body["bias"][dimension] = {m: extremes(figures, samples, m, settings) for m in HEADLINE}
        body["per_label"] = _per_label_rows(truth, guess, universe)
        body["confusions"] = confusions(gold[level], pred[level])
        report["levels"][level] = body
    report["other_false_positives"] = other_false_positive_rates(
        docs, run.predicted_other, settings, min_support
    )
    report["predictions"] = [
        {"id": d.id, "narratives": list(n), "subnarratives": list(s)}
        for d, n, s in zip(docs, run.narratives, run.subnarratives)
    ]
    return report


def confusions(gold: list[frozenset], pred: list[frozenset], top: int = TOP_CONFUSIONS) -> list:
    """Most frequent (missed gold label, spurious predicted label) pairs within one document."""
    pairs = Counter(
        (missed, spurious) for g, p in zip(gold, pred) for missed in g - p for spurious in p - g
    )
    return [
        {"gold": g, "predicted": p, "documents": n}
        for (g, p), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    ]


def _per_label_rows(truth, guess, universe) -> dict:
    stats = per_label(truth, guess)
    return {
        lab: {
            k: (int(v[i]) if k in ("support", "predicted") else round(float(v[i]), 6))
            for k, v in stats.items()
        }
        for i, lab in enumerate(universe)
    }


def write_report(report: dict, out_dir: str | Path, taxonomy) -> dict[str, Path]:
    """report.json first; every other file is rendered from that dictionary."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "report.json",
        "md": out_dir / "report.md",
        "html": out_dir / "report.html",
        "predictions": out_dir / "predictions.tsv",
    }
    write_json(paths["json"], report)
    paths["md"].write_text(render_markdown(report), encoding="utf-8")
    paths["html"].write_text(render_html(report), encoding="utf-8")
    rows = report["predictions"]
    write_predictions(
        paths["predictions"],
        [r["id"] for r in rows],
        [r["narratives"] for r in rows],
        [r["subnarratives"] for r in rows],
        taxonomy,
    )
    return paths
