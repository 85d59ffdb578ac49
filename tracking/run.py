"""`narrascope track`: score a corpus, then prevalence, spikes, movers, clusters and a dashboard.

    narrascope track data/stream/stream.jsonl --model production --out reports/tracking

Writes under --out: predictions/*.parquet (resumable), prevalence.csv, spikes.csv, movers.csv,
clusters.json, talking_points.json (when a matcher is given), summary.json and dashboard.html.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

from tracking.dashboard import render
from tracking.emerging import clusters, unclaimed
from tracking.score import read_predictions, read_texts, score_corpus
from tracking.trends import SPIKE_RULE, add_buckets, movers, prevalence, spikes

# Aggregation reads every row but no text: texts are fetched by id, only where shown.
COLUMNS = ["id", "published", "lang", "country", "source_type", "narratives"]


def track(
    source: str | Path,
    predictor,
    out_dir: str | Path,
    bucket: str = "week",
    batch_size: int = 512,
    embed=None,
    matcher=None,
) -> dict:
    """`embed(texts) -> vectors` enables emerging clusters; `matcher` enables talking points."""
    out_dir = Path(out_dir)
    started = time.perf_counter()
    counts = score_corpus(predictor, source, out_dir, batch_size)
    scored_seconds = time.perf_counter() - started
    df = add_buckets(read_predictions(out_dir, columns=COLUMNS), bucket)
    prev = prevalence(df)
    found_spikes, found_movers = spikes(prev), movers(prev)
    prev.to_csv(out_dir / "prevalence.csv", index=False)
    found_spikes.to_csv(out_dir / "spikes.csv", index=False)
    found_movers.to_csv(out_dir / "movers.csv", index=False)
    found_clusters = clusters(_with_text(unclaimed(df), out_dir), embed) if embed else []
    _write_json(out_dir / "clusters.json", found_clusters)
    matches = _talking_points(df, matcher, out_dir) if matcher is not None else []
    shown = df[df["bucket"].isin(set(found_spikes["bucket"]))]
    extra = {
        "model": predictor.version,
        "source": str(source),
        "clusters": found_clusters,
        "matches": matches,
    }
    page = render(prev, found_spikes, found_movers, _with_text(shown, out_dir), extra)
    (out_dir / "dashboard.html").write_text(page, encoding="utf-8")
    summary = {
        **counts,
        "documents": len(df),
        "bucket": bucket,
        "buckets": int(df["bucket"].nunique()),
        "spikes": len(found_spikes),
        "spike_rule": SPIKE_RULE,
        "clusters": len(found_clusters),
        "talking_points_echoed": len(matches),
        "scoring_seconds": round(scored_seconds, 2),
        "documents_per_second": round(counts["scored"] / scored_seconds, 1)
        if counts["scored"]
        else None,
        "model": predictor.version,
    }
    _write_json(out_dir / "summary.json", summary)
    return summary


def _with_text(df, out_dir: Path):
    texts = read_texts(out_dir, df["id"])
    return df.assign(text=df["id"].map(texts))


def _talking_points(df, matcher, out_dir: Path) -> list[dict]:
    """Per document matches (talking_points.json) and one summary row per talking point."""
    per_document, by_point = [], defaultdict(list)
    for start in range(0, len(df), 256):
        chunk = _with_text(df.iloc[start : start + 256], out_dir)
        for row, found in zip(chunk.itertuples(), matcher.match(chunk["text"].tolist())):
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
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
