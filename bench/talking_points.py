"""Talking-point matching: calibrate on train, measure on test, check cross-lingual matching.

    .venv/bin/python bench/talking_points.py [--write]

Steps:
1. load the library (data/talking_points.jsonl) and the corpus; gold pairs are each document's
   `talking_points`;
2. embed every sentence of train and test once with the embedded multilingual-e5-small
   (the default matcher), timing it (sentences/s);
3. choose the threshold maximising micro F1 of (document, talking point) pairs on train;
   report precision/recall/F1 on test at that threshold, overall and per language;
4. cross-lingual: which language's phrasing found each correct test match, and the same
   test documents matched (a) against English phrasings only and (b) leaving out the phrasings
   in the document's own language;
5. baseline, same run: character n-gram TF-IDF cosine (2-4, char_wb) in place of the encoder,
   calibrated the same way;
6. with --write, save data/talking_points.calibration.json (the default matcher's threshold).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from narrascope.data import load_documents, sha256_file
from narrascope.encoders import EMBEDDED_E5
from narrascope.metrics import f1_from_counts
from narrascope.talking_points import (
    DEFAULT_CALIBRATION,
    DEFAULT_LIBRARY,
    PREFIX,
    SentenceSimilarities,
    TalkingPointLibrary,
    TalkingPointMatcher,
    calibrate,
    embedded_encoder,
    evaluate,
    gold_matrix,
)
from narrascope.text import split_sentences

ROOT = Path(__file__).resolve().parents[1]
SPLITS = {"train": "data/corpus/train.jsonl", "test": "data/corpus/test.jsonl"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {DEFAULT_CALIBRATION.name}")
    args = parser.parse_args()
    library = TalkingPointLibrary.load(DEFAULT_LIBRARY)  # 1
    docs = {name: load_documents(ROOT / path).documents for name, path in SPLITS.items()}
    gold = {n: gold_matrix([d.talking_points for d in ds], library) for n, ds in docs.items()}
    encoder, fingerprint = embedded_encoder()  # 2
    matcher = TalkingPointMatcher(library, encoder, 0.0, fingerprint=fingerprint)
    sims, speed = {}, {}
    for name, ds in docs.items():
        started = time.perf_counter()
        sims[name] = matcher.similarities([d.text for d in ds])
        speed[name] = _speed(len(sims[name].similarities), time.perf_counter() - started)
    speed["warm_test_best_of_3"] = _warm_speed(matcher, [d.text for d in docs["test"]])
    result = _variant(matcher, sims, gold, docs["test"])  # 3
    chosen = result["threshold"]
    result["cross_lingual"] = _cross_lingual(matcher, sims, gold, docs, chosen)  # 4
    result["baselines"] = _baselines(matcher, sims, docs, gold)  # 5
    summary = {
        "threshold": chosen,
        "scoring": matcher.scoring,
        "encoder": EMBEDDED_E5,
        "encoder_fingerprint": fingerprint,
        "prefix": PREFIX,
        "library": str(DEFAULT_LIBRARY.relative_to(ROOT)),
        "library_sha256": sha256_file(DEFAULT_LIBRARY),
        "calibrated_on": SPLITS["train"],
        "evaluated_on": SPLITS["test"],
        **{k: v for k, v in result.items() if k != "threshold"},
        "speed": speed,
        "command": ".venv/bin/python bench/talking_points.py --write",
    }
    _print(summary)
    if args.write:  # 6
        DEFAULT_CALIBRATION.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {DEFAULT_CALIBRATION.relative_to(ROOT)}")


def _speed(sentences: int, seconds: float) -> dict:
    rate = round(sentences / seconds, 1)
    return {"sentences": sentences, "seconds": round(seconds, 1), "sentences_per_s": rate}


def _warm_speed(matcher, texts: list[str], repeats: int = 3) -> dict:
    """Sentences/s of `similarities` once warm: the best of `repeats` runs (the CPU is shared;
    the load average at the end says how busy it was)."""
    matcher.similarities(texts[:16])
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        n = len(matcher.similarities(texts).similarities)
        seconds.append(time.perf_counter() - started)
    return {**_speed(n, min(seconds)), "load_average_1min": round(os.getloadavg()[0], 2)}


def _variant(matcher, sims, gold, test_docs=None) -> dict:
    """Threshold chosen on train, figures on test (per language with `test_docs`), and micro F1
    over train + test by 5-fold cross-validation of the threshold (less noisy than 39 pairs)."""
    scores = {n: matcher.best(s).scores for n, s in sims.items()}
    chosen = calibrate(scores["train"], gold["train"])
    test = _figures(evaluate(scores["test"], gold["test"], chosen.threshold))
    if test_docs is not None:
        test["per_language"] = _per_language(test_docs, scores["test"], gold["test"], chosen)
    pooled = np.concatenate([scores["train"], scores["test"]])
    pooled_gold = np.concatenate([gold["train"], gold["test"]])
    return {
        "threshold": chosen.threshold,
        "train": _figures(chosen),
        "test": test,
        "cv5_f1_all_documents": round(_cross_validated_f1(pooled, pooled_gold), 4),
    }


def _cross_validated_f1(scores: np.ndarray, gold: np.ndarray, folds: int = 5) -> float:
    """Micro F1 with each fold's threshold chosen on the other folds (seeded split)."""
    order = np.random.default_rng(0).permutation(len(gold))
    tp = predicted = 0
    for held in np.array_split(order, folds):
        rest = np.setdiff1d(order, held)
        threshold = calibrate(scores[rest], gold[rest]).threshold
        found = scores[held] >= threshold
        tp, predicted = tp + int((found & gold[held]).sum()), predicted + int(found.sum())
    return float(f1_from_counts(tp, predicted, int(gold.sum())))


def _figures(c) -> dict:
    return {
        "precision": round(c.precision, 4),
        "recall": round(c.recall, 4),
        "f1": round(c.f1, 4),
        "support": c.support,
        "predicted": c.predicted,
    }


def _per_language(docs, scores, gold, chosen) -> dict:
    out = {}
    for lang in sorted({d.lang for d in docs}):
        rows = [i for i, d in enumerate(docs) if d.lang == lang]
        figures = _figures(evaluate(scores[rows], gold[rows], chosen.threshold))
        out[lang] = {**figures, "documents": len(rows)}
    return out


def _cross_lingual(matcher, sims, gold, docs, threshold) -> dict:
    """Which phrasing language found each correct match; English-only and own-language-out."""
    train, test = docs["train"], docs["test"]
    langs = np.array(matcher.phrasing_langs)
    best = matcher.best(sims["test"])
    hits = (best.scores >= threshold) & gold["test"]
    doc_langs = np.array([d.lang for d in test])
    via = langs[best.columns[hits]]
    other = via != np.repeat(doc_langs[:, None], hits.shape[1], axis=1)[hits]
    found_docs = np.flatnonzero(hits.any(axis=1))
    docs_other = [d for d in found_docs if (langs[best.columns[d, hits[d]]] != doc_langs[d]).all()]
    out = {
        "correct_matches": int(hits.sum()),
        "via_other_language_phrasing": int(other.sum()),
        "share_via_other_language": round(float(other.mean()) if len(other) else 0.0, 4),
        "documents_matched_only_via_other_language": f"{len(docs_other)}/{len(found_docs)}",
    }
    non_en = doc_langs != "en"
    english = np.broadcast_to(langs == "en", (len(test), len(langs)))
    en_scores = matcher.best(sims["test"], english).scores[non_en]
    train_non_en = np.array([d.lang != "en" for d in train])
    en_train = matcher.best(sims["train"], np.broadcast_to(langs == "en", (len(train), len(langs))))
    en_threshold = calibrate(en_train.scores[train_non_en], gold["train"][train_non_en]).threshold
    out["english_phrasings_only_non_english_test_docs"] = {
        "at_threshold": _figures(evaluate(en_scores, gold["test"][non_en], threshold)),
        "recalibrated_on_train": {
            "threshold": round(en_threshold, 6),
            **_figures(evaluate(en_scores, gold["test"][non_en], en_threshold)),
        },
    }
    out["own_language_phrasings_left_out"] = _own_language_out(
        matcher, sims["test"], gold["test"], test, threshold
    )
    return out


def _baselines(matcher, sims, docs, gold) -> dict:
    """Plain cosine (same embeddings) and character n-gram TF-IDF, calibrated the same way."""
    tables = {
        "cosine": {
            n: SentenceSimilarities(s.sentences, s.embeddings @ matcher.phrasing_vectors.T)
            for n, s in sims.items()
        },
        "char_tfidf": _tfidf(matcher, docs),
    }
    out = {}
    for name, table in tables.items():
        out[name] = _variant(matcher, table, gold)
        out[name]["test_own_language_phrasings_left_out"] = _own_language_out(
            matcher, table["test"], gold["test"], docs["test"], out[name]["threshold"]
        )
    return out


def _own_language_out(matcher, sims, gold, docs, threshold) -> dict:
    """Test figures when a document may only match phrasings in other languages."""
    langs = np.array(matcher.phrasing_langs)
    allowed = langs[None, :] != np.array([d.lang for d in docs])[:, None]
    return _figures(evaluate(matcher.best(sims, allowed).scores, gold, threshold))


def _tfidf(matcher, docs) -> dict[str, SentenceSimilarities]:
    """Character n-gram TF-IDF cosine, sentence against phrasing, in place of the encoder."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    phrasings = [text for _, _, text in matcher.phrasings]
    split = {n: [split_sentences(d.text) for d in ds] for n, ds in docs.items()}
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    vectorizer.fit(phrasings + [s.text for group in split["train"] for s in group])
    p = vectorizer.transform(phrasings)
    out = {}
    for name, groups in split.items():
        s = vectorizer.transform([x.text for group in groups for x in group])
        out[name] = SentenceSimilarities(groups, (s @ p.T).toarray().astype(np.float32))
    return out


def _print(s: dict) -> None:
    def line(name, f):
        return f"{name:<46} P {f['precision']:.3f}  R {f['recall']:.3f}  F1 {f['f1']:.3f}"

    cross = s["cross_lingual"]
    en = cross["english_phrasings_only_non_english_test_docs"]
    print(f"\n{s['scoring']} scoring, threshold {s['threshold']:.4f} (chosen on train)")
    print(line("train (calibration)", s["train"]))
    print(line(f"test ({s['test']['support']} gold pairs)", s["test"]))
    for lang, f in s["test"]["per_language"].items():
        print(line(f"  {lang} ({f['documents']} docs, {f['support']} gold)", f))
    print(f"5-fold F1, all 680 documents: {s['cv5_f1_all_documents']:.3f}")
    for name, b in s["baselines"].items():
        ratio = s["cv5_f1_all_documents"] / max(b["cv5_f1_all_documents"], 1e-9)
        print(line(f"baseline {name}: test (thr {b['threshold']:.3f})", b["test"]))
        print(f"  5-fold F1 {b['cv5_f1_all_documents']:.3f}; {s['scoring']} / {name}: x{ratio:.2f}")
        print(
            line(
                "  test, own-language phrasings left out", b["test_own_language_phrasings_left_out"]
            )
        )
    print(
        f"correct test matches via another language's phrasing: "
        f"{cross['via_other_language_phrasing']}/{cross['correct_matches']}"
    )
    print(line("non-en test docs, English phrasings only", en["at_threshold"]))
    rechosen = en["recalibrated_on_train"]
    print(line(f"  same, threshold re-chosen ({rechosen['threshold']:.3f})", rechosen))
    print(line("test, own-language phrasings left out", cross["own_language_phrasings_left_out"]))
    for name, sp in s["speed"].items():
        print(
            f"embedding {name}: {sp['sentences']} sentences in {sp['seconds']} s, "
            f"{sp['sentences_per_s']} sentences/s"
            + (f" (load average {sp['load_average_1min']})" if "load_average_1min" in sp else "")
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
