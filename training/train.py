"""Train a model artifact from a config.

    narrascope train --config configs/finetuned.yaml --out artifacts/finetuned

Steps: 1. read config, taxonomy and data  2. the family's validation scores (out-of-fold, a
held-out split, or the ensemble members' stored ones) and per-label thresholds tuned on them
3. the final model  4. write the artifact (weights, validation scores, manifest, card)
5. print a one-screen summary with per-language validation figures.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path

import numpy as np

import narrascope
from narrascope.artifact import (
    SCHEMA_VERSION,
    TAXONOMY,
    git_commit,
    text_digest,
    utc_now,
)
from narrascope.data import load_documents, sha256_file, sha256_path
from narrascope.decode import Decoder
from narrascope.errors import DataError
from narrascope.families import FAMILIES, named
from narrascope.files import atomic_directory, check_writable, write_json
from narrascope.metrics import (
    LEVELS,
    aligned,
    binarise,
    gold_sets,
    level_sets,
    summary,
    summary_by_group,
)
from narrascope.schema import OTHER, Document
from narrascope.taxonomy import Taxonomy
from narrascope.training.card import write_model_card
from narrascope.training.config import TrainConfig
from narrascope.training.thresholds import (
    fit_narratives_to_decoder,
    tune_language_thresholds,
    tune_thresholds,
)


def train(config: TrainConfig, out_dir: str | Path, root: str | Path = ".") -> Path:
    started = time.perf_counter()
    root, out_dir = Path(root), Path(out_dir)
    check_inputs(config, out_dir, root)
    taxonomy = Taxonomy.load(root / config.taxonomy)
    docs = _load_training_data(config, taxonomy, root)
    # `Other` is a real label with its own classifier: it decides "no narrative at all".
    labels = [*taxonomy.narrative_ids, *taxonomy.subnarrative_ids, OTHER]
    texts = [d.text for d in docs]
    y = binarise([_label_set(d) for d in docs], labels)

    decoder = Decoder(labels, taxonomy)
    trainer = make_trainer(config, out_dir, decoder)
    model = trainer.fit(texts, y)
    # Scores for documents the scoring model never trained on: out-of-fold for the fast
    # families, a held-out validation part for fine-tuning. Thresholds are tuned on them.
    val_idx, val_scores = trainer.validate(texts, y)
    thresholds = tune_thresholds(y[val_idx], val_scores, config.thresholds)
    if config.thresholds.fit_to_decoder:
        thresholds = fit_narratives_to_decoder(
            y[val_idx],
            val_scores,
            thresholds,
            decoder.narratives,
            decoder.other,
            config.thresholds.grid,
        )
    validation = _validation_metrics(
        [docs[i] for i in val_idx], val_scores, thresholds, decoder, trainer.validation_kind
    )
    manifest = _manifest(
        config, taxonomy, docs, labels, thresholds, validation, root, extra=trainer.describe(model)
    )
    if config.thresholds.per_language:  # the Predictor uses them for texts in these languages
        by_lang = tune_language_thresholds(
            y[val_idx], val_scores, [docs[i].lang for i in val_idx], config.thresholds, thresholds
        )
        manifest["language_thresholds"] = {
            lang: {lab: float(t) for lab, t in zip(labels, cut)} for lang, cut in by_lang.items()
        }
    manifest["train_seconds"] = round(time.perf_counter() - started, 2)
    validation_scores = ([texts[i] for i in val_idx], val_scores)
    _write_artifact(out_dir, model, manifest, root / config.taxonomy, taxonomy, validation_scores)
    _print_summary(out_dir, manifest)
    return out_dir


def check_inputs(config: TrainConfig, out_dir: Path, root: Path = Path(".")) -> None:
    """Everything that could fail after training, checked before it: the files the manifest
    hashes exist, and the artifact's folder can be written. A DataError names the first problem."""
    inputs = [("taxonomy", config.taxonomy)]
    inputs += [("train_data", p) for p in config.train_data]
    inputs += [("data_cards", p) for p in config.data_cards]
    for field, path in inputs:
        if not (root / path).exists():
            raise DataError(f"no such file or folder: {root / path}", field=field)
    _check_writable(out_dir.parent, out_dir)


def _check_writable(folder: Path, out_dir: Path) -> None:
    try:
        check_writable(folder)
    except OSError as exc:
        raise DataError(f"cannot write the artifact {out_dir}: {exc.strerror} ({folder})") from None
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError(f"cannot write the artifact {out_dir}: it is a file, not a folder")


def _load_training_data(config: TrainConfig, taxonomy: Taxonomy, root: Path) -> list[Document]:
    docs: list[Document] = []
    for path in config.train_data:
        docs += load_documents(root / path, taxonomy).documents
    return docs


def _label_set(doc: Document) -> frozenset[str]:
    return (
        frozenset(doc.narratives)
        | frozenset(doc.subnarratives)
        | ({OTHER} if doc.is_other else set())
    )


def _validation_metrics(docs, scores: np.ndarray, thresholds, decoder: Decoder, kind: str) -> dict:
    gold = gold_sets(docs)
    pred = level_sets([decoder.decode_labels(row, thresholds) for row in scores])
    langs = [d.lang for d in docs]
    out = {"kind": kind, "documents": len(docs)}
    for level in LEVELS:
        truth, guess, _ = aligned(gold[level], pred[level])
        out[level] = {
            **summary(truth, guess),
            "per_language": summary_by_group(truth, guess, langs),
        }
    return {"validation": out}


def make_trainer(config: TrainConfig, out_dir: Path, decoder: Decoder | None = None):
    """The family's trainer, from its one registration (narrascope.families.FAMILIES)."""
    return named(FAMILIES[config.family].trainer)(config, Path(out_dir), decoder)


def _manifest(config, taxonomy, docs, labels, thresholds, validation, root, extra) -> dict:
    data_hashes = {p: sha256_path(root / p) for p in config.train_data}  # files or folders
    data_digest = "".join(data_hashes[p] for p in sorted(data_hashes))
    return {
        "schema_version": SCHEMA_VERSION,
        "model_id": f"{config.family}-{config.digest()[:8]}-{data_digest[:8]}",
        "family": config.family,
        "created": utc_now(),
        "narrascope_version": narrascope.__version__,
        "git_commit": git_commit(root),
        "labels": labels,
        "thresholds": {lab: float(t) for lab, t in zip(labels, thresholds)},
        "languages": sorted({d.lang for d in docs} - {"und"}),
        "taxonomy_version": taxonomy.version,
        "taxonomy_sha256": sha256_file(root / config.taxonomy),
        "data_cards": {p: sha256_path(root / p) for p in config.data_cards},
        "parent": config.parent,
        "config": config.to_dict(),
        "config_sha256": config.digest(),
        "data": {
            "files": data_hashes,
            "documents": len(docs),
            "per_language": dict(sorted(Counter(d.lang for d in docs).items())),
            "other_documents": sum(d.is_other for d in docs),
        },
        **extra,
        "metrics": validation,
    }


def _write_artifact(out_dir: Path, model, manifest, taxonomy_path, taxonomy, validation) -> None:
    with atomic_directory(out_dir) as tmp:
        model.save(tmp)
        shutil.copyfile(taxonomy_path, tmp / TAXONOMY)
        write_json(tmp / "manifest.json", manifest)
        write_model_card(tmp, manifest, taxonomy)
        _save_validation_scores(tmp / "validation.npz", *validation)


def _save_validation_scores(path: Path, texts: list[str], scores: np.ndarray) -> None:
    """Scores on documents the model never trained on, keyed by text hash (for ensembles)."""
    digests = np.array([text_digest(t) for t in texts], dtype="S64")
    np.savez(path, text_sha256=digests, scores=scores.astype(np.float32))


def _print_summary(out_dir: Path, manifest: dict) -> None:
    validation = manifest["metrics"]["validation"]
    levels = {k: v for k, v in validation.items() if k in LEVELS}
    print(f"\ntrained {manifest['model_id']} in {manifest['train_seconds']} s -> {out_dir}")
    print(
        f"  documents {manifest['data']['documents']} "
        f"({', '.join(f'{k} {v}' for k, v in manifest['data']['per_language'].items())})"
    )
    print(f"  labels {len(manifest['labels'])}, features {manifest['n_features']}")
    print(f"  validation: {validation['kind']}, {validation['documents']} documents")
    for level, figures in levels.items():
        per_lang = "  ".join(
            f"{k} {v['samples_f1']:.2f}" for k, v in figures["per_language"].items()
        )
        print(f"  {level} samples-F1 per language: {per_lang}")
    for level, figures in levels.items():
        print(
            f"  {level:13s} samples-F1 {figures['samples_f1']:.3f}  "
            f"micro-F1 {figures['micro_f1']:.3f}  macro-F1 {figures['macro_f1']:.3f}"
        )
