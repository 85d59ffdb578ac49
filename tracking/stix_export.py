"""`narrascope share export`: a tracking run (or prediction results) as one STIX 2.1 bundle.

    narrascope share export --tracking reports/tracking --out bundle.json [--tlp amber]

Reads what `narrascope track` wrote under --tracking: summary.json (the source and the bucket),
predictions/ (counts per narrative x language x country x bucket), clusters.json (emerging
clusters), coordination.json (coordinated accounts), talking_points.json (matches), and the
source documents' `campaign` field (labelled campaigns). Mapping: narrascope/share/stix.py.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from narrascope.data import iter_document_batches
from narrascope.errors import DataError
from narrascope.files import read_jsonl
from narrascope.share.stix import BundleBuilder, results_bundle, type_counts, write_bundle
from narrascope.talking_points import TalkingPointLibrary
from narrascope.taxonomy import Taxonomy
from narrascope.tracking.score import iter_prediction_frames
from narrascope.tracking.trends import add_buckets

BUCKET_LENGTH = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1)}


@dataclass
class ExportResult:
    path: Path
    types: dict[str, int]


def export_tracking(
    tracking_dir: str | Path,
    out: str | Path,
    taxonomy_path: str | Path = "data/taxonomy.yaml",
    talking_points: list[str] | None = None,
    tlp: str = "amber",
    actor: str | None = None,
    now=None,
) -> ExportResult:
    tracking_dir = Path(tracking_dir)
    summary = _read_json(tracking_dir / "summary.json", "run `narrascope track` first")
    taxonomy = Taxonomy.load(taxonomy_path)
    library = TalkingPointLibrary.load(talking_points or ["data/talking_points.jsonl"])
    builder = BundleBuilder(taxonomy, tlp, now)  # validates the TLP name before any work
    builder.talking_points(library)
    known = set(taxonomy.narratives)
    _counts(builder, tracking_dir, summary["bucket"], known)
    for entry in _read_json(tracking_dir / "talking_points.json", None) or []:
        for match in entry["matches"]:
            if match["talking_point"] in library:
                builder.match(entry["id"], match)
    for cluster in _read_json(tracking_dir / "clusters.json", None) or []:
        _emerging(builder, cluster)
    for cluster in _read_json(tracking_dir / "coordination.json", None) or []:
        builder.coordination({**cluster, "narratives": _known(cluster["narratives"], known)})
    for name, info in _labelled_campaigns(summary.get("source")).items():
        builder.campaign(
            f"labelled:{name}",
            name,
            f"Documents labelled with campaign '{name}' in {summary['source']} "
            f"({info['documents']} documents).",
            info["first"],
            info["last"],
            _known(info["narratives"], known),
            kind="labelled-campaign",
            size=info["documents"],
        )
    if actor:
        builder.actor(actor)
    bundle = builder.bundle()
    return ExportResult(write_bundle(bundle, out), type_counts(bundle))


def export_results(
    results_path: str | Path,
    out: str | Path,
    taxonomy_path: str | Path = "data/taxonomy.yaml",
    talking_points: list[str] | None = None,
    tlp: str = "amber",
    now=None,
) -> ExportResult:
    """From prediction results, one JSON object a line (/v1/predict `results` items, or
    `narrascope predict` output): narratives, talking points matched, counts."""
    path = Path(results_path)
    results = []
    for number, row in read_jsonl(path):
        if not isinstance(row.get("narratives"), list):
            raise DataError("needs a 'narratives' list", file=str(path), line=number)
        results.append({**row, "id": row.get("id") or f"{path.stem}-{number}"})
    taxonomy = Taxonomy.load(taxonomy_path)
    library = TalkingPointLibrary.load(talking_points or ["data/talking_points.jsonl"])
    bundle = results_bundle(taxonomy, library, results, tlp, now)
    return ExportResult(write_bundle(bundle, out), type_counts(bundle))


def _read_json(path: Path, missing: str | None):
    if not path.exists():
        if missing:
            raise DataError(f"not found ({missing})", file=str(path))
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON: {exc.msg}", file=str(path)) from None


def _known(narratives, known: set[str]) -> list[str]:
    # A campaign's gold labels may be outside the export taxonomy (biolabs): tie what exists.
    return [n for n in narratives if n in known]


def _counts(builder: BundleBuilder, tracking_dir: Path, bucket: str, known: set[str]) -> None:
    """observed-data per narrative x language x country x bucket, summed over bounded frames."""
    columns = ["id", "published", "lang", "country", "narratives"]
    totals: dict[tuple, int] = defaultdict(int)
    for frame in iter_prediction_frames(tracking_dir, columns):
        frame = add_buckets(frame, bucket).explode("narratives").dropna(subset=["narratives"])
        grouped = frame.groupby(["narratives", "lang", "country", "bucket"]).size()
        for key, n in grouped.items():
            totals[key] += int(n)
    for (narrative, lang, country, start), n in sorted(totals.items()):
        if narrative not in known:
            continue
        first = pd.Timestamp(start)
        end = first + BUCKET_LENGTH.get(bucket, pd.DateOffset(months=1)) - pd.Timedelta(seconds=1)
        builder.count(
            narrative,
            lang,
            country,
            first.to_pydatetime(),
            end.to_pydatetime(),
            f"{bucket}:{start}",
            n,
        )


def _emerging(builder: BundleBuilder, cluster: dict) -> None:
    # Cluster numbers change from run to run; the examples nearest the centre identify it.
    key = "emerging:" + ",".join(sorted(e["id"] for e in cluster["examples"]))
    buckets = sorted(cluster["per_bucket"])
    builder.campaign(
        key,
        f"Emerging cluster: {', '.join(cluster['terms'][:4]) or cluster['cluster']}",
        "Documents no known narrative claims, clustered by meaning (narrascope track). "
        f"Examples: {' | '.join(e['text'][:160] for e in cluster['examples'])}",
        buckets[0],
        buckets[-1],
        kind="emerging-cluster",
        size=cluster["size"],
        recent_share=cluster["recent_share"],
        languages=cluster["languages"],
        terms=cluster["terms"],
    )


def _labelled_campaigns(source: str | None) -> dict[str, dict]:
    """{campaign: documents, first and last date, gold narratives} from the source documents."""
    if not source or not Path(source).exists():
        return {}
    found: dict[str, dict] = {}
    for batch in iter_document_batches(source, 1024):
        for doc in batch:
            if not doc.campaign or doc.published is None:
                continue
            info = found.setdefault(
                doc.campaign,
                {"documents": 0, "first": doc.published, "last": doc.published, "narratives": {}},
            )
            info["documents"] += 1
            info["first"], info["last"] = (
                min(info["first"], doc.published),
                max(info["last"], doc.published),
            )
            for n in doc.narratives:
                info["narratives"][n] = None
    return found
