"""Model families: each knows how to load its weights and score texts. Inference only."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from narrascope.errors import ArtifactError


class ScoringModel(Protocol):
    """What the Predictor needs from a family: label scores in [0, 1], one row per text."""

    def scores(self, texts: list[str]) -> np.ndarray: ...


def sigmoid(logits) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def load_family(manifest: dict, directory: Path, loader=None) -> ScoringModel:
    """`loader(version) -> Predictor` loads registry members (ensembles only)."""
    # Imported lazily so that loading a linear model never imports torch.
    family = manifest["family"]
    if family == "linear":
        from narrascope.families.linear import LinearModel

        return LinearModel.load(directory)
    if family == "ensemble":
        from narrascope.families.ensemble import EnsembleModel

        return EnsembleModel.load(manifest["ensemble"], manifest["labels"], loader, directory)
    if family == "finetuned":
        from narrascope.families.finetuned import FineTunedModel

        return FineTunedModel.load(directory, manifest["encoder"])
    if family == "encoder_linear":
        from narrascope.families.encoder_linear import EncoderLinearModel

        return EncoderLinearModel.load(directory, manifest["encoder"])
    raise ArtifactError(f"unknown model family '{family}' in {directory}")
