"""Hand a registered version to BentoML's model store, pinned by its registry version.

    narrascope registry export-bento v3                     # -> narrascope-model:v3
    narrascope registry talking-points export-bento v2      # -> narrascope-talking-points:v2

The store entry carries the registry's hashes (and, for a model, its lineage) as metadata, so
the service can verify the files it loads from the store exactly as it verifies a registry load,
and `bentoml build` with `models: [narrascope-model:v3, narrascope-talking-points:v2]` in
bentofile.yaml packages those versions and no others.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from narrascope.model_registry.registry import Registry, RegistryError, check_files

BENTO_MODEL = "narrascope-model"
BENTO_TALKING_POINTS = "narrascope-talking-points"
ARTIFACT = "artifact"


def export_to_bentoml(registry: Registry, ref: str) -> str:
    version = registry.resolve(ref)
    entry = registry.entry(version)
    lineage = entry.get("lineage", {})
    return _export(
        registry,
        version,
        f"{BENTO_MODEL}:{version}",
        labels={"project": "narrascope", "family": entry["family"], "version": version},
        metadata={
            "model_id": entry["model_id"],
            # BentoML metadata takes no None: an unknown fact is an empty string
            "git_commit": lineage.get("git_commit") or "",
            "config_sha256": lineage.get("config_sha256") or "",
            "taxonomy_version": lineage.get("taxonomy_version") or "",
        },
    )


def export_talking_points_to_bentoml(registry: Registry, ref: str) -> str:
    """A talking-point version (a TalkingPointRegistry's) as narrascope-talking-points:vN."""
    version = registry.resolve(ref)
    entry = registry.entry(version)
    return _export(
        registry,
        version,
        f"{BENTO_TALKING_POINTS}:{version}",
        labels={"project": "narrascope", "kind": "talking_points", "version": version},
        metadata={"digest": entry["digest"], "points": entry["points"]},
    )


def _export(registry: Registry, version: str, tag: str, labels: dict, metadata: dict) -> str:
    """Copy the verified files of `version` into the store as `tag` (idempotent)."""
    import bentoml

    source = registry.verify(version)
    files = registry.entry(version)["files"]
    try:
        existing = bentoml.models.get(tag)
    except bentoml.exceptions.NotFound:
        existing = None
    if existing is not None:
        if existing.info.metadata.get("files") != files:
            raise RegistryError(f"{tag} already exists in the BentoML store with other files")
        return tag
    metadata = {
        "registry_version": version,
        "registry_root": str(registry.root.resolve()),
        "files": files,
        **metadata,
    }
    with bentoml.models.create(tag, labels=labels, metadata=metadata) as model:
        shutil.copytree(source, model.path_of(ARTIFACT))
    return tag


def _verified(tag: str) -> tuple[Path, dict]:
    """The store entry's files folder, re-hashed against the registry's hashes, and metadata."""
    import bentoml

    try:
        model = bentoml.models.get(tag)
    except bentoml.exceptions.NotFound:
        raise RegistryError(f"no {tag} in BentoML's model store") from None
    path = Path(model.path_of(ARTIFACT))
    metadata = model.info.metadata
    check_files(path, metadata["files"], f"{tag} (BentoML store)")
    return path, metadata


def load_from_bentoml(tag: str):
    """A Predictor for a model exported with `export_to_bentoml`, its files verified first."""
    from narrascope.predictor import Predictor

    path, metadata = _verified(tag)
    return Predictor(path, version=metadata["registry_version"])


def load_talking_points_from_bentoml(tag: str):
    """The bundle exported with `export_talking_points_to_bentoml`, its files verified first."""
    from narrascope.talking_points import load_bundle

    path, metadata = _verified(tag)
    return load_bundle(path, version=metadata["registry_version"], source="bentoml")
