"""Encoder-family inference on ~128-token texts, bf16 against fp32, and what it costs in F1.

    NARRASCOPE_REGISTRY=registry .venv/bin/python bench/encoder_inference.py --model production

Steps: 1. load a registered encoder-family model (finetuned or encoder_linear)  2. pick the
bundled training texts of 117-142 tokens (4 copies: ~90 texts)  3. time `scores` with the
model's recorded precision and with autocast off (fp32), all texts in one call and one text
per call (what a server without batching does)  4. evaluate both on the held-out split and
print texts/s, the ratio, and narratives samples-F1 / macro-F1 for each.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from narrascope.data import load_documents
from narrascope.eval.report import evaluate
from narrascope.model_registry import Registry

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="production")
    args = parser.parse_args()
    predictor = Registry().load(args.model)
    encoder = predictor.model.encoder
    texts = _texts_of_about_128_tokens(encoder)
    test = load_documents(ROOT / "data/corpus/test.jsonl").documents
    print(f"model {predictor.version} ({predictor.manifest['family']}), {len(texts)} texts")
    recorded = predictor.manifest["encoder"].get("precision", "fp32")
    base = None
    for name in (recorded, "fp32"):
        encoder.set_precision(name)
        rate, one_by_one = _rate(predictor, texts), _rate_one_by_one(predictor, texts)
        figures = evaluate(predictor, test, "test")["levels"]["narratives"]["overall"]
        base = base or rate
        print(
            f"{name}: {rate:6.1f} texts/s (ratio {rate / base:.2f}), one text per call "
            f"{one_by_one:6.1f} texts/s (batching gains x{rate / one_by_one:.2f}); held-out "
            f"narratives samples-F1 {figures['samples_f1']['value']:.4f}, "
            f"macro-F1 {figures['macro_f1']['value']:.4f}"
        )


def _texts_of_about_128_tokens(encoder) -> list[str]:
    docs = [d.text for d in load_documents(ROOT / "data/corpus/train.jsonl").documents]
    counts = [len(i) for i in encoder.tokenizer.content_ids([encoder.prefix + t for t in docs])]
    return [t for t, n in zip(docs, counts) if 115 <= n <= 140] * 4  # + <s> </s> = 117-142


def _rate(predictor, texts: list[str]) -> float:
    predictor.scores(texts[:8])  # warm-up
    started = time.perf_counter()
    predictor.scores(texts)
    return len(texts) / (time.perf_counter() - started)


def _rate_one_by_one(predictor, texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        predictor.scores([text])
    return len(texts) / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
