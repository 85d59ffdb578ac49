"""Ensemble: a weighted average of registered models' label scores.

The artifact holds no weights of its own: the manifest names each member by registry version,
with the sha256 digest of the member's files at the time the ensemble was trained, and the
member weights. Members load through the registry, verified, and must still hash the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import numpy as np

from narrascope.errors import ArtifactError


class EnsembleModel:
    def __init__(self, members: list, weights: list[float]):
        self.members, self.weights = members, np.asarray(weights, dtype=np.float64)

    def scores(self, texts: list[str]) -> np.ndarray:
        return sum(w * m.scores(texts) for m, w in zip(self.members, self.weights))

    def save(self, directory) -> None:
        """Nothing beyond the manifest: the members live in the registry."""

    @classmethod
    def load(cls, spec: dict, labels: list[str], loader: Callable | None) -> EnsembleModel:
        if loader is None:
            raise ArtifactError(
                "an ensemble loads through the registry (its members are "
                "registry versions): use `Registry().load(...)`"
            )
        members = []
        for member in spec["members"]:
            predictor = loader(member["version"])
            if files_digest(predictor.registry_files) != member["files_sha256"]:
                raise ArtifactError(
                    f"ensemble member {member['version']} changed since the ensemble was trained"
                )
            if predictor.labels != labels:
                raise ArtifactError(f"ensemble member {member['version']} has another label set")
            members.append(predictor.model)
        return cls(members, [m["weight"] for m in spec["members"]])


def files_digest(files: dict[str, str]) -> str:
    """One sha256 over a registry entry's {file: sha256} map."""
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
