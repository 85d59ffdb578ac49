"""The talking-point library: its schema (one JSON object per line) and JSONL reading.

    library = TalkingPointLibrary.load(["data/talking_points.jsonl", "campaign.jsonl"], taxonomy)

Every row is validated; a bad one is a DataError naming the file, line and field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from narrascope.errors import DataError
from narrascope.files import read_jsonl

FIELDS = {"id", "narrative", "subnarrative", "phrasings", "origin_country", "first_seen"}


@dataclass(frozen=True)
class TalkingPoint:
    id: str
    narrative: str
    phrasings: dict[str, str]  # language code -> canonical phrasing
    subnarrative: str | None = None
    origin_country: str | None = None
    first_seen: str | None = None  # ISO date

    @classmethod
    def from_dict(cls, raw: object, *, file: str | None = None, line: int | None = None):
        """One validated talking point; a DataError names the file, line and field otherwise."""

        def fail(message: str, field_name: str | None = None):
            raise DataError(message, file=file, line=line, field=field_name)

        if not isinstance(raw, dict):
            fail("a talking point must be a JSON object")
        unknown = sorted(set(raw) - FIELDS)
        if unknown:
            fail(f"unknown field (allowed: {', '.join(sorted(FIELDS))})", unknown[0])
        for name in ("id", "narrative"):
            if not isinstance(raw.get(name), str) or not raw[name].strip():
                fail("missing or empty (a non-empty string is required)", name)
        for name in ("subnarrative", "origin_country", "first_seen"):
            if raw.get(name) is not None and not isinstance(raw[name], str):
                fail("must be a string or null", name)
        phrasings = raw.get("phrasings")
        if not isinstance(phrasings, dict) or not phrasings:
            fail("must map language codes to phrasings, with at least one", "phrasings")
        for lang, text in phrasings.items():
            if not isinstance(text, str) or not text.strip():
                fail(f"phrasing for '{lang}' is empty or not a string", "phrasings")
        if raw.get("first_seen"):
            try:
                date.fromisoformat(raw["first_seen"])
            except ValueError:
                fail("not an ISO date (YYYY-MM-DD)", "first_seen")
        return cls(
            id=raw["id"],
            narrative=raw["narrative"],
            phrasings=dict(phrasings),
            subnarrative=raw.get("subnarrative"),
            origin_country=raw.get("origin_country"),
            first_seen=raw.get("first_seen"),
        )

    def to_dict(self) -> dict:
        return asdict(self)


class TalkingPointLibrary:
    """An ordered set of talking points with unique ids."""

    def __init__(self, points: Iterable[TalkingPoint] = ()):
        self.points: list[TalkingPoint] = []
        self._index: dict[str, int] = {}
        for point in points:
            self._add(point)

    @classmethod
    def load(cls, paths: str | Path | Iterable[str | Path], taxonomy=None) -> TalkingPointLibrary:
        """Read one or more JSONL files; ids must be unique across all of them. With a taxonomy,
        narratives and subnarratives must exist in it and fit together."""
        paths = [paths] if isinstance(paths, str | Path) else list(paths)
        library, seen = cls(), {}
        for path in paths:
            for number, raw in read_jsonl(path):
                point = TalkingPoint.from_dict(raw, file=str(path), line=number)
                if point.id in seen:
                    raise DataError(
                        f"duplicate talking point id {point.id!r} (first at {seen[point.id]})",
                        file=str(path),
                        line=number,
                        field="id",
                    )
                if taxonomy is not None:
                    _check_labels(point, taxonomy, str(path), number)
                seen[point.id] = f"{path}:{number}"
                library._add(point)
        return library

    def extend(self, points: Iterable[TalkingPoint]) -> TalkingPointLibrary:
        """A new library with these points added (ids still unique); this one is unchanged."""
        return TalkingPointLibrary([*self.points, *points])

    def _add(self, point: TalkingPoint) -> None:
        if point.id in self._index:
            raise DataError(f"duplicate talking point id {point.id!r}", field="id")
        self._index[point.id] = len(self.points)
        self.points.append(point)

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.points]

    @property
    def languages(self) -> list[str]:
        return sorted({lang for p in self.points for lang in p.phrasings})

    def __getitem__(self, point_id: str) -> TalkingPoint:
        return self.points[self._index[point_id]]

    def __contains__(self, point_id: object) -> bool:
        return point_id in self._index

    def __len__(self) -> int:
        return len(self.points)

    def digest(self) -> str:
        """sha256 of the library's content (ids, labels and phrasings, in order)."""
        canonical = json.dumps([p.to_dict() for p in self.points], sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_labels(point: TalkingPoint, taxonomy, file: str, line: int) -> None:
    where = {"file": file, "line": line}
    if point.narrative not in taxonomy.narratives:
        raise DataError(f"unknown narrative {point.narrative!r}", field="narrative", **where)
    sub = point.subnarrative
    if sub is not None and sub not in taxonomy.subnarratives:
        raise DataError(f"unknown subnarrative {sub!r}", field="subnarrative", **where)
    if sub is not None and taxonomy.parent_of(sub) != point.narrative:
        raise DataError(
            f"subnarrative {sub!r} is not under narrative {point.narrative!r}",
            field="subnarrative",
            **where,
        )
