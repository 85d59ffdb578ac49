"""The Predictor: load an artifact directory, predict narratives for texts.

This is the only inference path: the CLI, the service and the evaluation all go through it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from narrascope.artifact import MODEL_CARD, TAXONOMY, read_manifest
from narrascope.decode import Decoder
from narrascope.families import load_family
from narrascope.langid import detect_languages
from narrascope.taxonomy import Taxonomy
from narrascope.text import has_letters


@dataclass(frozen=True)
class LabelScore:
    id: str
    label: str
    score: float
    threshold: float


@dataclass
class Prediction:
    lang: str
    lang_confidence: float
    narratives: list[LabelScore] = field(default_factory=list)
    subnarratives: list[LabelScore] = field(default_factory=list)
    other_score: float = 0.0  # score of the `Other` classifier (no narrative at all)

    @property
    def is_other(self) -> bool:
        return not self.narratives

    def to_dict(self) -> dict:
        return {**asdict(self), "other": self.is_other}


class Predictor:
    def __init__(
        self,
        directory: str | Path,
        version: str | None = None,
        loader=None,
        registry_files: dict[str, str] | None = None,
    ):
        """`version`, `loader` and `registry_files` are given when the registry loads a model."""
        self.directory = Path(directory)
        self.registry_version = version
        self.registry_files = registry_files or {}
        self.manifest = read_manifest(self.directory)
        self.taxonomy = Taxonomy.load(self.directory / TAXONOMY)
        self.labels: list[str] = list(self.manifest["labels"])
        self.thresholds = np.array([self.manifest["thresholds"][lab] for lab in self.labels])
        # Optional per-language thresholds (ThresholdConfig.per_language), used for texts in
        # those languages unless the caller overrides the thresholds.
        self.language_thresholds = {
            lang: np.array([cut[lab] for lab in self.labels])
            for lang, cut in self.manifest.get("language_thresholds", {}).items()
        }
        self.languages = frozenset(self.manifest.get("languages", []))
        self.model = load_family(self.manifest, self.directory, loader)
        self.decoder = Decoder(self.labels, self.taxonomy)

    @property
    def version(self) -> str:
        """The registry version when loaded through the registry, else the artifact's model id."""
        return self.registry_version or self.manifest["model_id"]

    @property
    def model_card(self) -> str:
        path = self.directory / MODEL_CARD
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def scores(self, texts: list[str]) -> np.ndarray:
        """Raw per-label scores, shape (len(texts), len(self.labels)), before thresholds."""
        if not texts:
            return np.zeros((0, len(self.labels)))
        return self.model.scores(list(texts))

    def predict(
        self,
        texts: list[str],
        langs: list[str | None] | None = None,
        threshold: float | None = None,
        top_k: int | None = None,
    ) -> list[Prediction]:
        """Predict each text; `threshold` overrides the narrative and subnarrative thresholds,
        `top_k` returns the k best narratives whatever the thresholds."""
        return self.decide(texts, self.scores(texts), langs, threshold, top_k)

    def decide(
        self,
        texts: list[str],
        scores: np.ndarray,
        langs: list[str | None] | None = None,
        threshold: float | None = None,
        top_k: int | None = None,
    ) -> list[Prediction]:
        """Labels from raw scores (as `scores()` returns them) for the same texts."""
        langs = langs or [None] * len(texts)
        cut = self.thresholds.copy()
        if threshold is not None:
            cut[:] = threshold
            cut[self.decoder.other] = self.thresholds[self.decoder.other]
        found = detect_languages(list(texts), langs, self.languages or None)
        return [
            self._decide(
                lang, row, self._cut_for(lang[0], cut, threshold), top_k, has_letters(text)
            )
            for text, lang, row in zip(texts, found, scores)
        ]

    def _cut_for(self, lang: str, cut: np.ndarray, threshold: float | None) -> np.ndarray:
        if threshold is not None or lang not in self.language_thresholds:
            return cut
        return self.language_thresholds[lang]

    def _decide(
        self, lang_found, row: np.ndarray, cut: np.ndarray, top_k, has_content: bool
    ) -> Prediction:
        lang, confidence = lang_found
        if has_content or top_k is not None:
            narratives, subs = self.decoder.decode(row, cut, top_k)
        else:  # emoji, digits, punctuation: nothing a narrative could be read from
            narratives, subs = [], []
        return Prediction(
            lang,
            confidence,
            self._scored(narratives, row, cut),
            self._scored(subs, row, cut),
            round(float(row[self.decoder.other]), 6),
        )

    def _scored(self, columns: list[int], row: np.ndarray, cut: np.ndarray) -> list[LabelScore]:
        out = [
            LabelScore(
                self.labels[c],
                self.taxonomy.node(self.labels[c]).label,
                round(float(row[c]), 6),
                round(float(cut[c]), 6),
            )
            for c in columns
        ]
        return sorted(out, key=lambda s: -s.score)
