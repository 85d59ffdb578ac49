"""Talking-point libraries as registry versions, and the one way the service finds its library.

    narrascope registry talking-points register data/talking_points.jsonl --alias production
    NARRASCOPE_TALKING_POINTS=registry:production narrascope serve

A version is a talking-point bundle (narrascope.talking_points.bundle: the library files, the
centering reference and the calibration) kept under <registry>/talking_points/ with the model
registry's own machinery: immutable versions, sha256 of every file, aliases, events, verify.
Versions and aliases are their own namespace there, so `production` can name a model and a
library independently.

$NARRASCOPE_TALKING_POINTS (see `resolve_talking_points`):
    registry:REF                  a version or alias of this registry, verified first
    bentoml:TAG                   a version exported to BentoML's model store (a bento's path)
    FILE[,FILE...]                plain files for local use, with the checkout's data/ defaults
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from narrascope.model_registry.registry import Registry, RegistryError, default_root
from narrascope.talking_points.bundle import (
    TalkingPointBundle,
    files_bundle,
    load_bundle,
    write_bundle,
)

SUBDIR = "talking_points"
REGISTRY_SCHEME = "registry:"
BENTOML_SCHEME = "bentoml:"


class TalkingPointRegistry(Registry):
    """The registry of talking-point libraries: <root>/talking_points/ of a model registry."""

    def __init__(self, root: str | Path | None = None):
        super().__init__((Path(root) if root is not None else default_root()) / SUBDIR)

    def register(self, artifact_dir, note: str = "", lineage: dict | None = None) -> str:
        raise RegistryError("talking-point libraries are registered with register_library")

    def register_library(
        self,
        libraries: Iterable[str | Path],
        *,
        calibration: str | Path | None = None,
        reference: str | Path | None = None,
        taxonomy=None,
        note: str = "",
    ) -> str:
        """Validate the files and store them as a new version (a bundle); return its id."""
        libraries = [Path(p) for p in libraries]

        def fill(folder: Path) -> dict:
            m = write_bundle(
                folder, libraries, calibration=calibration, reference=reference, taxonomy=taxonomy
            )
            return {
                "kind": "talking_points",
                "source": [str(p) for p in libraries],
                "points": m["points"],
                "languages": m["languages"],
                "digest": m["digest"],
                "calibration": {k: m[k] for k in ("threshold", "scoring", "encoder")},
            }

        return self.add_version(fill, note, kind="talking_points")

    def load(self, ref: str) -> TalkingPointBundle:
        """Verify every file's sha256, then load the bundle."""
        version = self.resolve(ref)
        return load_bundle(self.verify(version), version=version, source="registry")


def resolve_talking_points(spec: str, registry_root: str | Path | None = None):
    """The bundle that $NARRASCOPE_TALKING_POINTS names (see the module docstring)."""
    spec = spec.strip()
    if spec.startswith(REGISTRY_SCHEME):
        return TalkingPointRegistry(registry_root).load(spec[len(REGISTRY_SCHEME) :])
    if spec.startswith(BENTOML_SCHEME):
        from narrascope.model_registry.bento import load_talking_points_from_bentoml

        return load_talking_points_from_bentoml(spec[len(BENTOML_SCHEME) :])
    paths = [p.strip() for p in spec.split(",") if p.strip()]
    if not paths:
        raise RegistryError("no talking-point library named (registry:REF, bentoml:TAG or files)")
    return files_bundle(paths)


def pin(spec: str, registry_root: str | Path | None = None) -> str:
    """`registry:ALIAS` as `registry:vN`, so every worker serves the same version."""
    if not spec.strip().startswith(REGISTRY_SCHEME):
        return spec
    ref = spec.strip()[len(REGISTRY_SCHEME) :]
    return REGISTRY_SCHEME + TalkingPointRegistry(registry_root).resolve(ref)
