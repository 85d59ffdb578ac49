"""Hand a registered version to BentoML's model store, pinned by its registry version.

    narrascope registry export-bento v3      # -> narrascope-model:v3

The store entry carries the registry's hashes and lineage as metadata, so the service can verify
the files it loads from the store exactly as it verifies a registry load, and `bentoml build`
with `models: [narrascope-model:v3]` in bentofile.yaml packages that version and no other.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from narrascope.model_registry.registry import Registry, RegistryError, check_files

BENTO_MODEL = "narrascope-model"
ARTIFACT = "artifact"


def export_to_bentoml(registry: Registry, ref: str) -> str:
    import bentoml

    version = registry.resolve(ref)
    source = registry.verify(version)
    entry = registry.entry(version)
    tag = f"{BENTO_MODEL}:{version}"
    try:
        existing = bentoml.models.get(tag)
    except bentoml.exceptions.NotFound:
        existing = None
    if existing is not None:
        if existing.info.metadata.get("files") != entry["files"]:
            raise RegistryError(f"{tag} already exists in the BentoML store with other files")
        return tag
    lineage = entry.get("lineage", {})
    with bentoml.models.create(
        tag,
        labels={"project": "narrascope", "family": entry["family"], "version": version},
        metadata={
            "registry_version": version,
            "model_id": entry["model_id"],
            "registry_root": str(registry.root.resolve()),
            "files": entry["files"],
            # BentoML metadata takes no None: an unknown fact is an empty string
            "git_commit": lineage.get("git_commit") or "",
            "config_sha256": lineage.get("config_sha256") or "",
            "taxonomy_version": lineage.get("taxonomy_version") or "",
        },
    ) as model:
        shutil.copytree(source, model.path_of(ARTIFACT))
    return tag


def load_from_bentoml(tag: str):
    """A Predictor for a model exported with `export_to_bentoml`, its files verified first."""
    import bentoml

    from narrascope.predictor import Predictor

    model = bentoml.models.get(tag)
    path = Path(model.path_of(ARTIFACT))
    metadata = model.info.metadata
    check_files(path, metadata["files"], f"{tag} (BentoML store)")
    return Predictor(path, version=metadata["registry_version"])
