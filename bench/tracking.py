"""Tracking throughput and peak memory against corpus size.

    python bench/tracking.py --registry registry --model linear --sizes 10000 100000
    python bench/tracking.py --registry registry --model production --sizes 2000

Builds corpora of N documents by cycling data/stream/stream.jsonl (fresh ids, same dates), runs
`narrascope track` on each in a fresh process (scoring + aggregation + dashboard; no clusters
or talking points, which are measured on their own), and reports documents/s of the scoring
step and the peak RSS of the whole process. Memory that stays flat from 10k to 100k documents
is the claim being tested.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from narrascope.files import read_jsonl

ROOT = Path(__file__).resolve().parents[1]
STREAM = ROOT / "data/stream/stream.jsonl"
MEASURE = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def build_corpus(size: int, folder: Path) -> Path:
    rows = [row for _, row in read_jsonl(STREAM)]
    path = folder / f"corpus-{size}.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(size):
            row = dict(rows[i % len(rows)], id=f"bench-{i}")
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def run(registry: str, model: str, corpus: Path, out: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "narrascope.app.cli",
        "--registry",
        registry,
        "track",
        str(corpus),
        "--model",
        model,
        "--out",
        str(out),
        "--no-clusters",
        "--talking-points",
        "none",
    ]
    peak_kb = int(
        subprocess.run(
            [sys.executable, "-c", MEASURE, *command], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    summary = json.loads((out / "summary.json").read_text())
    return {
        "documents": summary["documents"],
        "documents_per_second": summary["documents_per_second"],
        "peak_rss_mb": round(peak_kb / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default="registry")
    parser.add_argument("--model", default="production")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="narrascope-track-bench-") as tmp:
        for size in args.sizes:
            corpus = build_corpus(size, Path(tmp))
            result = run(args.registry, args.model, corpus, Path(tmp) / f"out-{size}")
            print(json.dumps({"model": args.model, "size": size, **result}), flush=True)


if __name__ == "__main__":
    main()
