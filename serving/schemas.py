"""Request and response models of the HTTP API (v1). Limits come from the environment."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field, field_validator

from narrascope.schema import require_text

MAX_TEXTS = int(os.environ.get("NARRASCOPE_MAX_TEXTS", "64"))
MAX_CHARS = int(os.environ.get("NARRASCOPE_MAX_CHARS", "20000"))

EXAMPLE = {
    "texts": [
        {
            "id": "post-1",
            "text": "NATO expansion left Russia no choice: the West provoked this war.",
        },
        {
            "id": "post-2",
            "text": "Die Regierung stellt heute den Haushalt für 2025 vor.",
            "lang": "de",
        },
    ],
}


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_CHARS, description="the text to classify")
    id: str | None = Field(default=None, max_length=200, description="echoed back")
    lang: str | None = Field(
        default=None, pattern=r"^[a-z]{2}$", description="ISO 639-1 hint; wins over detection"
    )

    _text_not_blank = field_validator("text")(staticmethod(require_text))


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": EXAMPLE})

    texts: list[TextIn] = Field(min_length=1, max_length=MAX_TEXTS)
    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0, description="overrides every per-label threshold"
    )


class LabelOut(BaseModel):
    id: str
    label: str
    score: float
    threshold: float


class ResultOut(BaseModel):
    id: str | None
    lang: str
    lang_confidence: float
    narratives: list[LabelOut]
    subnarratives: list[LabelOut]
    other_score: float = Field(description="score of the `Other` (no narrative) classifier")
    other: bool = Field(description="true when the text carries no narrative")


class PredictResponse(BaseModel):
    model_version: str
    results: list[ResultOut]
