"""Scale-out: the same `score_batch` on a distributed engine (Dask), for corpora beyond one machine.

    from narrascope.tracking.distributed import score_with_dask
    score_with_dask("registry", "production", ["part-0.jsonl", "part-1.jsonl"], "out/")

Each input file is one partition; each worker loads the pinned model version once (verified
through the registry, as everywhere) and writes its own Parquet part, so the aggregation step
(`narrascope.tracking.run`) reads the result exactly as it reads a single-machine run. Point the
registry and the output at shared storage; on a cluster, pass a `distributed.Client`'s scheduler.
Ray Data (`ray.data.read_json(...).map_batches(...)`) or Spark (`mapInPandas`) take the same
function the same way: `score_batch(predictor, documents) -> pyarrow.Table`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from narrascope.files import atomic_path
from narrascope.tracking.score import PARTS, score_batch


@lru_cache(maxsize=2)
def _predictor(registry_root: str, ref: str):
    from narrascope.model_registry import Registry

    return Registry(registry_root).load(ref)


def _score_file(path: str, registry_root: str, ref: str, out_dir: str, batch_size: int) -> int:
    from narrascope.data import iter_document_batches

    predictor = _predictor(registry_root, ref)
    tables = [score_batch(predictor, b) for b in iter_document_batches(path, batch_size)]
    if not tables:
        return 0
    target = Path(out_dir) / PARTS / f"part-{Path(path).stem}.parquet"
    table = pa.concat_tables(tables)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp)
    return table.num_rows


def score_with_dask(
    registry_root: str | Path,
    ref: str,
    files: list[str | Path],
    out_dir: str | Path,
    batch_size: int = 512,
    scheduler: str = "threads",
) -> int:
    """Score every file as one Dask task; returns the number of documents scored."""
    import dask.bag as db

    (Path(out_dir) / PARTS).mkdir(parents=True, exist_ok=True)
    version = _resolve(registry_root, ref)  # every worker loads the same version
    bag = db.from_sequence([str(f) for f in files], npartitions=len(files))
    counts = bag.map(_score_file, str(registry_root), version, str(out_dir), batch_size)
    return sum(counts.compute(scheduler=scheduler))


def _resolve(registry_root, ref: str) -> str:
    from narrascope.model_registry import Registry

    return Registry(registry_root).resolve(ref)
