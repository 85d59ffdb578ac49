"""Real data sets for bench/real_data.py, each as one dict the systems understand.

A data set has texts, langs, a training label matrix `y` over `labels`, and three functions of
test-row indices: `truth(idx)`, `decide(scores, thresholds, idx)` (a family's decision rule)
and `plain(binary, idx)` (the baseline's: every label at 0.5). Each returns {level: bool
matrix} with fixed columns, so every system is scored on the same columns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from narrascope.data import load_documents
from narrascope.decode import Decoder
from narrascope.metrics import binarise, gold_sets, level_sets
from narrascope.schema import OTHER
from narrascope.taxonomy import Taxonomy

ROOT = Path(__file__).resolve().parents[1]


def load_unlp(path: str) -> dict:
    """UNLP 2025 techniques: 10 labels, flat; a post may carry none."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["content", "lang", "techniques"]).to_pylist()
    labels = sorted({t for row in table for t in (row["techniques"] or [])})
    y = np.array([[lab in (row["techniques"] or []) for lab in labels] for row in table])
    return {
        "name": "UNLP 2025 techniques",
        "metric": "macro_f1",
        "objective": "label_f1",  # macro-F1 is the mean of per-label F1s
        "texts": [row["content"] for row in table],
        "langs": [row["lang"] for row in table],
        "labels": labels,
        "y": y,
        "truth": lambda idx: {"techniques": y[idx]},
        "decide": lambda scores, thresholds, idx: {"techniques": scores >= thresholds},
        "plain": lambda binary, idx: {"techniques": binary},
    }


def load_jsonl_or_semeval(path: str, taxonomy_path: str | None) -> dict:
    """Narratives + subnarratives (SemEval-2025 Task 10 style), scored with samples-F1."""
    taxonomy = _taxonomy_for(path, taxonomy_path)
    docs = load_documents(path, taxonomy).documents
    labels = [*taxonomy.narrative_ids, *taxonomy.subnarrative_ids, OTHER]
    y = binarise(
        [
            frozenset(d.narratives)
            | frozenset(d.subnarratives)
            | ({OTHER} if d.is_other else set())
            for d in docs
        ],
        labels,
    )
    decoder = Decoder(labels, taxonomy)
    columns = _level_columns(taxonomy)
    gold = gold_sets(docs)
    as_matrix = _as_matrix(columns)

    def decide(scores, thresholds, idx):
        return as_matrix(level_sets([decoder.decode_labels(r, thresholds) for r in scores]))

    def plain(binary, idx):
        pairs = []
        for row in binary:
            chosen = {lab for lab, on in zip(labels, row) if on and lab != OTHER}
            narratives = {c for c in chosen if c in taxonomy.narratives}
            subs = {c for c in chosen if c in taxonomy.subnarratives}
            pairs.append(taxonomy.make_consistent(narratives, subs))
        return as_matrix(level_sets(pairs))

    return {
        "name": f"narratives in {path}",
        "metric": "samples_f1",
        "objective": "samples_f1",
        "texts": [d.text for d in docs],
        "langs": [d.lang for d in docs],
        "labels": labels,
        "y": y,
        "truth": lambda idx: as_matrix({k: [v[i] for i in idx] for k, v in gold.items()}),
        "decide": decide,
        "plain": plain,
    }


def _taxonomy_for(path: str, taxonomy_path: str | None) -> Taxonomy:
    if taxonomy_path:
        return Taxonomy.load(taxonomy_path)
    if Path(path).is_dir():  # a SemEval folder: its own labels
        from narrascope.semeval_taxonomy import collect_labels, derive_taxonomy

        return Taxonomy.from_dict(derive_taxonomy(*collect_labels([path])))
    return Taxonomy.load(ROOT / "data/taxonomy.yaml")


def _level_columns(taxonomy: Taxonomy) -> dict[str, list[str]]:
    bare = [f"{n}.{OTHER}" for n in taxonomy.narrative_ids]
    return {
        "narratives": [*taxonomy.narrative_ids, OTHER],
        "subnarratives": [*taxonomy.subnarrative_ids, *bare, OTHER],
    }


def _as_matrix(columns: dict[str, list[str]]):
    def convert(sets: dict[str, list[frozenset]]) -> dict[str, np.ndarray]:
        return {level: binarise(sets[level], columns[level]) for level in columns}

    return convert
