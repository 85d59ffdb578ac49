"""Where a linear model's inference time goes, against the pure-Python code it replaced.

    .venv/bin/python bench/linear_inference.py --registry /tmp/loadreg --model v1

In one process, on the bundled test split repeated `--copies` times (best of `--repeats`):
- features: scikit-learn's `TfidfVectorizer.transform` (the training vectoriser, given the
  model's vocabulary and idf) against `CharNgramTfidf.transform`, and the largest difference;
- language ID: langdetect as narrascope called it before (seeded, the model's languages only,
  first 200 characters, 3 random walks) against `detect_languages`, and how often they agree;
- the whole `Predictor.predict`, and `Predictor.scores` alone;
- language ID accuracy of both against the gold `lang` of the bundled corpus, the stream and
  (when present) the UNLP 2025 posts in ../shared/data.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from narrascope.data import load_documents  # noqa: E402
from narrascope.langid import detect_languages  # noqa: E402
from narrascope.model_registry import Registry  # noqa: E402
from narrascope.text import normalise  # noqa: E402


def rate(function, n: int, repeats: int) -> float:
    function()  # warm caches (profiles, tables)
    best = min(_seconds(function) for _ in range(repeats))
    return n / best


def _seconds(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def sklearn_vectorizer(features):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from narrascope.families.linear import LinearModel

    vectorizer = TfidfVectorizer(
        vocabulary={g: i for i, g in enumerate(features.ngrams)},
        **LinearModel.vectorizer_params(features.ngram_range),
    )
    vectorizer.idf_ = features.idf.astype("float64")
    return vectorizer


def langdetect_detector(languages: frozenset[str]):
    """The previous narrascope language ID: langdetect restricted to the model's languages."""
    import os

    from langdetect import DetectorFactory, LangDetectException
    from langdetect.detector_factory import PROFILES_DIRECTORY

    factory = DetectorFactory()
    names = [n for n in sorted(os.listdir(PROFILES_DIRECTORY)) if n[:2] in languages]
    factory.load_json_profile(
        [(Path(PROFILES_DIRECTORY) / n).read_text(encoding="utf-8") for n in names]
    )
    factory.set_seed(0)

    def detect(text: str) -> str:
        detector = factory.create()
        detector.set_max_text_length(200)
        detector.n_trial = 3
        detector.append(text)
        try:
            return detector.detect()[:2]
        except LangDetectException:
            return "und"

    return detect


def labelled_sets():
    """(name, [(text, gold language)]) for every labelled set here."""
    corpus = [
        (d.text, d.lang)
        for split in ("train", "test")
        for d in load_documents(ROOT / f"data/corpus/{split}.jsonl").documents
    ]
    stream = [(d.text, d.lang) for d in load_documents(ROOT / "data/stream/stream.jsonl").documents]
    yield "bundled corpus", corpus
    yield "stream", stream
    unlp = ROOT.parent / "shared/data/unlp2025/train.parquet"
    if unlp.is_file():
        import pyarrow.parquet as pq

        rows = pq.read_table(unlp, columns=["content", "lang"]).to_pylist()
        yield "UNLP 2025", [(r["content"], r["lang"]) for r in rows]


def _share(found: list[str], expected: list[str]) -> float:
    return sum(a == b for a, b in zip(found, expected)) / len(expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default="registry")
    parser.add_argument("--model", default="production", help="alias or version (linear)")
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    predictor = Registry(args.registry).load(args.model)
    if predictor.manifest["family"] != "linear":
        sys.exit(f"{args.model} is a {predictor.manifest['family']} model, not linear")
    documents = load_documents(ROOT / "data/corpus/test.jsonl").documents
    texts = [d.text for d in documents] * args.copies
    n, features = len(texts), predictor.model.features
    print(f"{n} texts (bundled test split x {args.copies}), best of {args.repeats}")

    reference = sklearn_vectorizer(features)
    difference = abs(
        features.transform(texts) - reference.transform([normalise(t) for t in texts])
    ).max()
    old_rate = rate(lambda: reference.transform([normalise(t) for t in texts]), n, args.repeats)
    new_rate = rate(lambda: features.transform(texts), n, args.repeats)
    print(
        f"features     scikit-learn {old_rate:8,.0f} texts/s   CharNgramTfidf {new_rate:8,.0f}"
        f" texts/s   x{new_rate / old_rate:.1f}   max |difference| {difference:.1e}"
    )

    detect = langdetect_detector(predictor.languages)
    old = [detect(t) for t in texts]
    new = [lang for lang, _ in detect_languages(texts, None, predictor.languages)]
    agree = sum(a == b for a, b in zip(old, new)) / n
    old_rate = rate(lambda: [detect(t) for t in texts], n, args.repeats)
    new_rate = rate(lambda: detect_languages(texts, None, predictor.languages), n, args.repeats)
    print(
        f"language ID  langdetect   {old_rate:8,.0f} texts/s   detect_languages {new_rate:6,.0f}"
        f" texts/s   x{new_rate / old_rate:.1f}   same answer {agree:.1%}"
    )
    for name, texts_and_langs in labelled_sets():
        gold = [lang for _, lang in texts_and_langs]
        labelled = [text for text, _ in texts_and_langs]
        old = [detect(t) for t in labelled]
        new = [lang for lang, _ in detect_languages(labelled, None, predictor.languages)]
        print(
            f"language ID accuracy, {name} ({len(gold)} texts): langdetect {_share(old, gold):.4f}"
            f"  detect_languages {_share(new, gold):.4f}  same answer {_share(old, new):.4f}"
        )
    for name, call in (("scores", predictor.scores), ("predict", predictor.predict)):
        print(f"Predictor.{name:8s} {rate(lambda c=call: c(texts), n, args.repeats):8,.0f} texts/s")


if __name__ == "__main__":
    main()
