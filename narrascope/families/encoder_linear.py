"""Encoder + linear heads: frozen mean-pooled encoder embeddings, one logistic regression per label.

The artifact stores only the heads (`heads.safetensors`: coef [labels, dim], intercept [labels])
and, in the manifest, which encoder produced the embeddings (source name, the source file's
sha256 and the windowing settings). The encoder itself is resolved at load time — the embedded
one from its verified local conversion — so an artifact stays a few hundred kilobytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from narrascope.errors import ArtifactError
from narrascope.families import sigmoid

HEADS = "heads.safetensors"


class EncoderLinearModel:
    def __init__(self, encoder, coef: np.ndarray, intercept: np.ndarray, batch_size: int = 32):
        self.encoder, self.coef, self.intercept = encoder, coef, intercept
        self.batch_size = batch_size

    def scores(self, texts: list[str]) -> np.ndarray:
        return self.scores_from_embeddings(self.encoder.embed(texts, self.batch_size))

    def scores_from_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        return sigmoid(embeddings @ self.coef.T + self.intercept)

    def save(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        save_file({"coef": self.coef, "intercept": self.intercept}, str(directory / HEADS))

    @classmethod
    def from_artifact(cls, directory: Path, manifest: dict, loader=None) -> EncoderLinearModel:
        return cls.load(directory, manifest["encoder"])  # FineTunedModel inherits this

    @classmethod
    def load(cls, directory: Path, spec: dict) -> EncoderLinearModel:
        from safetensors.numpy import load_file

        try:
            heads = load_file(str(directory / HEADS))
        except (OSError, ValueError) as exc:
            raise ArtifactError(f"{directory}: cannot read {HEADS} ({exc})") from None
        return cls(build_encoder(spec), heads["coef"], heads["intercept"], spec["batch_size"])


def build_encoder(spec: dict):
    """A TextEncoder from a manifest's `encoder` entry, refusing a different encoder."""
    from narrascope.encoders.encoder import TextEncoder
    from narrascope.encoders.sources import resolve_model_dir, source_fingerprint

    directory = resolve_model_dir(spec["base_model"])
    found = source_fingerprint(spec["base_model"], directory)
    expected = spec.get("fingerprint")
    if expected and found != expected:
        raise ArtifactError(
            f"encoder '{spec['base_model']}' at {directory} is not the one this model was "
            f"trained with (fingerprint {found} != {expected})"
        )
    return TextEncoder(
        directory,
        max_tokens=spec["max_tokens"],
        stride=spec["stride"],
        pooling=spec["pooling"],
        prefix=spec["prefix"],
        threads=spec.get("threads"),
        precision=spec.get("precision", "fp32"),
    )
