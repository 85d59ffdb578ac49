"""Is forcing the best narrative onto every non-`Other` text worth it? Measured, not assumed.

    .venv/bin/python bench/decode_rule.py [--unlp ../shared/data/unlp2025/train.parquet]

Two decoding rules over the same scores of the linear family (configs/linear.yaml):
  forced: the old rule: when `Other` is below its threshold, keep at least the best narrative;
  strict: the rule the decoder uses now: only narratives that reach their thresholds; none
          reaching means `Other`.
On (1) the bundled held-out split (trained on data/corpus/train.jsonl) and (2) UNLP 2025 real
Telegram posts (techniques as flat labels, posts with no technique as `Other`; one seeded 80/20
split stratified by language; the data is not in the repo: absent, that part is skipped).
Two more rows keep the strict rule with other thresholds: tuned for samples-F1 over all label
columns (the `samples_f1` objective), and narrative thresholds fitted to the decoder
(`fit_narratives_to_decoder`: samples-F1 of the decoded narrative sets, what training uses).
Reported: narratives samples-F1 with `Other` as a label (SemEval's convention) and its 95%
bootstrap interval, the paired difference strict - forced with its interval, the share of
no-narrative texts flagged with one, and the share of narrative texts left with none.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from narrascope.data import load_documents
from narrascope.decode import Decoder
from narrascope.metrics import aligned, binarise, gold_sets, level_sets, samples_f1
from narrascope.schema import OTHER
from narrascope.taxonomy import Taxonomy
from narrascope.training.config import TrainConfig
from narrascope.training.thresholds import fit_narratives_to_decoder, tune_thresholds
from narrascope.training.train import make_trainer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_UNLP = ROOT.parent / "shared/data/unlp2025/train.parquet"
SEED = 13
RESAMPLES = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unlp", default=str(DEFAULT_UNLP))
    parser.add_argument("--out", default=str(ROOT / "bench/decode_rule.json"))
    args = parser.parse_args()
    results = {"bundled held-out": bundled()}
    if Path(args.unlp).is_file():
        results["UNLP 2025 (uk+ru)"] = unlp(args.unlp)
    else:
        print(f"{args.unlp} not found: UNLP part skipped")
    for name, figures in results.items():
        print(f"\n{name}: {json.dumps(figures, indent=1)}")
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


def bundled() -> dict:
    taxonomy = Taxonomy.load(ROOT / "data/taxonomy.yaml")
    train = load_documents(ROOT / "data/corpus/train.jsonl", taxonomy).documents
    test = load_documents(ROOT / "data/corpus/test.jsonl", taxonomy).documents
    labels = [*taxonomy.narrative_ids, *taxonomy.subnarrative_ids, OTHER]
    sets = [{*d.narratives, *d.subnarratives} | ({OTHER} if d.is_other else set()) for d in train]
    scores = _train_and_score(
        [d.text for d in train], binarise(sets, labels), [d.text for d in test]
    )
    return _compare(scores, gold_sets(test)["narratives"], Decoder(labels, taxonomy))


def unlp(path: str) -> dict:
    import pyarrow.parquet as pq

    rows = pq.read_table(path, columns=["content", "lang", "techniques"]).to_pylist()
    techniques = sorted({t for r in rows for t in (r["techniques"] or [])})
    taxonomy = _flat_taxonomy(techniques)
    labels = [*taxonomy.narrative_ids, OTHER]
    sets = [{f"T.{t}" for t in r["techniques"] or []} or {OTHER} for r in rows]
    train_idx, test_idx = train_test_split(
        np.arange(len(rows)), test_size=0.2, random_state=SEED, stratify=[r["lang"] for r in rows]
    )
    y = binarise(sets, labels)
    test_texts = [rows[i]["content"] for i in test_idx]
    scores = _train_and_score([rows[i]["content"] for i in train_idx], y[train_idx], test_texts)
    gold = [frozenset(sets[i]) for i in test_idx]
    return _compare(scores, gold, Decoder(labels, taxonomy))


def _flat_taxonomy(names: list[str]) -> Taxonomy:
    """Techniques as narratives of one domain, without subnarratives."""
    narratives = [{"id": f"T.{n}", "label": n, "description": n} for n in names]
    domain = {"id": "T", "label": "techniques", "description": "UNLP", "narratives": narratives}
    return Taxonomy.from_dict({"version": "1", "domains": [domain]})


def _train_and_score(texts: list[str], y: np.ndarray, test: list) -> tuple:
    """Scores of `test` (documents or texts) and thresholds tuned out-of-fold on `texts`."""
    config = TrainConfig.from_yaml(ROOT / "configs/linear.yaml")
    trainer = make_trainer(config, Path("/nonexistent"))
    model = trainer.fit(texts, y)
    val_idx, val_scores = trainer.validate(texts, y)
    thresholds = {
        objective: tune_thresholds(
            y[val_idx], val_scores, replace(config.thresholds, objective=objective)
        )
        for objective in ("label_f1", "samples_f1")
    }
    thresholds["validation"] = (y[val_idx], val_scores, config.thresholds.grid)
    return model.scores(test), thresholds


def _forced(decoder: Decoder, row: np.ndarray, thresholds: np.ndarray) -> list[int]:
    """The old rule, kept here only to measure it."""
    if row[decoder.other] >= thresholds[decoder.other]:
        return []
    passing = [int(c) for c in decoder.narratives if row[c] >= thresholds[c]]
    return passing or [int(decoder.narratives[np.argmax(row[decoder.narratives])])]


def _compare(scored, gold_narratives, decoder: Decoder) -> dict:
    scores, tuned = scored
    label_f1, samples = tuned["label_f1"], tuned["samples_f1"]
    y_val, val_scores, grid = tuned["validation"]
    fitted = fit_narratives_to_decoder(
        y_val, val_scores, label_f1, decoder.narratives, decoder.other, grid
    )
    rules = {
        "strict": [decoder.decode(row, label_f1)[0] for row in scores],
        "forced": [_forced(decoder, row, label_f1) for row in scores],
        "strict, samples-F1 thresholds": [decoder.decode(row, samples)[0] for row in scores],
        "strict, thresholds fitted to the decoder": [
            decoder.decode(row, fitted)[0] for row in scores
        ],
    }
    predicted = {
        rule: level_sets([([decoder.labels[i] for i in chosen], ()) for chosen in picks])[
            "narratives"
        ]
        for rule, picks in rules.items()
    }
    truth, *matrices, _ = aligned(gold_narratives, *predicted.values())
    is_other = np.array([s == frozenset({OTHER}) for s in gold_narratives])
    out = {"documents": len(truth), "no_narrative_documents": int(is_other.sum())}
    for rule, matrix in zip(predicted, matrices):
        flagged = np.array([s != frozenset({OTHER}) for s in predicted[rule]])
        out[rule] = {
            "samples_f1": _interval(truth, matrix),
            "no_narrative_flagged": round(float(flagged[is_other].mean()), 3),
            "narrative_left_without": round(float((~flagged)[~is_other].mean()), 3),
        }
    strict, forced, strict_samples, strict_fitted = matrices
    out["strict_minus_forced"] = _paired(truth, strict, forced)
    out["strict_samples_thresholds_minus_forced"] = _paired(truth, strict_samples, forced)
    out["strict_fitted_minus_forced"] = _paired(truth, strict_fitted, forced)
    return out


def _interval(truth, pred) -> list[float]:
    return _bootstrap(lambda rows: samples_f1(truth[rows], pred[rows]), len(truth))


def _paired(truth, a, b) -> list[float]:
    """a - b on the same resamples."""
    return _bootstrap(
        lambda rows: samples_f1(truth[rows], a[rows]) - samples_f1(truth[rows], b[rows]),
        len(truth),
    )


def _bootstrap(statistic, n: int) -> list[float]:
    """[value, 2.5%, 97.5%] of `statistic(rows)` over RESAMPLES seeded resamples of n rows."""
    rng = np.random.default_rng(SEED)
    draws = [statistic(rows) for rows in rng.integers(0, n, (RESAMPLES, n))]
    low, high = np.percentile(draws, [2.5, 97.5])
    return [round(statistic(slice(None)), 3), round(low, 3), round(high, 3)]


if __name__ == "__main__":
    main()
