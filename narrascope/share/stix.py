"""Build STIX 2.1 bundles from narrascope findings (with the `stix2` library's own objects).

    builder = BundleBuilder(taxonomy, tlp="amber")
    builder.talking_points(library)
    builder.match("doc-1", match_dict)
    write_bundle(builder.bundle(), "bundle.json")

What maps to what:
  - narrative          -> `attack-pattern` with DISARM external references where the taxonomy
                          maps one (`disarm:`), else a custom `x-narrascope-narrative` object;
  - talking point      -> `indicator` (pattern_type "narrascope-phrasing": the pattern is the
                          canonical phrasing, every language in `x_narrascope_phrasings`)
                          `indicates` its narrative;
  - talking-point match-> `note` on the indicator and narrative, with the sentence, the
                          document id and the score;
  - prevalence count   -> `observed-data` of a custom `x-narrascope-narrative-count` observable
                          (narrative x language x country x time bucket);
  - emerging cluster, labelled campaign, coordination cluster -> `campaign`, `uses`/`related-to`
                          its narratives; a coordination cluster also gets `observed-data` of
                          its `user-account`s and a `sighting` tying them; an actor, when given,
                          is an `intrusion-set` every campaign is `attributed-to`.
Every id is a UUIDv5 of a narrascope key (`stable_id`), so a re-export carries the same ids with
a newer `modified`: a consumer updates its objects instead of adding duplicates. (The validator
warns that SDO ids SHOULD be UUIDv4; stable ids are the point, so that warning stays.)
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import stix2
from stix2.properties import (
    DictionaryProperty,
    ListProperty,
    StringProperty,
)

from narrascope.errors import DataError
from narrascope.files import write_text

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://narrascope.invalid/stix")
# `created` of objects with no date of their own (taxonomy nodes, undated talking points).
EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
PHRASING_PATTERN = "narrascope-phrasing"
NARRATIVE_TYPE = "x-narrascope-narrative"
COUNT_TYPE = "x-narrascope-narrative-count"
TLP = {
    "clear": stix2.TLP_WHITE,  # TLP 2.0 CLEAR is TLP 1.0 WHITE in stix2's built-in markings
    "white": stix2.TLP_WHITE,
    "green": stix2.TLP_GREEN,
    "amber": stix2.TLP_AMBER,
    "red": stix2.TLP_RED,
}
DISARM_SOURCE = "DISARM"


@stix2.CustomObject(
    NARRATIVE_TYPE,
    [
        ("name", StringProperty(required=True)),
        ("description", StringProperty()),
        ("x_narrascope_id", StringProperty(required=True)),
        ("x_narrascope_domain", StringProperty()),
        ("x_narrascope_subnarratives", ListProperty(DictionaryProperty())),
    ],
)
class NarrativeObject:
    """A narrative of the taxonomy that maps to no DISARM technique."""


@stix2.CustomObservable(
    COUNT_TYPE,
    [
        ("narrative", StringProperty(required=True)),
        ("lang", StringProperty(required=True)),
        ("country", StringProperty(required=True)),
        ("bucket", StringProperty(required=True)),
    ],
    ["narrative", "lang", "country", "bucket"],
)
class NarrativeCount:
    """What an observed-data object counts: documents carrying a narrative in one cell."""


def stable_id(stix_type: str, key: str) -> str:
    return f"{stix_type}--{uuid.uuid5(NAMESPACE, f'{stix_type}:{key}')}"


def tlp_marking(name: str):
    try:
        return TLP[name.lower().removeprefix("tlp:")]
    except KeyError:
        raise DataError(
            f"unknown TLP marking {name!r} (use one of: {', '.join(TLP)})", field="tlp"
        ) from None


def as_datetime(value) -> dt.datetime:
    """A date, datetime or ISO string as an aware UTC datetime (dates at midnight)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class BundleBuilder:
    """Collects STIX objects keyed by their stable id (adding one twice keeps one)."""

    def __init__(self, taxonomy, tlp: str = "amber", now=None, producer: str = "narrascope"):
        self.taxonomy = taxonomy
        self.marking = tlp_marking(tlp)
        self.now = as_datetime(now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        self.objects: dict[str, object] = {}
        self.identity = stix2.Identity(
            id=stable_id("identity", producer),
            name=producer,
            identity_class="system",
            created=EPOCH,
            modified=self.now,
        )
        self._add(self.identity)
        self.narrative_ids = {
            n: self._narrative(self.taxonomy.narratives[n]) for n in taxonomy.narratives
        }
        self.campaign_ids: list[str] = []

    # -- helpers -------------------------------------------------------------------------------
    def _add(self, obj) -> str:
        self.objects[obj.id] = obj
        return obj.id

    def _common(self, created=None) -> dict:
        created = min(as_datetime(created), self.now) if created is not None else EPOCH
        return {
            "created_by_ref": self.identity.id,
            "object_marking_refs": [self.marking.id],
            "created": created,
            "modified": self.now,
            "allow_custom": True,
        }

    def relate(self, source: str, relationship: str, target: str) -> str:
        key = f"{source}|{relationship}|{target}"
        return self._add(
            stix2.Relationship(
                id=stable_id("relationship", key),
                relationship_type=relationship,
                source_ref=source,
                target_ref=target,
                **self._common(),
            )
        )

    def narrative_ref(self, narrative: str) -> str:
        if narrative not in self.narrative_ids:
            raise DataError(f"narrative {narrative!r} is not in taxonomy {self.taxonomy.version}")
        return self.narrative_ids[narrative]

    # -- taxonomy and talking points -----------------------------------------------------------
    def _narrative(self, node) -> str:
        subs = [
            {"id": s.id, "label": s.label}
            for s in self.taxonomy.subnarratives.values()
            if s.parent == node.id
        ]
        common = {"name": node.label, "description": node.description, **self._common()}
        custom = {"x_narrascope_id": node.id, "x_narrascope_domain": node.parent}
        if node.disarm:
            return self._add(
                stix2.AttackPattern(
                    id=stable_id("attack-pattern", node.id),
                    external_references=[
                        {"source_name": DISARM_SOURCE, "external_id": technique}
                        for technique in node.disarm
                    ],
                    x_narrascope_subnarratives=subs,
                    **custom,
                    **common,
                )
            )
        return self._add(
            NarrativeObject(
                id=stable_id(NARRATIVE_TYPE, node.id),
                x_narrascope_subnarratives=subs,
                **custom,
                **common,
            )
        )

    def talking_point(self, point) -> str:
        """The talking point as an indicator that `indicates` its narrative."""
        canonical = point.phrasings.get("en") or next(iter(point.phrasings.values()))
        indicator = stix2.Indicator(
            id=stable_id("indicator", f"talking-point:{point.id}"),
            name=f"{point.id}: {canonical[:80]}",
            description=canonical,
            pattern=canonical,
            pattern_type=PHRASING_PATTERN,
            valid_from=as_datetime(point.first_seen) if point.first_seen else EPOCH,
            x_narrascope_talking_point=point.id,
            x_narrascope_narrative=point.narrative,
            x_narrascope_subnarrative=point.subnarrative,
            x_narrascope_phrasings=dict(point.phrasings),
            x_narrascope_origin_country=point.origin_country,
            x_narrascope_first_seen=point.first_seen,
            **self._common(point.first_seen),
        )
        self._add(indicator)
        self.relate(indicator.id, "indicates", self.narrative_ref(point.narrative))
        return indicator.id

    def talking_points(self, library) -> dict[str, str]:
        return {point.id: self.talking_point(point) for point in library.points}

    def match(self, document_id: str, match: dict, published=None) -> str:
        """One talking-point match (narrascope.talking_points.Match.to_dict()) as a note."""
        indicator = stable_id("indicator", f"talking-point:{match['talking_point']}")
        if indicator not in self.objects:
            raise DataError(
                f"document {document_id}: talking point {match['talking_point']!r} is not in the "
                "exported library"
            )
        note = stix2.Note(
            id=stable_id("note", f"match:{document_id}:{match['talking_point']}"),
            abstract=f"{document_id} echoes {match['talking_point']} (score {match['score']:.3f})",
            content=match["sentence"],
            authors=[self.identity.name],
            object_refs=[indicator, self.narrative_ref(match["narrative"])],
            x_narrascope_document_id=document_id,
            x_narrascope_talking_point=match["talking_point"],
            x_narrascope_narrative=match["narrative"],
            x_narrascope_subnarrative=match.get("subnarrative"),
            x_narrascope_score=float(match["score"]),
            x_narrascope_start=int(match["start"]),
            x_narrascope_end=int(match["end"]),
            x_narrascope_lang=match.get("phrasing_lang"),
            **self._common(published),
        )
        return self._add(note)

    # -- counts --------------------------------------------------------------------------------
    def count(self, narrative: str, lang: str, country: str, first, last, bucket: str, n: int):
        """`n` documents carrying `narrative` in (lang, country) during [first, last]."""
        cell = NarrativeCount(narrative=narrative, lang=lang, country=country, bucket=bucket)
        self._add(cell)
        observed = stix2.ObservedData(
            id=stable_id("observed-data", f"count:{narrative}:{lang}:{country}:{bucket}"),
            first_observed=as_datetime(first),
            last_observed=as_datetime(last),
            number_observed=max(1, int(n)),
            object_refs=[cell.id],
            x_narrascope_narrative_ref=self.narrative_ref(narrative),
            **self._common(first),
        )
        return self._add(observed)

    # -- campaigns -----------------------------------------------------------------------------
    def campaign(self, key: str, name: str, description: str, first, last, narratives=(), **extra):
        """A campaign tied to the narratives it carries (`uses` a DISARM-mapped attack-pattern,
        `related-to` a custom narrative object)."""
        campaign = stix2.Campaign(
            id=stable_id("campaign", key),
            name=name,
            description=description,
            first_seen=as_datetime(first),
            last_seen=as_datetime(last),
            **{f"x_narrascope_{k}": v for k, v in extra.items()},
            **self._common(first),
        )
        self._add(campaign)
        self.campaign_ids.append(campaign.id)
        for narrative in narratives:
            target = self.narrative_ref(narrative)
            kind = "uses" if target.startswith("attack-pattern--") else "related-to"
            self.relate(campaign.id, kind, target)
        return campaign.id

    def coordination(self, cluster: dict) -> str:
        """A coordination cluster: a campaign, the accounts it saw, and a sighting of both."""
        narratives = [n for n in cluster["narratives"] if n in self.narrative_ids]
        campaign = self.campaign(
            cluster["cluster"],
            f"Coordinated posting: {cluster['accounts_count']} accounts, {cluster['size']} posts",
            "Near-duplicate messages from different accounts within "
            f"{cluster['rule']['window_hours']:g} hours (narrascope coordination detection).",
            cluster["first_seen"],
            cluster["last_seen"],
            narratives,
            kind="coordination",
            size=cluster["size"],
            accounts=sorted(cluster["accounts"]),
            burstiness=cluster["burstiness"],
            languages=cluster["languages"],
            examples=[e["text"] for e in cluster["examples"]],
        )
        accounts = [
            self._add(stix2.UserAccount(account_login=a, display_name=a))
            for a in sorted(cluster["accounts"])
        ]
        observed = self._add(
            stix2.ObservedData(
                id=stable_id("observed-data", f"coordination:{cluster['cluster']}"),
                first_observed=as_datetime(cluster["first_seen"]),
                last_observed=as_datetime(cluster["last_seen"]),
                number_observed=cluster["size"],
                object_refs=accounts,
                **self._common(cluster["first_seen"]),
            )
        )
        self._add(
            stix2.Sighting(
                id=stable_id("sighting", f"coordination:{cluster['cluster']}"),
                sighting_of_ref=campaign,
                observed_data_refs=[observed],
                count=cluster["size"],
                first_seen=as_datetime(cluster["first_seen"]),
                last_seen=as_datetime(cluster["last_seen"]),
                **self._common(cluster["first_seen"]),
            )
        )
        return campaign

    def actor(self, name: str) -> str:
        """An intrusion-set every campaign added so far is `attributed-to`."""
        actor = stix2.IntrusionSet(id=stable_id("intrusion-set", name), name=name, **self._common())
        self._add(actor)
        for campaign in self.campaign_ids:
            self.relate(campaign, "attributed-to", actor.id)
        return actor.id

    def bundle(self) -> stix2.Bundle:
        return stix2.Bundle(objects=[self.marking, *self.objects.values()], allow_custom=True)


def write_bundle(bundle: stix2.Bundle, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text(path, bundle.serialize(pretty=True, ensure_ascii=False))


def type_counts(bundle) -> dict[str, int]:
    counts: dict[str, int] = {}
    for obj in bundle.objects:
        counts[obj["type"]] = counts.get(obj["type"], 0) + 1
    return dict(sorted(counts.items()))


def results_bundle(taxonomy, library, results: list[dict], tlp: str = "amber", now=None):
    """A bundle for a batch of prediction results (the /v1/predict shape: id, lang,
    narratives, talking_points): narratives, the talking points matched, one note per match,
    and counts per narrative x language for the batch (country unknown, bucket = today)."""
    builder = BundleBuilder(taxonomy, tlp, now)
    matched = {m["talking_point"] for r in results for m in r.get("talking_points", [])}
    for point_id in sorted(matched):
        builder.talking_point(library[point_id])
    counts: dict[tuple[str, str], int] = {}
    for i, result in enumerate(results):
        document = result.get("id") or f"text-{i}"
        for match in result.get("talking_points", []):
            builder.match(document, match, builder.now)
        for narrative in result.get("narratives", []):
            key = (narrative["id"], result.get("lang") or "und")
            counts[key] = counts.get(key, 0) + 1
    day, stamp = builder.now.date(), builder.now.strftime("%Y%m%dT%H%M%SZ")
    for (narrative, lang), n in sorted(counts.items()):
        builder.count(narrative, lang, "unknown", day, builder.now, f"request-{stamp}", n)
    return builder.bundle()


def bundle_json(bundle) -> dict:
    return json.loads(bundle.serialize())
