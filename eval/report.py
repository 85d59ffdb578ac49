"""Evaluate a model on labelled documents and write report.json (the source of truth) and report.md.

    narrascope eval --model production --data data/corpus/test.jsonl --out reports/latest

Steps: 1. predict every document  2. build SemEval-style label sets (`Other` is a label)
3. compute headline figures overall and per language, per-label figures overall
4. write JSON, then render Markdown from that JSON.
"""

from __future__ import annotations

from pathlib import Path

from narrascope.artifact import utc_now, write_json
from narrascope.metrics import LEVELS, aligned, level_sets, per_label, summary, summary_by_group
from narrascope.schema import Document

REPORT_SCHEMA = "narrascope.eval.report/1"
CONVENTION = (
    "samples-F1 = per-document F1 averaged over documents, zero_division=0 "
    "(SemEval-2025 Task 10); 'Other' is a label; at subnarrative level a narrative "
    "without a subnarrative counts as '<narrative>.Other'; macro-F1 averages labels "
    "with gold support > 0."
)


def evaluate(predictor, docs: list[Document], data_name: str, batch_size: int = 256) -> dict:
    gold = level_sets([(d.narratives, d.subnarratives) for d in docs])
    pred = level_sets(_predicted_pairs(predictor, docs, batch_size))
    report = {
        "schema": REPORT_SCHEMA,
        "created": utc_now(),
        "model": {
            "version": predictor.version,
            "model_id": predictor.manifest["model_id"],
            "family": predictor.manifest["family"],
        },
        "data": {"name": data_name, "documents": len(docs)},
        "convention": CONVENTION,
        "levels": {},
    }
    for level in LEVELS:
        truth, guess, universe = aligned(gold[level], pred[level])
        report["levels"][level] = {
            "overall": summary(truth, guess),
            "per_language": summary_by_group(truth, guess, [d.lang for d in docs]),
            "per_label": _per_label_rows(truth, guess, universe),
        }
    return report


def _predicted_pairs(predictor, docs: list[Document], batch_size: int) -> list[tuple]:
    pairs = []
    for start in range(0, len(docs), batch_size):
        batch = docs[start : start + batch_size]
        # The gold language is a hint: evaluation measures narratives, not language ID.
        outputs = predictor.predict([d.text for d in batch], [d.lang for d in batch])
        pairs += [([s.id for s in o.narratives], [s.id for s in o.subnarratives]) for o in outputs]
    return pairs


def _per_label_rows(truth, guess, universe) -> dict:
    stats = per_label(truth, guess)
    return {
        lab: {
            k: (int(v[i]) if k in ("support", "predicted") else round(float(v[i]), 6))
            for k, v in stats.items()
        }
        for i, lab in enumerate(universe)
    }


def write_report(report: dict, out_dir: str | Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md"}
    write_json(paths["json"], report)
    paths["md"].write_text(render_markdown(report), encoding="utf-8")
    return paths


def render_markdown(report: dict) -> str:
    model, data = report["model"], report["data"]
    lines = [
        f"# Evaluation: {model['version']} ({model['family']}, {model['model_id']})",
        "",
        f"Data: `{data['name']}`, {data['documents']} documents. Created {report['created']}.",
        "",
        f"Convention: {report['convention']}",
        "",
    ]
    for level, body in report["levels"].items():
        lines += [
            f"## {level.capitalize()}",
            "",
            "| group | n | samples-F1 | micro-F1 | macro-F1 |",
            "|---|---:|---:|---:|---:|",
            _row("overall", body["overall"]),
        ]
        lines += [_row(lang, fig) for lang, fig in body["per_language"].items()]
        lines += [
            "",
            f"### Per label ({level})",
            "",
            "| label | precision | recall | F1 | support | predicted |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| `{lab}` | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | "
            f"{s['support']} | {s['predicted']} |"
            for lab, s in body["per_label"].items()
        ]
        lines.append("")
    return "\n".join(lines)


def _row(name: str, fig: dict) -> str:
    return (
        f"| {name} | {fig['n']} | {fig['samples_f1']:.3f} | {fig['micro_f1']:.3f} | "
        f"{fig['macro_f1']:.3f} |"
    )
