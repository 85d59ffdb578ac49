"""Model families: each knows how to load its weights and score texts. Inference only."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from narrascope.errors import ArtifactError


class ScoringModel(Protocol):
    """What the Predictor needs from a family: label scores in [0, 1], one row per text."""

    def scores(self, texts: list[str]) -> np.ndarray: ...


def sigmoid(logits) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


@dataclass(frozen=True)
class Family:
    """A model family, registered once, here: the class that reads its artifact (in the core)
    and the factory of its trainer (in the training layer). Both are named as "module:attribute"
    and imported only when used, so loading a linear model never imports torch and the core
    never imports the training layer."""

    name: str
    model: str  # a class with from_artifact(directory, manifest, loader) -> ScoringModel
    trainer: str  # a function (config, out_dir, decoder) -> trainer


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "linear",
            "narrascope.families.linear:LinearModel",
            "narrascope.training.linear:make_trainer",
        ),
        Family(
            "encoder_linear",
            "narrascope.families.encoder_linear:EncoderLinearModel",
            "narrascope.training.encoder_linear:make_trainer",
        ),
        Family(
            "finetuned",
            "narrascope.families.finetuned:FineTunedModel",
            "narrascope.training.finetune:make_trainer",
        ),
        Family(
            "ensemble",
            "narrascope.families.ensemble:EnsembleModel",
            "narrascope.training.ensemble:make_trainer",
        ),
    )
}


def named(reference: str):
    """The object a "module:attribute" reference names."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


def load_family(manifest: dict, directory: Path, loader=None) -> ScoringModel:
    """`loader(version) -> Predictor` loads registry members (ensembles only)."""
    family = FAMILIES.get(manifest["family"])
    if family is None:
        raise ArtifactError(f"unknown model family '{manifest['family']}' in {directory}")
    return named(family.model).from_artifact(Path(directory), manifest, loader)
