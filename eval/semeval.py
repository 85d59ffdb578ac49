"""The SemEval-2025 Task 10 (subtask 2) prediction file: `id<TAB>narr1;narr2<TAB>sub1;sub2`.

Labels are the task's strings ("URW: Blaming the war on others rather than the invader"), `Other`
for a document with no narrative, and "<narrative>: Other" for a narrative without a
subnarrative, so files written here score with the official scorer and published files score here.
"""

from __future__ import annotations

from pathlib import Path

from narrascope.data import semeval_label_ids
from narrascope.errors import DataError
from narrascope.schema import OTHER
from narrascope.taxonomy import Taxonomy


def format_row(doc_id: str, narratives, subnarratives, taxonomy: Taxonomy) -> str:
    if not narratives:
        return f"{doc_id}\t{OTHER}\t{OTHER}"
    narr = [taxonomy.semeval_name(n) for n in narratives]
    subs = [taxonomy.semeval_name(s) for s in subnarratives]
    covered = {taxonomy.parent_of(s) for s in subnarratives}
    subs += [f"{taxonomy.semeval_name(n)}: {OTHER}" for n in narratives if n not in covered]
    return f"{doc_id}\t{';'.join(narr)}\t{';'.join(subs)}"


def write_predictions(path: str | Path, ids, narratives, subnarratives, taxonomy: Taxonomy) -> Path:
    path = Path(path)
    rows = [format_row(*row, taxonomy) for row in zip(ids, narratives, subnarratives)]
    path.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def read_predictions(path: str | Path, taxonomy: Taxonomy) -> dict[str, tuple[tuple, tuple]]:
    """{id: (narratives, subnarratives)} as taxonomy ids; errors name the file and line."""
    found: dict[str, tuple[tuple, tuple]] = {}
    if not Path(path).is_file():
        raise DataError("prediction file not found", file=str(path))
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise DataError(
                f"expected 3 tab-separated columns, found {len(parts)}", file=str(path), line=number
            )
        doc_id, narr_field, sub_field = (p.strip() for p in parts)
        if doc_id in found:
            raise DataError(f"document {doc_id!r} appears twice", file=str(path), line=number)
        try:
            narratives = semeval_label_ids(narr_field, taxonomy)
            subs = semeval_label_ids(sub_field, taxonomy)
        except KeyError as exc:
            raise DataError(f"unknown label {exc.args[0]!r}", file=str(path), line=number) from None
        narratives, subs = taxonomy.make_consistent(set(narratives), set(subs))
        found[doc_id] = (tuple(sorted(narratives)), tuple(sorted(subs)))
    return found


def predict_submission(predictor, data: str | Path, out: str | Path) -> tuple[Path, int]:
    """Predict every document of `data` (a SemEval folder, labelled or not, or JSONL/CSV) and
    write the official subtask-2 submission file; (path, documents written)."""
    from narrascope.data import load_documents

    docs = load_documents(data, None, ignore_labels=True).documents
    if not docs:
        raise DataError("no documents to predict", file=str(data))
    texts = [d.text for d in docs]
    langs = [None if d.lang == "und" else d.lang for d in docs]
    found = predictor.predict(texts, langs)
    narratives = [[s.id for s in p.narratives] for p in found]
    subs = [[s.id for s in p.subnarratives] for p in found]
    return write_predictions(out, [d.id for d in docs], narratives, subs, predictor.taxonomy), len(
        docs
    )
