"""Generate the model card (README.md) of an artifact from its manifest."""

from __future__ import annotations

from pathlib import Path

from narrascope.artifact import MODEL_CARD
from narrascope.markdown import table as markdown_table
from narrascope.taxonomy import Taxonomy


def write_model_card(directory: Path, manifest: dict, taxonomy: Taxonomy) -> None:
    validation = manifest["metrics"]["validation"]
    data = manifest["data"]
    figures = markdown_table(
        ["level", "samples-F1", "micro-F1", "macro-F1"],
        [
            [level, f"{f['samples_f1']:.3f}", f"{f['micro_f1']:.3f}", f"{f['macro_f1']:.3f}"]
            for level, f in validation.items()
            if level in ("narratives", "subnarratives")
        ],
    )
    files = ", ".join(f"`{p}` `{h[:12]}`" for p, h in data["files"].items())
    langs = ", ".join(f"{k} ({v})" for k, v in data["per_language"].items())
    labels = markdown_table(
        ["id", "label", "threshold"],
        [
            [f"`{lab}`", taxonomy.node(lab).label, f"{manifest['thresholds'][lab]:.2f}"]
            for lab in manifest["labels"]
        ],
    )
    text = f"""# Model card: {manifest["model_id"]}

- **Family**: {manifest["family"]} (narrascope {manifest["narrascope_version"]})
- **Created**: {manifest["created"]}, git commit `{manifest["git_commit"]}`
- **Taxonomy**: version {manifest["taxonomy_version"]}, {len(manifest["labels"])} labels
- **Config sha256**: `{manifest["config_sha256"]}`

## Intended use
Flag texts that carry known state-media propaganda narratives so that analysts can review them,
and measure how narratives spread over time. Scores are evidence for a human, not a verdict about
a text, its author or its outlet. Not for automated moderation or sanctions without review.

## Training data
{data["documents"]} documents; per language: {langs}. {data["other_documents"]} documents carry no
narrative (`Other`). Files and sha256: {files}.

## Validation ({validation["kind"]}, {validation["documents"]} documents; SemEval-2025 Task 10
conventions: samples-F1 averages per-document F1 with zero_division=0, `Other` counts as a label)

{figures}

Held-out figures per language are in the evaluation report, not here.

## Limitations
Trained on a small corpus written for the project; languages outside
{", ".join(manifest["languages"])} are served but were never seen in training. Character n-grams
tie labels to wording: paraphrases, irony and quotes of propaganda in order to debunk it are
frequent errors.

## Labels and thresholds

{labels}
"""
    (directory / MODEL_CARD).write_text(text, encoding="utf-8")
