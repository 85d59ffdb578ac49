"""The service's settings: every NARRASCOPE_* variable it reads, typed, read in one place.

They are read once per process (`service_settings()` is cached) when the service module is
imported: BentoML takes the worker count in the `@bentoml.service` decorator, and the request
limits are constraints of the request models, so both must be known when those classes are
defined. A bad value stops the service at start-up with the variable's name.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

PREFIX = "NARRASCOPE_"


class ServiceSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # what is served
    model: str = "production"  # registry version or alias
    bento_model: str | None = None  # a BentoML store tag instead of the registry
    registry: str = "registry"
    talking_points: str = ""  # registry:REF, bentoml:TAG or JSONL paths; empty: off
    api_token: str | None = None  # bearer token for /v1/; unset: no auth (local demo)
    # how it is served. No waiting for a batch to fill: texts that arrive while the model is
    # busy form the next batch (measured: a 5 ms wait doubled single-text p50 at low load).
    batch_size: int = Field(64, ge=1)
    batch_wait_ms: float = Field(0.0, ge=0)
    # `narrascope serve` picks one worker per core for the linear family (single-threaded
    # scikit-learn) and one for encoder families (torch spreads one call over every core).
    workers: int = Field(1, ge=1)
    torch_threads: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    # request limits (the committed OpenAPI spec is generated with the defaults)
    max_texts: int = Field(64, ge=1)
    max_chars: int = Field(20000, ge=1)
    max_document_chars: int = Field(100000, ge=1)
    max_sentences: int = Field(400, ge=1)
    max_body_bytes: int | None = Field(None, ge=1)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        environ = os.environ if environ is None else environ
        raw = {
            name: environ[PREFIX + name.upper()]
            for name in cls.model_fields
            if PREFIX + name.upper() in environ
        }
        try:
            return cls(**raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{PREFIX}{str(e['loc'][0]).upper()}={raw.get(e['loc'][0])!r}: {e['msg']}"
                for e in exc.errors()
            )
            raise ValueError(f"invalid service settings: {problems}") from None

    @property
    def body_limit(self) -> int:
        """Bodies are refused before they are parsed: JSON escapes take up to ~6 bytes a char."""
        if self.max_body_bytes is not None:
            return self.max_body_bytes
        return max(self.max_texts * self.max_chars, self.max_document_chars) * 6 + 65536


@functools.cache
def service_settings() -> ServiceSettings:
    return ServiceSettings.from_env()
