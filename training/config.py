"""Typed training configuration, read from a committed YAML file under configs/."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from narrascope import families
from narrascope.errors import DataError


@dataclass(frozen=True)
class LinearConfig:
    ngram_range: tuple[int, int] = (2, 5)
    max_features: int = 60000
    min_df: int = 2
    C: float = 32.0
    class_weight: str | None = "balanced"


@dataclass(frozen=True)
class EncoderConfig:
    """Which encoder embeds the texts, and how long texts are windowed and pooled."""

    base_model: str = "embedded:multilingual-e5-small"
    max_tokens: int = 256  # per window, <s> and </s> included
    stride: int = 32  # tokens shared by consecutive windows
    pooling: str = "mean"  # how a text's windows combine: length-weighted mean, or max
    prefix: str = "passage: "  # e5 models expect it; set "" for other encoders
    batch_size: int = 32
    threads: int | None = None  # torch threads; None keeps torch's default
    precision: str = "auto"  # fp32, bf16, or auto: bf16 where the CPU has it natively


@dataclass(frozen=True)
class HeadConfig:
    """Logistic-regression heads on frozen embeddings."""

    C: float = 4.0
    class_weight: str | None = "balanced"


@dataclass(frozen=True)
class FinetuneConfig:
    """Fine-tuning the encoder with a multi-label head (BCE, pos_weight for rare labels)."""

    epochs: int = 4
    batch_size: int = 16  # documents per step (their windows are encoded together)
    learning_rate: float = 5e-5  # encoder
    head_learning_rate: float = 2e-3
    weight_decay: float = 0.01
    freeze_word_embeddings: bool = True  # 96 M of e5-small's 118 M parameters stay as they are
    pos_weight_cap: float = 10.0  # BCE weight of positives: negatives/positives, capped
    validation_fraction: float = 0.15  # early stopping and thresholds are decided on it
    patience: int = 2  # epochs without a better validation loss before stopping
    attention_dropout: float = 0.0  # 0.1 in e5's config; a quarter of each CPU step (measured)
    max_batch_tokens: int = 2048  # per forward pass; larger batches accumulate gradients
    # Recompute each layer's activations in the backward pass instead of keeping them: same
    # weights, 30-40% more time; on UNLP posts peak RSS 3.5 instead of 3.7 GB (bench/RESULTS.md).
    gradient_checkpointing: bool = False
    checkpoint_dir: str | None = None  # default: "<out>.checkpoints"; resumed when present


@dataclass(frozen=True)
class EnsembleConfig:
    """Registered models to combine (versions or aliases) and the weight grid's step."""

    members: tuple[str, ...] = ()
    weight_step: float = 0.1
    # Or: member recipes (config files) trained here, in one command, on this config's data;
    # the members are stored inside the ensemble's artifact, so nothing is registered by hand.
    recipes: tuple[str, ...] = ()


FAMILIES = tuple(families.FAMILIES)  # registered once, in narrascope.families
OBJECTIVES = ("label_f1", "samples_f1", "precision_floor")


@dataclass(frozen=True)
class ThresholdConfig:
    folds: int = 4  # thresholds are tuned on out-of-fold scores: every document is validation once
    # No threshold below 0.15: tuned on ~30 positives per label, lower cut-offs fit noise and
    # let weak labels fire on any propaganda text (out-of-fold samples-F1 0.513 -> 0.530).
    grid: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(3, 19))
    min_positives: int = 3  # below this, keep the default threshold rather than tune on noise
    default: float = 0.5
    # What each label's threshold maximises: "label_f1" (its own F1: what macro-F1 rewards),
    # "samples_f1" (per-document F1 averaged over documents, SemEval's metric: coordinate ascent
    # over labels from the label_f1 start) or "precision_floor" (the most recall at a precision
    # of at least `precision_floor`).
    objective: str = "label_f1"
    precision_floor: float = 0.7
    # Shrink a label's tuned threshold toward the one global threshold (best micro-F1 over all
    # labels) as if `shrinkage` extra positives had voted for it: t = (n t_label + k t_global)
    # / (n + k). Rare labels then stop fitting noise; 0 keeps every label on its own.
    shrinkage: float = 0.0
    # Thresholds per language, tuned on each language's documents and shrunk toward the
    # all-language thresholds (`shrinkage` again, at least 1 when on); languages with fewer
    # than `min_language_documents` validation documents use the all-language thresholds.
    per_language: bool = False
    min_language_documents: int = 50
    # Then move narrative thresholds to what maximises samples-F1 of the decoded narrative sets
    # (no narrative reaching its threshold means Other). bench/decode_rule.py, linear family:
    # +0.024 on UNLP 2025, -0.007 (within noise) on the bundled held-out split; off by default
    # until it holds on more real data.
    fit_to_decoder: bool = False


@dataclass(frozen=True)
class TrainConfig:
    family: str = "linear"
    train_data: tuple[str, ...] = ("data/corpus/train.jsonl",)
    taxonomy: str = "data/taxonomy.yaml"
    data_cards: tuple[str, ...] = ()  # the cards describing train_data; hashed into lineage
    parent: str | None = None  # registry version this model continues from (lineage only)
    seed: int = 13
    linear: LinearConfig = field(default_factory=LinearConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    head: HeadConfig = field(default_factory=HeadConfig)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    ensemble: EnsembleConfig = field(default_factory=EnsembleConfig)
    thresholds: ThresholdConfig = field(default_factory=ThresholdConfig)

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainConfig:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise DataError(f"cannot read config: {exc}", file=str(path)) from None
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, source: str = "<config>") -> TrainConfig:
        raw = dict(raw)
        _reject_unknown(raw, cls, source)
        nested = {
            "linear": LinearConfig,
            "encoder": EncoderConfig,
            "head": HeadConfig,
            "finetune": FinetuneConfig,
            "ensemble": EnsembleConfig,
            "thresholds": ThresholdConfig,
        }
        for key, kind in nested.items():
            part = raw.get(key) or {}
            _reject_unknown(part, kind, source, prefix=f"{key}.")
            raw[key] = kind(**{k: tuple(v) if isinstance(v, list) else v for k, v in part.items()})
        if isinstance(raw.get("train_data"), str):
            raw["train_data"] = [raw["train_data"]]
        for key in ("train_data", "data_cards"):
            if key in raw:
                raw[key] = tuple(raw[key])
        config = cls(**raw)
        if config.family not in FAMILIES:
            raise DataError(
                f"unknown family '{config.family}' (available: {', '.join(FAMILIES)})",
                file=source,
                field="family",
            )
        if config.thresholds.objective not in OBJECTIVES:
            raise DataError(
                f"unknown objective '{config.thresholds.objective}' "
                f"(available: {', '.join(OBJECTIVES)})",
                file=source,
                field="thresholds.objective",
            )
        low, high = config.linear.ngram_range
        if not 1 <= low <= high:
            raise DataError(
                "needs 1 <= low <= high",
                file=source,
                field="linear.ngram_range",
            )
        return config

    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self)))

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def _reject_unknown(raw: dict, kind, source: str, prefix: str = "") -> None:
    known = {f.name for f in fields(kind)}
    for key in raw:
        if key not in known:
            raise DataError(
                f"unknown setting (known: {', '.join(sorted(known))})",
                file=source,
                field=prefix + key,
            )
