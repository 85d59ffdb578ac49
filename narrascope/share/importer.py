"""Read a partner's STIX 2.1 bundle back as talking points and campaign documents.

    result = read_bundle("partner.json", taxonomy)     # validates every object first
    write_import(result, "imports/partner", base_library)

  - every object is parsed with the `stix2` library (types, required properties, timestamps,
    references); the first bad one is refused with its position, id and the reason;
  - types the library does not know (and that are not narrascope's own) are listed, not used;
  - an `indicator` with pattern_type "narrascope-phrasing" (what `share export` writes) becomes a
    talking point: its phrasings, narrative and subnarrative, origin and first-seen date; its
    narrative comes from `x_narrascope_narrative`, or else from an `indicates` relationship to a
    narrative object;
  - a `note` with `x_narrascope_document_id` (a talking-point match) becomes a labelled document
    (its sentence, the talking point's narrative) for `narrascope campaign add`.
Nothing is executed: patterns are text that is matched by similarity, never evaluated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import stix2
from pydantic import ValidationError
from stix2.exceptions import STIXError

from narrascope.errors import DataError
from narrascope.files import write_jsonl
from narrascope.schema import Document
from narrascope.share.stix import COUNT_TYPE, NARRATIVE_TYPE, PHRASING_PATTERN
from narrascope.talking_points import TalkingPoint, TalkingPointLibrary

OWN_TYPES = {NARRATIVE_TYPE, COUNT_TYPE}


@dataclass
class ImportResult:
    source: str
    talking_points: list[TalkingPoint] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)
    types: dict[str, int] = field(default_factory=dict)
    unknown_types: list[str] = field(default_factory=list)


def read_bundle(path: str | Path, taxonomy, campaign: str | None = None) -> ImportResult:
    path = Path(path)
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read bundle: {exc.strerror or exc}", file=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"not a JSON file: {exc}", file=str(path)) from None
    return parse_bundle(raw, taxonomy, source=str(path), campaign=campaign)


def parse_bundle(raw, taxonomy, source: str = "<bundle>", campaign: str | None = None):
    """Validate every object of `raw` (a decoded bundle), then read what narrascope can use."""
    objects = _validated(raw, source)
    result = ImportResult(source)
    for obj in objects.values():
        result.types[obj["type"]] = result.types.get(obj["type"], 0) + 1
    known = set(stix2.registry.STIX2_OBJ_MAPS["2.1"]["objects"])
    known |= set(stix2.registry.STIX2_OBJ_MAPS["2.1"]["observables"]) | OWN_TYPES
    result.unknown_types = sorted(set(result.types) - known)
    narrative_of = _narratives_indicated(objects)
    for obj in objects.values():
        if obj["type"] == "indicator" and obj.get("pattern_type") == PHRASING_PATTERN:
            result.talking_points.append(_talking_point(obj, narrative_of, taxonomy, source))
        if obj["type"] == "campaign":
            result.campaigns.append(obj["name"])
    name = campaign or _slug(result.campaigns[0] if result.campaigns else Path(source).stem)
    points = {p.id: p for p in result.talking_points}
    for obj in objects.values():
        if obj["type"] == "note" and obj.get("x_narrascope_document_id"):
            result.documents.append(_document(obj, points, name, source))
    return result


def _validated(raw, source: str) -> dict[str, dict]:
    if not isinstance(raw, dict) or raw.get("type") != "bundle":
        raise DataError('not a STIX bundle: the top level needs "type": "bundle"', file=source)
    if not isinstance(raw.get("objects"), list):
        raise DataError("the bundle has no 'objects' list", file=source)
    objects = {}
    for position, obj in enumerate(raw["objects"]):
        where = f"object {position}"
        if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
            raise DataError(f"{where}: not a STIX object (needs a 'type')", file=source)
        where = f"object {position} ({obj.get('id', obj['type'])})"
        if obj.get("spec_version", "2.1") != "2.1" and obj["type"] != "marking-definition":
            raise DataError(f"{where}: spec_version must be 2.1", file=source)
        try:
            stix2.parse(obj, allow_custom=True, version="2.1")
        except (STIXError, ValueError, TypeError, KeyError) as exc:
            raise DataError(f"{where}: {_reason(exc)}", file=source) from None
        if obj.get("id") in objects:
            raise DataError(f"{where}: duplicate id", file=source)
        objects[obj.get("id", f"#{position}")] = obj
    return objects


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _narratives_indicated(objects: dict[str, dict]) -> dict[str, str]:
    """indicator id -> narrascope narrative id, through `indicates` relationships."""
    out = {}
    for obj in objects.values():
        if obj["type"] == "relationship" and obj.get("relationship_type") == "indicates":
            target = objects.get(obj.get("target_ref"), {})
            if target.get("x_narrascope_id"):
                out[obj["source_ref"]] = target["x_narrascope_id"]
    return out


def _talking_point(obj: dict, narrative_of: dict, taxonomy, source: str) -> TalkingPoint:
    where = f"{obj['id']}"
    narrative = obj.get("x_narrascope_narrative") or narrative_of.get(obj["id"])
    phrasings = obj.get("x_narrascope_phrasings") or {obj.get("lang", "en"): obj["pattern"]}
    raw = {
        "id": obj.get("x_narrascope_talking_point") or f"STIX-{obj['id'].split('--')[1][:8]}",
        "narrative": narrative,
        "subnarrative": obj.get("x_narrascope_subnarrative"),
        "phrasings": phrasings,
        "origin_country": obj.get("x_narrascope_origin_country"),
        "first_seen": obj.get("x_narrascope_first_seen") or obj["valid_from"][:10],
    }
    try:
        point = TalkingPoint.from_dict(raw)
    except DataError as exc:
        raise DataError(f"{where}: {exc}", file=source) from None
    if point.narrative not in taxonomy.narratives:
        raise DataError(
            f"{where}: narrative {point.narrative!r} is not in taxonomy {taxonomy.version} "
            "(add it with a taxonomy patch first)",
            file=source,
        )
    sub = point.subnarrative
    if sub is not None and (
        sub not in taxonomy.subnarratives or taxonomy.parent_of(sub) != point.narrative
    ):
        raise DataError(
            f"{where}: subnarrative {sub!r} is not under {point.narrative}", file=source
        )
    return point


def _document(note: dict, points: dict[str, TalkingPoint], campaign: str, source: str) -> dict:
    point_id = note.get("x_narrascope_talking_point")
    if point_id not in points:
        raise DataError(
            f"{note['id']}: talking point {point_id!r} is not defined in the bundle", file=source
        )
    point = points[point_id]
    row = {
        "id": f"{campaign}-{note['x_narrascope_document_id']}",
        "text": note["content"],
        "lang": note.get("x_narrascope_lang") or "und",
        "source_type": "unknown",
        "published": note["created"][:10],
        "campaign": campaign,
        "narratives": [point.narrative],
        "subnarratives": [point.subnarrative] if point.subnarrative else [],
        "talking_points": [point.id],
    }
    try:
        Document.model_validate(row)  # the same schema `campaign add` reads it with
    except ValidationError as exc:
        raise DataError(f"{note['id']}: {_reason(exc)}", file=source) from None
    return row


def _slug(name: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return "-".join(filter(None, slug.split("-")))[:40] or "partner"


@dataclass
class Written:
    talking_points: Path
    documents: Path
    summary: Path
    new_points: list[str]
    known_points: list[str]


def write_import(result: ImportResult, out_dir: str | Path, base: TalkingPointLibrary) -> Written:
    """talking_points.jsonl (only points `base` lacks), documents.jsonl and import.json.

    A point whose id is in `base` with the same content is already known and left out; with
    different content it is a conflict, refused rather than silently renamed or overwritten."""
    out_dir = Path(out_dir)
    new, known = [], []
    for point in result.talking_points:
        if point.id not in base:
            new.append(point)
        elif base[point.id] == point:
            known.append(point.id)
        else:
            raise DataError(
                f"talking point {point.id!r} differs from the one of the same id already in the "
                "library; rename it in the bundle",
                file=result.source,
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    points_path = out_dir / "talking_points.jsonl"
    write_jsonl(points_path, [p.to_dict() for p in new])
    documents_path = out_dir / "documents.jsonl"
    write_jsonl(documents_path, result.documents)
    summary = {
        "source": result.source,
        "objects": result.types,
        "unknown_types": result.unknown_types,
        "campaigns": result.campaigns,
        "talking_points_new": [p.id for p in new],
        "talking_points_already_known": known,
        "documents": len(result.documents),
    }
    summary_path = out_dir / "import.json"
    summary_path.write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    return Written(points_path, documents_path, summary_path, [p.id for p in new], known)
