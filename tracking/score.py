"""Score a corpus in batches into Parquet parts; resumable, constant memory.

    <out>/predictions/part-00000.parquet, part-00001.parquet, ...

`score_batch` is a pure function of (model, documents): the same function runs here in a loop
and on a distributed engine (see tracking/distributed.py). A part is written to a temporary name
and renamed, so an interrupted run leaves only whole parts; re-running skips every document id
already in a part.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from narrascope.data import iter_document_batches
from narrascope.files import atomic_path
from narrascope.schema import Document

PARTS = "predictions"
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("published", pa.date32()),
        ("lang", pa.string()),  # the document's own code, or the detected one where it had none
        ("country", pa.string()),
        ("source", pa.string()),
        ("source_type", pa.string()),
        ("narratives", pa.list_(pa.string())),
        ("subnarratives", pa.list_(pa.string())),
        ("narrative_scores", pa.list_(pa.float32())),  # scores of `narratives`, same order
        ("top_narrative_score", pa.float32()),  # best narrative score, chosen or not
        ("other_score", pa.float32()),
        ("gold_narratives", pa.list_(pa.string())),
        ("text", pa.string()),
    ]
)


def score_batch(predictor, docs: list[Document]) -> pa.Table:
    """One batch of documents -> one table of predictions (pure: no I/O, no state)."""
    texts = [d.text for d in docs]
    scores = predictor.scores(texts)
    hints = [None if d.lang == "und" else d.lang for d in docs]
    outputs = predictor.decide(texts, scores, hints)
    narrative_columns = predictor.decoder.narratives
    top = scores[:, narrative_columns].max(axis=1) if len(docs) else []
    return pa.Table.from_pylist(
        [
            {
                "id": d.id,
                "published": d.published,
                "lang": out.lang,  # the hint wins, so this is d.lang whenever it had one
                "country": d.country or "unknown",
                "source": d.source,
                "source_type": str(d.source_type),
                "narratives": [s.id for s in out.narratives],
                "subnarratives": [s.id for s in out.subnarratives],
                "narrative_scores": [s.score for s in out.narratives],
                "top_narrative_score": float(best),
                "other_score": out.other_score,
                "gold_narratives": list(d.narratives),
                "text": d.text,
            }
            for d, out, best in zip(docs, outputs, top)
        ],
        schema=SCHEMA,
    )


def scored_ids(out_dir: Path) -> set[str]:
    folder = out_dir / PARTS
    if not folder.exists():
        return set()
    return {
        i
        for part in sorted(folder.glob("part-*.parquet"))
        for i in pq.read_table(part, columns=["id"]).column("id").to_pylist()
    }


def score_corpus(predictor, source: str | Path, out_dir: str | Path, batch_size: int = 512) -> dict:
    """Score every document of `source` not yet scored under `out_dir`; return counts."""
    out_dir = Path(out_dir)
    (out_dir / PARTS).mkdir(parents=True, exist_ok=True)
    done = scored_ids(out_dir)
    part = len(list((out_dir / PARTS).glob("part-*.parquet")))
    counts = {"skipped": 0, "scored": 0, "parts": part}
    progress = tqdm(unit="doc", desc="scoring", file=sys.stderr)
    for batch in iter_document_batches(source, batch_size):
        todo = [d for d in batch if d.id not in done]
        counts["skipped"] += len(batch) - len(todo)
        progress.update(len(batch))
        if not todo:
            continue
        table = score_batch(predictor, todo)
        target = out_dir / PARTS / f"part-{part:05d}.parquet"
        with atomic_path(target) as tmp:  # whole parts only: an interrupted run resumes cleanly
            pq.write_table(table, tmp)
        done.update(d.id for d in todo)
        part += 1
        counts["scored"] += len(todo)
    progress.close()
    counts["parts"] = part
    return counts


def read_predictions(out_dir: str | Path, columns: list[str] | None = None):
    """All parts as one pandas DataFrame (aggregation reads only the columns it needs)."""
    return pq.read_table(Path(out_dir) / PARTS, columns=columns).to_pandas()


def read_texts(out_dir: str | Path, ids) -> dict[str, str]:
    """{id: text} for the given ids only: aggregation never holds every text in memory."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    wanted = pa.array(sorted(set(ids)), type=pa.string())
    table = ds.dataset(Path(out_dir) / PARTS, format="parquet").to_table(
        columns=["id", "text"], filter=pc.field("id").isin(wanted)
    )
    return dict(zip(table.column("id").to_pylist(), table.column("text").to_pylist()))


def iter_prediction_frames(out_dir: str | Path, columns: list[str], rows: int = 65536):
    """The predictions as pandas frames of at most `rows` rows: constant memory at any size."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(Path(out_dir) / PARTS, format="parquet")
    for batch in dataset.to_batches(columns=columns, batch_size=rows):
        if batch.num_rows:
            yield batch.to_pandas()
