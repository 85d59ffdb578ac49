"""Encoder speed and fidelity per precision: fp32 (baseline), dynamic int8, bf16 autocast.

    .venv/bin/python bench/precision.py [--texts 96]

Steps: 1. load the embedded encoder as the default config does (256-token windows, stride 32)
2. embed the same held-out texts in fp32, timing it  3. the same with dynamic int8 Linear layers
and with bf16 autocast  4. print texts/s, the ratio to fp32 and the minimum cosine to fp32.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from narrascope.data import load_documents
from narrascope.encoders.embedded import converted_dir
from narrascope.encoders.encoder import TextEncoder

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=96)
    args = parser.parse_args()
    texts = [d.text for d in load_documents(ROOT / "data/corpus/test.jsonl").documents]
    texts = texts[: args.texts]
    fp32 = TextEncoder(converted_dir(), max_tokens=256, stride=32)
    bf16 = TextEncoder(converted_dir(), max_tokens=256, stride=32, precision="bf16")
    int8 = TextEncoder(converted_dir(), max_tokens=256, stride=32)
    with warnings.catch_warnings():  # torch.ao's deprecation notice
        warnings.simplefilter("ignore")
        int8.model = torch.ao.quantization.quantize_dynamic(
            int8.model, {torch.nn.Linear}, dtype=torch.qint8
        )
    windows = fp32.windows(texts)
    print(f"{len(texts)} texts, {np.mean([len(w.ids) for w in windows]):.0f} tokens per window")
    base_rate, base = _timed(fp32, texts)
    print(f"fp32  {base_rate:6.1f} texts/s  ratio 1.00")
    for name, encoder in (("int8", int8), ("bf16", bf16)):
        rate, vectors = _timed(encoder, texts)
        cosine = (vectors * base).sum(axis=1).min()
        print(f"{name}  {rate:6.1f} texts/s  ratio {rate / base_rate:.2f}  min cosine {cosine:.4f}")


def _timed(encoder: TextEncoder, texts: list[str]) -> tuple[float, np.ndarray]:
    encoder.embed(texts[:8])  # warm-up
    started = time.perf_counter()
    vectors = encoder.embed(texts)
    return len(texts) / (time.perf_counter() - started), vectors


if __name__ == "__main__":
    main()
