"""Model families: each knows how to load its weights and score texts. Inference only."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from narrascope.errors import ArtifactError


class ScoringModel(Protocol):
    """What the Predictor needs from a family: label scores in [0, 1], one row per text."""

    def scores(self, texts: list[str]) -> np.ndarray: ...


def load_family(family: str, directory: Path) -> ScoringModel:
    # Imported lazily so that loading a linear model never imports torch.
    if family == "linear":
        from narrascope.families.linear import LinearModel

        return LinearModel.load(directory)
    raise ArtifactError(f"unknown model family '{family}' in {directory}")
