"""Throughput of the served model for batches of 64 texts, against the in-process Predictor.

    .venv/bin/python bench/throughput.py --model production [--requests 40] [--concurrency 1 4]

Steps: 1. load the model in-process and time Predictor.predict on 64-text batches (baseline)
2. start `bentoml serve` on 127.0.0.1 (a free port) with the same model
3. send a bounded number of 64-text requests at each concurrency, loopback only
4. print texts/s and latency percentiles, and the ratio served / in-process.
Texts are drawn from the bundled test split, cycling, so lengths are realistic.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

from model_registry import Registry
from narrascope.data import load_documents
from serving.launch import free_port, serve_command, stop, wait_ready

ROOT = Path(__file__).resolve().parents[1]

BATCH = 64


def main() -> None:
    args = _args()
    texts = [d.text for d in load_documents(ROOT / "data/corpus/test.jsonl").documents]
    batches = [[texts[(i * BATCH + j) % len(texts)] for j in range(BATCH)] for i in range(8)]
    version = Registry().resolve(args.model)
    baseline = _in_process(version, batches, args.requests)
    print(f"model {version}; in-process Predictor: {baseline:,.0f} texts/s (batches of {BATCH})")
    with _served(version) as base_url:
        for concurrency in args.concurrency:
            rate, latencies = _served_rate(base_url, batches, args.requests, concurrency)
            p50, p95 = np.percentile(latencies, [50, 95]) * 1000
            print(
                f"served, concurrency {concurrency}: {rate:,.0f} texts/s, "
                f"p50 {p50:.0f} ms, p95 {p95:.0f} ms per 64-text request, "
                f"ratio to in-process {rate / baseline:.2f}"
            )


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="production")
    parser.add_argument("--requests", type=int, default=40, help="requests per measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    return parser.parse_args()


def _in_process(version: str, batches, n: int) -> float:
    predictor = Registry().load(version)
    predictor.predict(batches[0])  # warm-up
    started = time.perf_counter()
    for i in range(n):
        predictor.predict(batches[i % len(batches)])
    return n * BATCH / (time.perf_counter() - started)


def _served_rate(base_url: str, batches, n: int, concurrency: int):
    payloads = [{"texts": [{"text": t} for t in batches[i % len(batches)]]} for i in range(n)]
    with httpx.Client(timeout=60) as client:
        client.post(f"{base_url}/v1/predict", json=payloads[0]).raise_for_status()  # warm-up

        def one(payload):
            started = time.perf_counter()
            client.post(f"{base_url}/v1/predict", json=payload).raise_for_status()
            return time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(one, payloads))
        elapsed = time.perf_counter() - started
    return n * BATCH / elapsed, np.array(latencies)


class _served:
    """`bentoml serve` in a subprocess on a free loopback port, stopped on exit."""

    def __init__(self, version: str):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            serve_command("127.0.0.1", port),
            cwd=ROOT,
            env={**os.environ, "NARRASCOPE_MODEL": version},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def __enter__(self) -> str:
        wait_ready(self.url, self.process)
        return self.url

    def __exit__(self, *exc) -> None:
        stop(self.process)


if __name__ == "__main__":
    main()
