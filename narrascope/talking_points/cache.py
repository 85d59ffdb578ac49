"""Phrasing embeddings, computed once: in memory per matcher (or shared between matchers), and on
disk as safetensors (never pickle) when the encoder has a fingerprint and a cache folder is given.

The disk key covers everything that changes a vector: the phrasings in order, the encoder's
fingerprint (weights + precision), the text prefix, windowing and pooling.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np


def cached_vectors(
    texts: list[str],
    memo: dict[str, np.ndarray],
    embed: Callable[[list[str]], np.ndarray],
    disk_path: Callable[[], Path | None],
) -> np.ndarray:
    """[texts, dim]: from `memo`, else from the file at `disk_path()`, else `embed` (then both
    memo and file are filled). The path is computed only when memory falls short."""
    missing = [t for t in dict.fromkeys(texts) if t not in memo]
    if not missing:
        return np.stack([memo[t] for t in texts])
    path = disk_path()
    cached = read_vectors(path, len(texts)) if path else None
    if cached is not None:
        memo.update(zip(texts, cached))
        return cached
    memo.update(zip(missing, embed(missing)))
    vectors = np.stack([memo[t] for t in texts])
    if path:
        write_vectors(path, vectors)
    return vectors


def cache_path(
    cache_dir: Path | None, fingerprint: str | None, prefix: str, encoder, texts: list[str]
) -> Path | None:
    """Where these phrasings' vectors live on disk; None without a fingerprint or folder."""
    if not (fingerprint and cache_dir):
        return None
    key = json.dumps(
        {
            "phrasings": texts,
            "encoder": fingerprint,
            "prefix": prefix,
            "window": [getattr(encoder, "window", None), getattr(encoder, "stride", None)],
            "pooling": getattr(encoder, "pooling", None),
        },
        ensure_ascii=False,
    )
    return Path(cache_dir) / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()}.safetensors"


def read_vectors(path: Path, n: int) -> np.ndarray | None:
    """The cached [n, dim] matrix, or None when the file is missing, unreadable or stale."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        vectors = load_file(str(path))["phrasings"]
    except (OSError, KeyError, SafetensorError):
        return None
    return vectors if vectors.ndim == 2 and vectors.shape[0] == n else None


def write_vectors(path: Path, vectors: np.ndarray) -> None:
    from safetensors.numpy import save_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        save_file({"phrasings": np.ascontiguousarray(vectors, dtype=np.float32)}, str(tmp))
        tmp.replace(path)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        pass  # the disk cache is an optimisation; matching does not depend on it
