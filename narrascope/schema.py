"""The document schema shared by loaders, training, evaluation and tracking."""

from __future__ import annotations

import datetime as dt
import functools
import re
from enum import StrEnum

import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator

OTHER = "Other"
UNDETERMINED = "und"
UNDETERMINED_LANG = "und"
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


def require_text(value: str) -> str:
    """The one rule for text everywhere (files and API): something besides whitespace."""
    if not value.strip():
        raise ValueError("text is empty or whitespace only")
    return value


class SourceType(StrEnum):
    state_media = "state_media"
    independent_media = "independent_media"
    social = "social"
    official = "official"
    unknown = "unknown"


class Document(BaseModel):
    """One labelled (or unlabelled) text. Unknown fields are rejected, not dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    text: str
    lang: str = UNDETERMINED
    country: str | None = None
    source: str | None = None
    source_type: SourceType = SourceType.unknown
    published: dt.date | None = None
    campaign: str | None = None
    narratives: tuple[str, ...] = ()
    subnarratives: tuple[str, ...] = ()
    talking_points: tuple[str, ...] = ()

    _text_not_blank = field_validator("text")(staticmethod(require_text))

    @field_validator("lang")
    @classmethod
    def _iso_639_1(cls, value: str) -> str:
        return value if value == UNDETERMINED_LANG else check_language_code(value)

    @field_validator("country")
    @classmethod
    def _iso_3166(cls, value: str | None) -> str | None:
        if value is not None and not _COUNTRY_RE.match(value):
            raise ValueError(f"'{value}' is not an ISO 3166 alpha-2 code (two upper-case letters)")
        return value

    @field_validator("narratives", "subnarratives")
    @classmethod
    def _other_means_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # `Other` is the absence of any narrative; storing it as an empty set keeps one encoding.
        if OTHER in value and len(value) > 1:
            raise ValueError("'Other' cannot be combined with other labels")
        return tuple(v for v in value if v != OTHER)

    @property
    def is_other(self) -> bool:
        return not self.narratives


@functools.cache
def iso_639_1_codes() -> frozenset[str]:
    """The 184 two-letter codes of ISO 639-1, from pycountry's copy of the standard (a regex
    for two letters would accept `xx`, `zz`, ...)."""
    return frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


def check_language_code(value: str) -> str:
    """`value` if it is an ISO 639-1 code, else a ValueError that says so."""
    if value not in iso_639_1_codes():
        raise ValueError(f"'{value}' is not an ISO 639-1 language code (e.g. 'en', 'ru', 'uk')")
    return value
