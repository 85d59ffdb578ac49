"""`narrascope track`: score a corpus, then prevalence, spikes, movers, clusters and a dashboard.

    narrascope track data/stream/stream.jsonl --model production --out reports/tracking

Writes under --out: predictions/*.parquet (resumable), prevalence.csv, spikes.csv, movers.csv,
clusters.json, coordination.json (near-duplicates across accounts: tracking/coordination.py),
talking_points.json (when a matcher is given), summary.json and dashboard.html.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

from narrascope.files import write_text
from narrascope.tracking.coordination import (
    CoordinationSettings,
    detect_coordination,
    posts_in_time_order,
)
from narrascope.tracking.dashboard import render
from narrascope.tracking.emerging import clusters, unclaimed
from narrascope.tracking.score import iter_prediction_frames, read_texts, score_corpus
from narrascope.tracking.trends import (
    SPIKE_RULE,
    add_buckets,
    add_counts,
    counts,
    movers,
    prevalence,
    spikes,
)

# Aggregation reads every row but no text: texts are fetched by id, only where shown.
COLUMNS = ["id", "published", "lang", "country", "source_type", "narratives"]
MAX_CLUSTERED = 5000  # unclaimed documents clustered at most (a deterministic sample)
EXAMPLE_POOL = 200  # spike-bucket rows kept to pick examples from
DEFAULT_COORDINATION = CoordinationSettings()


def track(
    source: str | Path,
    predictor,
    out_dir: str | Path,
    bucket: str = "week",
    batch_size: int = 512,
    embed=None,
    matcher=None,
    coordination: CoordinationSettings | None = DEFAULT_COORDINATION,
) -> dict:
    """`embed(texts) -> vectors` enables emerging clusters; `matcher` enables talking points;
    `coordination=None` skips coordinated-behaviour detection."""
    out_dir = Path(out_dir)
    started = time.perf_counter()
    scored = score_corpus(predictor, source, out_dir, batch_size)
    scored_seconds = time.perf_counter() - started
    summed, pool, documents = _aggregate(out_dir, bucket)
    prev = prevalence(summed=summed)
    found_spikes, found_movers = spikes(prev), movers(prev)
    prev.to_csv(out_dir / "prevalence.csv", index=False)
    found_spikes.to_csv(out_dir / "spikes.csv", index=False)
    found_movers.to_csv(out_dir / "movers.csv", index=False)
    found_clusters = clusters(_with_text(pool, out_dir), embed) if embed else []
    _write_json(out_dir / "clusters.json", found_clusters)
    matches = _talking_points(out_dir, matcher) if matcher is not None else []
    coordinated = (
        detect_coordination(posts_in_time_order(out_dir), coordination) if coordination else []
    )
    _write_json(out_dir / "coordination.json", coordinated)
    extra = {
        "model": predictor.version,
        "source": str(source),
        "bucket": bucket,
        "clusters": found_clusters,
        "matches": matches,
        "coordination": coordinated,
    }
    shown = _spike_rows(out_dir, bucket, found_spikes)
    page = render(prev, found_spikes, found_movers, shown, extra)
    (out_dir / "dashboard.html").write_text(page, encoding="utf-8")
    summary = {
        **scored,
        "documents": documents,
        "source": str(source),
        "bucket": bucket,
        "buckets": int(prev["bucket"].nunique()),
        "spikes": len(found_spikes),
        "spike_rule": SPIKE_RULE,
        "clusters": len(found_clusters),
        "clustered_sample": len(pool),
        "talking_points_echoed": len(matches),
        "coordination_clusters": len(coordinated),
        "coordinated_accounts": len({a for c in coordinated for a in c["accounts"]}),
        "scoring_seconds": round(scored_seconds, 2),
        "documents_per_second": round(scored["scored"] / scored_seconds, 1)
        if scored["scored"]
        else None,
        "model": predictor.version,
    }
    _write_json(out_dir / "summary.json", summary)
    return summary


def _aggregate(out_dir: Path, bucket: str):
    """One pass over the predictions in bounded frames: summed counts, a bounded sample of
    unclaimed documents (the lowest id hashes: deterministic), and the number of documents."""
    summed, pool, documents = None, None, 0
    for frame in iter_prediction_frames(out_dir, COLUMNS):
        frame = add_buckets(frame, bucket)
        documents += len(frame)
        summed = add_counts(summed, counts(frame))
        candidates = unclaimed(frame).drop(columns=["narratives"])
        candidates = candidates.assign(
            key=pd.util.hash_pandas_object(candidates["id"], index=False)
        )
        pool = candidates if pool is None else pd.concat([pool, candidates])
        pool = pool.nsmallest(MAX_CLUSTERED, "key")
    return summed, (pool if pool is not None else pd.DataFrame(columns=COLUMNS)), documents


def _spike_rows(out_dir: Path, bucket: str, found_spikes) -> pd.DataFrame:
    """The predictions in spike buckets that carry a spiking narrative (for examples)."""
    wanted = set(zip(found_spikes["bucket"], found_spikes["narrative"]))
    shown = pd.DataFrame(columns=[*COLUMNS, "bucket"])
    for frame in iter_prediction_frames(out_dir, COLUMNS):
        frame = add_buckets(frame, bucket)
        keep = [
            any((b, n) in wanted for n in narratives)
            for b, narratives in zip(frame["bucket"], frame["narratives"])
        ]
        # Bounded: enough candidates per bucket for a few distinct examples of each spike.
        shown = pd.concat([shown, frame[keep]]).groupby("bucket").head(EXAMPLE_POOL)
    return _with_text(shown, out_dir)


def _with_text(df, out_dir: Path):
    texts = read_texts(out_dir, df["id"])
    return df.assign(text=df["id"].map(texts))


def _talking_points(out_dir: Path, matcher) -> list[dict]:
    """Per document matches (talking_points.json) and one summary row per talking point."""
    per_document, by_point = [], defaultdict(list)
    for frame in iter_prediction_frames(out_dir, ["id", "lang", "text"], rows=256):
        for row, found in zip(frame.itertuples(), matcher.match(frame["text"].tolist())):
            if found:
                per_document.append({"id": row.id, "matches": [m.to_dict() for m in found]})
            for m in found:
                by_point[m.talking_point].append((row.lang, m))
    _write_json(out_dir / "talking_points.json", per_document)
    summary = []
    for point, hits in sorted(by_point.items(), key=lambda kv: -len(kv[1])):
        best = max(hits, key=lambda h: h[1].score)[1]
        summary.append(
            {
                "talking_point": point,
                "documents": len(hits),
                "languages": ", ".join(sorted({lang for lang, _ in hits})),
                "example": best.sentence[:200],
                "score": best.score,
            }
        )
    return summary


def _write_json(path: Path, data) -> None:
    # Not files.write_json: these keep their insertion order and compact indent (the dashboard
    # and `share export` read them back), and `default=str` writes dates; atomic all the same.
    write_text(path, json.dumps(data, ensure_ascii=False, indent=1, default=str))
