"""Train an ensemble and its members in one command, from member recipes (config files).

    narrascope train --config configs/ensemble_full.yaml --out artifacts/ensemble_full

Every member recipe is trained on the ensemble config's data, taxonomy and seed. The members'
validation scores (out-of-fold for the fast families, the held-out part for fine-tuning) choose
the weights on the documents every member validated, exactly as the registry ensemble does with
stored scores; then each member is fitted on all the data and stored inside the ensemble's
artifact. Nobody registers members by hand, and the result is one self-contained artifact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from narrascope.decode import Decoder
from narrascope.errors import DataError
from narrascope.families.ensemble import BundledEnsembleModel
from narrascope.training.config import TrainConfig
from narrascope.training.ensemble import EnsembleTrainer

# What a member takes from the ensemble's config rather than from its own recipe.
_SHARED = ("train_data", "taxonomy", "data_cards", "seed", "parent")


class RecipeEnsembleTrainer(EnsembleTrainer):
    validation_kind = (
        "members' validation scores, trained here (weights and thresholds tuned on them)"
    )

    def __init__(self, config: TrainConfig, decoder: Decoder, out_dir: Path):
        self.config, self.decoder, self.out_dir = config, decoder, Path(out_dir)
        self.weights: list[float] = []
        self._validation: tuple[int, np.ndarray, np.ndarray] | None = None

    def fit(self, texts: list[str], y: np.ndarray) -> BundledEnsembleModel:
        """Train every member from its recipe, weigh them on their validation scores."""
        from narrascope.training.train import make_trainer

        configs = [member_config(self.config, r) for r in self.config.ensemble.recipes]
        if len(configs) < 2:
            raise DataError("an ensemble needs at least two recipes", field="ensemble.recipes")
        members, specs, full = [], [], []
        for k, config in enumerate(configs):
            trainer = make_trainer(config, Path(f"{self.out_dir}.member{k}"), self.decoder)
            model = trainer.fit(texts, y)
            members.append(model)
            specs.append({"family": config.family, **trainer.describe(model)})
            idx, scores = trainer.validate(texts, y)
            matrix = np.full(y.shape, np.nan)
            matrix[idx] = scores
            full.append(matrix)
        common = np.flatnonzero(np.all([~np.isnan(m[:, 0]) for m in full], axis=0))
        self.weights, combined = self._weigh([m[common] for m in full], y[common])
        self._validation = (len(texts), common, combined)
        return BundledEnsembleModel(members, self.weights, specs)

    def describe(self, model: BundledEnsembleModel) -> dict:
        members = [
            {"path": path, "family": spec["family"], "recipe": recipe, "weight": weight}
            for path, spec, recipe, weight in zip(
                model.member_paths(), model.specs, self.config.ensemble.recipes, self.weights
            )
        ]
        return {
            "ensemble": {"bundled": True, "members": members},
            "n_features": sum(int(s.get("n_features", 0)) for s in model.specs),
        }


def member_config(config: TrainConfig, recipe: str) -> TrainConfig:
    """The recipe's config with the ensemble's data, taxonomy, cards and seed."""
    member = TrainConfig.from_yaml(recipe).to_dict()
    if member["family"] == "ensemble":
        raise DataError("a recipe cannot itself be an ensemble", file=recipe, field="family")
    ensemble = config.to_dict()
    member.update({key: ensemble[key] for key in _SHARED})
    return TrainConfig.from_dict(member, source=recipe)
