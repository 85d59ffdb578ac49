"""Request and response models of the HTTP API (v1). Limits come from the environment."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from narrascope.schema import check_language_code, require_text
from narrascope.serving.settings import service_settings

_LIMITS = service_settings()  # constraints of the models below (see serving/settings.py)
MAX_TEXTS = _LIMITS.max_texts
MAX_CHARS = _LIMITS.max_chars
MAX_DOCUMENT_CHARS = _LIMITS.max_document_chars
MAX_SENTENCES = _LIMITS.max_sentences
MAX_BODY_BYTES = _LIMITS.body_limit
MAX_TOP_K = 20

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


ANALYZE_EXAMPLE = {
    "id": "article-7",
    "text": (
        "The summit opened with a minute of silence for the flood victims. "
        "NATO expansion left Russia no choice: the West provoked this war and now wages it "
        "to the last Ukrainian. Washington wanted this conflict from the start, and the "
        "sanctions only hurt Europe."
    ),
}


def language_hint(value: str | None) -> str | None:
    return None if value is None else check_language_code(value)


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_CHARS, description="the text to classify")
    id: str | None = Field(default=None, max_length=200, description="echoed back")
    lang: str | None = Field(
        default=None, pattern=r"^[a-z]{2}$", description="ISO 639-1 hint; wins over detection"
    )

    _lang_is_a_language = field_validator("lang")(staticmethod(language_hint))

    _text_not_blank = field_validator("text")(staticmethod(require_text))


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": EXAMPLE})

    texts: list[TextIn] = Field(min_length=1, max_length=MAX_TEXTS)
    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0, description="overrides every per-label threshold"
    )
    top_k: int | None = Field(
        default=None,
        ge=1,
        le=MAX_TOP_K,
        description="return the k best narratives whatever the thresholds (not with threshold)",
    )

    @model_validator(mode="after")
    def _one_override(self):
        if self.threshold is not None and self.top_k is not None:
            raise ValueError("give 'threshold' or 'top_k', not both")
        return self


class ShareRequest(BaseModel):
    """POST /v1/share/stix: the texts of /v1/predict, answered as a STIX 2.1 bundle."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": EXAMPLE})

    texts: list[TextIn] = Field(min_length=1, max_length=MAX_TEXTS)
    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0, description="overrides every per-label threshold"
    )
    tlp: Literal["clear", "white", "green", "amber", "red"] = Field(
        default="amber", description="TLP marking of every object in the bundle"
    )


class StixBundleOut(BaseModel):
    """A STIX 2.1 bundle (narrascope/share/stix.py says what maps to what)."""

    type: Literal["bundle"]
    id: str
    objects: list[dict] = Field(description="STIX 2.1 objects")


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": ANALYZE_EXAMPLE})

    text: str = Field(max_length=MAX_DOCUMENT_CHARS, description="one (long) document")
    id: str | None = Field(default=None, max_length=200, description="echoed back")
    lang: str | None = Field(
        default=None, pattern=r"^[a-z]{2}$", description="ISO 639-1 hint; wins over detection"
    )

    _lang_is_a_language = field_validator("lang")(staticmethod(language_hint))
    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0, description="overrides every per-label threshold"
    )

    _text_not_blank = field_validator("text")(staticmethod(require_text))


class LabelOut(BaseModel):
    id: str
    label: str
    score: float
    threshold: float


class TalkingPointOut(BaseModel):
    talking_point: str
    narrative: str
    subnarrative: str | None
    sentence: str = Field(description="the sentence that echoes it (text[start:end])")
    start: int
    end: int
    score: float = Field(description="matcher score (compared with its calibrated threshold)")
    phrasing_lang: str = Field(description="language of the closest phrasing")


class ResultOut(BaseModel):
    id: str | None
    lang: str
    lang_confidence: float
    narratives: list[LabelOut]
    subnarratives: list[LabelOut]
    other_score: float = Field(description="score of the `Other` (no narrative) classifier")
    other: bool = Field(description="true when the text carries no narrative")
    talking_points: list[TalkingPointOut] = Field(
        default_factory=list,
        description="known talking points the text echoes (empty unless the service was "
        "started with NARRASCOPE_TALKING_POINTS)",
    )
    lang_supported: bool = Field(
        description="false when the language was not in the training data or not detected "
        "('und'): the text is still served, with less trustworthy labels"
    )


class PredictResponse(BaseModel):
    model_version: str
    request_id: str
    results: list[ResultOut]


class SpanOut(BaseModel):
    start: int = Field(description="character offset into the submitted text")
    end: int
    text: str
    score: float = Field(description="the label's score for this sentence on its own")


class EvidenceOut(BaseModel):
    id: str
    label: str
    level: str
    spans: list[SpanOut] = Field(description="the sentences that score highest for the label")


class FlaggedSentenceOut(BaseModel):
    start: int
    end: int
    text: str
    narratives: list[str] = Field(description="narratives this sentence carries on its own")


class AnalyzeResponse(BaseModel):
    model_version: str
    request_id: str
    result: ResultOut
    sentences: int = Field(description="sentences scored (up to NARRASCOPE_MAX_SENTENCES)")
    evidence: list[EvidenceOut]
    flagged_sentences: list[FlaggedSentenceOut] = Field(
        description="sentences that carry a narrative when read on their own, even where the "
        "document as a whole does not (a propaganda line inside ordinary news)"
    )
