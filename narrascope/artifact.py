"""The model artifact format: a directory of plain files, never pickle.

manifest.json    schema version, family, label order, thresholds, languages, config,
                 data hashes, metrics, git commit
taxonomy.yaml    the taxonomy the model was trained with (labels, descriptions, tree)
README.md        the generated model card
...              family-specific weights (.npz with allow_pickle=False, safetensors, JSON)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from pathlib import Path

from narrascope.errors import ArtifactError

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
TAXONOMY = "taxonomy.yaml"
MODEL_CARD = "README.md"


def read_manifest(directory: str | Path) -> dict:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise ArtifactError(f"{directory} is not a model artifact: {MANIFEST} is missing")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: unreadable manifest ({exc})") from None
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ArtifactError(
            f"{path}: schema_version {version!r}, this narrascope reads {SCHEMA_VERSION}"
        )
    return manifest


def utc_now() -> str:
    """Current UTC time, ISO 8601 to the second: the one timestamp format of every file we write."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def text_digest(text: str) -> str:
    """How artifacts refer to a document without storing its text: sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def git_commit(cwd: str | Path | None = None) -> str | None:
    """The current commit (with '+dirty' when the tree has changes), or None outside git."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return sha + ("+dirty" if dirty else "")
