"""Ensemble: a weighted average of registered models' label scores.

The artifact holds no weights of its own: the manifest names each member by registry version,
with the sha256 digest of the member's files at the time the ensemble was trained, and the
member weights. Members load through the registry, verified, and must still hash the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

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
    def from_artifact(cls, directory: Path, manifest: dict, loader: Callable | None = None):
        return cls.load(manifest["ensemble"], manifest["labels"], loader, directory)

    @classmethod
    def load(
        cls, spec: dict, labels: list[str], loader: Callable | None, directory=None
    ) -> EnsembleModel:
        if spec.get("bundled"):
            return BundledEnsembleModel.load_bundled(spec, Path(directory))
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


MEMBERS_DIR = "members"
MEMBER_MANIFEST = "member.json"


class BundledEnsembleModel(EnsembleModel):
    """An ensemble whose members were trained with it and live inside its artifact
    (`members/<k>-<family>/`: the member's weights and `member.json`, its family and encoder),
    so the artifact is complete on its own and registers, hashes and loads as one directory."""

    def __init__(self, members: list, weights: list[float], specs: list[dict]):
        super().__init__(members, weights)
        self.specs = specs  # per member: {"family": ..., plus what its family's loader needs}

    def member_paths(self) -> list[str]:
        return [f"{MEMBERS_DIR}/{k}-{s['family']}" for k, s in enumerate(self.specs)]

    def save(self, directory) -> None:
        for member, spec, path in zip(self.members, self.specs, self.member_paths()):
            target = Path(directory) / path
            target.mkdir(parents=True)
            member.save(target)
            (target / MEMBER_MANIFEST).write_text(json.dumps(spec, indent=2), encoding="utf-8")

    @classmethod
    def load_bundled(cls, spec: dict, directory: Path) -> BundledEnsembleModel:
        from narrascope.families import load_family

        members, specs = [], []
        for entry in spec["members"]:
            path = directory / entry["path"]
            try:
                member_spec = json.loads((path / MEMBER_MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ArtifactError(f"{path}: cannot read {MEMBER_MANIFEST} ({exc})") from None
            if member_spec.get("family") == "ensemble":
                raise ArtifactError(f"{path}: an ensemble member cannot be an ensemble")
            members.append(load_family(member_spec, path))
            specs.append(member_spec)
        return cls(members, [m["weight"] for m in spec["members"]], specs)
