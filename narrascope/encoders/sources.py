"""Resolve a `base_model` name to a local directory, offline by default, failing fast."""

from __future__ import annotations

import os
from pathlib import Path

from narrascope.encoders import EMBEDDED_E5
from narrascope.errors import ArtifactError


def resolve_model_dir(name: str) -> Path:
    """`embedded:…`, a local directory, or a hub id already in the local Hugging Face cache."""
    if name == EMBEDDED_E5:
        from narrascope.encoders.embedded import converted_dir

        return converted_dir()
    if name.startswith("embedded:"):
        raise ArtifactError(f"unknown embedded model '{name}' (available: {EMBEDDED_E5})")
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ArtifactError(f"{path} has no config.json: not a transformers model directory")
        return path
    return _from_hub(name)


def _from_hub(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    offline = os.environ.get("HF_HUB_OFFLINE", "1") not in ("0", "false", "False", "")
    try:
        # Offline, only the local cache is read: an answer in milliseconds, never a 48 s retry loop.
        return Path(snapshot_download(repo_id, local_files_only=offline))
    except LocalEntryNotFoundError:
        raise ArtifactError(
            f"model '{repo_id}' is not available offline: it is neither a local directory nor "
            f"in the Hugging Face cache. Give a local path, use '{EMBEDDED_E5}', or set "
            "HF_HUB_OFFLINE=0 where a model hub can be reached."
        ) from None
    except Exception as exc:  # network, auth or a malformed id: one clear line, not a traceback
        raise ArtifactError(f"cannot fetch model '{repo_id}': {exc}") from None


def source_fingerprint(name: str, directory: Path) -> str:
    """What identifies the encoder's weights: the embedded source file's sha256; otherwise one
    sha256 over the directory's safetensors files (config.json where there are none)."""
    import json

    from narrascope.data import sha256_files

    if name == EMBEDDED_E5:
        return json.loads((directory / "source.json").read_text())["sha256"]
    return sha256_files(sorted(directory.glob("*.safetensors")) or [directory / "config.json"])
