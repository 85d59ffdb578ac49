"""Sharing findings: coordination detection on the bundled stream, STIX export -> validate ->
import round trips, malformed bundles, stable ids, and the CLI."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from stix2validator import ValidationOptions, validate_string

from narrascope.errors import DataError
from narrascope.share.importer import parse_bundle, read_bundle, write_import
from narrascope.share.stix import BundleBuilder, bundle_json, stable_id
from narrascope.talking_points import Match, TalkingPointLibrary
from narrascope.taxonomy import Taxonomy
from narrascope.tracking.coordination import (
    CoordinationSettings,
    Post,
    coordinated_accounts,
    detect_coordination,
)

PLANTED = {
    f"s-coord-{lang}-{k:02d}" for lang, n in (("en", 10), ("ru", 6)) for k in range(1, n + 1)
}
WEATHER = "@lviv_weather_daily"


def _valid(text: str) -> bool:
    result = validate_string(text, ValidationOptions(version="2.1"))
    return result.is_valid


@pytest.fixture(scope="module")
def library(root):
    return TalkingPointLibrary.load(root / "data/talking_points.jsonl")


@pytest.fixture(scope="module")
def stream(root):
    return [json.loads(line) for line in (root / "data/stream/stream.jsonl").open(encoding="utf-8")]


def _posts(rows, account=lambda r: r["source"]):
    posts = [
        Post(r["id"], account(r), dt.datetime.fromisoformat(r["published"]), r["text"], r["lang"])
        for r in rows
        if r.get("source")
    ]
    return sorted(posts, key=lambda p: (p.time, p.id))


# -- coordination --------------------------------------------------------------------------------
def test_planted_burst_is_found_and_one_account_repeating_itself_is_not(stream):
    found = detect_coordination(_posts(stream))
    gold = {r["source"] for r in stream if r["id"] in PLANTED}
    flagged = coordinated_accounts(found)
    precision, recall = len(flagged & gold) / len(flagged), len(flagged & gold) / len(gold)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    assert WEATHER not in flagged
    burst = found[0]
    assert burst["accounts_count"] == 10 and burst["languages"] == {"en": 10}
    assert burst["span_hours"] <= 24 and burst["burstiness"] >= 0.5
    # The weather posts are near-duplicates: from different accounts they *would* be flagged.
    weather = [r for r in stream if r["source"] == WEATHER]
    renamed = detect_coordination(_posts(weather, account=lambda r: r["id"]))
    assert len(renamed) == 1 and renamed[0]["size"] == len(weather)


def test_near_duplicates_outside_the_window_are_not_linked():
    text = "The same long sentence about a harbour festival, fireworks and a brass band tonight."
    start = dt.datetime(2026, 1, 1)
    posts = [Post(str(k), f"@a{k}", start + dt.timedelta(days=5 * k), text) for k in range(4)]
    assert detect_coordination(posts) == []
    assert len(detect_coordination(posts, CoordinationSettings(window_hours=24 * 6))) == 1


def test_posts_out_of_time_order_are_refused():
    text = "A long enough message for the detector to consider it at all, really."
    posts = [
        Post("b", "@b", dt.datetime(2026, 1, 2), text),
        Post("a", "@a", dt.datetime(2026, 1, 1), text),
    ]
    with pytest.raises(ValueError, match="'a'.*time order"):
        detect_coordination(posts)


# -- STIX export and import ----------------------------------------------------------------------
def _match(point, sentence="NATO broke its promise.", score=0.5):
    return Match(
        point.id, point.narrative, sentence, 0, len(sentence), score, 0.9, "en", point.subnarrative
    ).to_dict()


def test_round_trip_gives_back_the_same_talking_points(taxonomy, library, tmp_path):
    builder = BundleBuilder(taxonomy, tlp="red")
    builder.talking_points(library)
    builder.match("doc-1", _match(library["TP001"]))
    text = builder.bundle().serialize()
    assert _valid(text)
    result = parse_bundle(json.loads(text), taxonomy)
    assert result.talking_points == library.points and result.unknown_types == []
    [document] = result.documents
    assert document["talking_points"] == ["TP001"] and document["narratives"] == ["URW.blame_west"]
    written = write_import(result, tmp_path, library)
    assert written.new_points == [] and len(written.known_points) == len(library)
    # Against an empty library every point is new and the file loads as a library.
    written = write_import(result, tmp_path / "fresh", TalkingPointLibrary())
    assert TalkingPointLibrary.load(written.talking_points, taxonomy).points == library.points


def test_disarm_mapped_narratives_are_attack_patterns(taxonomy, library):
    objects = bundle_json(BundleBuilder(taxonomy).bundle())["objects"]
    [hoax] = [o for o in objects if o.get("x_narrascope_id") == "CC.hoax"]
    assert hoax["type"] == "attack-pattern"
    assert hoax["external_references"] == [{"source_name": "DISARM", "external_id": "T0022"}]
    others = {o["x_narrascope_id"] for o in objects if o["type"] == "x-narrascope-narrative"}
    assert others == set(taxonomy.narratives) - {"CC.hoax"}
    with pytest.raises(DataError, match="disarm"):
        Taxonomy.from_dict(_with_disarm(taxonomy, "not-a-technique"))


def _with_disarm(taxonomy, value):
    domain = {"id": "X", "label": "x", "description": "x"}
    narrative = {"id": "X.n", "label": "n", "description": "n", "disarm": [value]}
    return {"version": "9", "domains": [{**domain, "narratives": [narrative]}]}


def test_re_export_keeps_ids_and_moves_modified(taxonomy, library):
    first = BundleBuilder(taxonomy, now=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    second = BundleBuilder(taxonomy, now=dt.datetime(2026, 7, 8, tzinfo=dt.UTC))
    for builder in (first, second):
        builder.talking_points(library)
        builder.match("doc-1", _match(library["TP003"]))
    a, b = (bundle_json(x.bundle())["objects"] for x in (first, second))
    assert [o["id"] for o in a] == [o["id"] for o in b]
    assert stable_id("indicator", "talking-point:TP003") in {o["id"] for o in a}
    assert all(o["modified"] > p["modified"] for o, p in zip(b, a) if "modified" in o)
    assert [o.get("created") for o in a] == [o.get("created") for o in b]


def test_malformed_bundles_get_an_error_naming_the_object(taxonomy, library):
    builder = BundleBuilder(taxonomy)
    builder.talking_points(library)
    good = bundle_json(builder.bundle())
    broken = copy.deepcopy(good)
    position = next(i for i, o in enumerate(broken["objects"]) if o["type"] == "indicator")
    del broken["objects"][position]["pattern"]
    with pytest.raises(DataError) as caught:
        parse_bundle(broken, taxonomy, source="partner.json")
    message = str(caught.value)
    assert f"object {position} ({good['objects'][position]['id']})" in message
    assert "pattern" in message and message.startswith("partner.json:")
    with pytest.raises(DataError, match="not a STIX bundle"):
        parse_bundle({"objects": []}, taxonomy)
    unknown_narrative = copy.deepcopy(good)
    unknown_narrative["objects"][position]["x_narrascope_narrative"] = "URW.nope"
    with pytest.raises(DataError, match="URW.nope.*taxonomy patch"):
        parse_bundle(unknown_narrative, taxonomy)


def test_unknown_types_are_listed_not_used(taxonomy):
    raw = bundle_json(BundleBuilder(taxonomy).bundle())
    raw["objects"].append(
        {
            "type": "x-partner-widget",
            "spec_version": "2.1",
            "id": "x-partner-widget--2f1b1c1e-0e56-4b3f-9d55-7c3a3a7d6b0a",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "payload": "rm -rf /",
        }
    )
    result = parse_bundle(raw, taxonomy)
    assert result.unknown_types == ["x-partner-widget"] and result.talking_points == []


def test_partner_example_bundle_validates_and_adds_a_new_talking_point(
    root, taxonomy, library, tmp_path
):
    path = root / "data/share/partner_bundle.json"
    assert _valid(path.read_text(encoding="utf-8"))
    result = read_bundle(path, taxonomy)
    written = write_import(result, tmp_path, library)
    assert written.new_points == ["PTN-001"]
    extended = library.extend(TalkingPointLibrary.load(written.talking_points, taxonomy).points)
    assert "PTN-001" in extended and len(extended) == len(library) + 1
    from narrascope.data import load_documents

    docs = load_documents(written.documents, taxonomy).documents
    assert len(docs) == 2 and all(d.talking_points == ("PTN-001",) for d in docs)


# -- the tracking run and the CLI ----------------------------------------------------------------
class PhraseMatcher:
    """A stand-in matcher: a talking point matches a text containing its key phrase (instant,
    deterministic; the real cross-lingual matcher is tested in test_talking_points.py)."""

    def __init__(self, library, keys: dict[str, str]):
        self.library, self.keys = library, keys

    def match(self, texts):
        out = []
        for text in texts:
            found = []
            for point_id, phrase in self.keys.items():
                start = text.lower().find(phrase)
                if start >= 0:
                    point = self.library[point_id]
                    end = start + len(phrase)
                    found.append(
                        Match(
                            point_id,
                            point.narrative,
                            text[start:end],
                            start,
                            end,
                            0.9,
                            0.9,
                            "en",
                            point.subnarrative,
                        )
                    )
            out.append(found)
        return out


def test_track_then_export_on_the_bundled_stream(artifact, root, library, tmp_path):
    from narrascope.app.cli import main
    from narrascope.predictor import Predictor
    from narrascope.tracking.run import track

    out = tmp_path / "tracking"
    source = root / "data/stream/stream.jsonl"
    summary = track(
        source,
        Predictor(artifact),
        out,
        "week",
        matcher=PhraseMatcher(library, {"TP011": "western aid package"}),
    )
    assert summary["coordination_clusters"] == 2 and summary["coordinated_accounts"] == 16
    clusters = json.loads((out / "coordination.json").read_text())
    assert set(clusters[0]["post_ids"]) <= PLANTED
    page = (out / "dashboard.html").read_text()
    assert "Coordinated behaviour" in page and "@freedom_eagle_77" in page

    bundle = tmp_path / "bundle.json"

    def export(path) -> str:
        argv = ["share", "export", "--tracking", str(out), "--out", str(path)]
        assert main([*argv, "--actor", "Example Actor"]) == 0
        return path.read_text(encoding="utf-8")

    text = export(bundle)
    assert _valid(text)
    objects = json.loads(text)["objects"]
    campaigns = {o["name"]: o for o in objects if o["type"] == "campaign"}
    assert {"stop-the-aid", "biolabs"} <= set(campaigns)
    coordination = [c for c in campaigns.values() if c["x_narrascope_kind"] == "coordination"]
    assert {a for c in coordination for a in c["x_narrascope_accounts"]} == {
        r["source"] for r in map(json.loads, source.open()) if r["id"] in PLANTED
    }
    assert any(o["type"] == "sighting" for o in objects)
    assert any(o["type"] == "observed-data" and o["number_observed"] > 1 for o in objects)
    notes = [o for o in objects if o["type"] == "note"]
    assert {n["x_narrascope_document_id"] for n in notes} == {i for i in PLANTED if "-en-" in i}
    ids = {o["id"] for o in objects}
    relationships = [o for o in objects if o["type"] == "relationship"]
    assert all(r["source_ref"] in ids and r["target_ref"] in ids for r in relationships)
    assert sum(r["relationship_type"] == "attributed-to" for r in relationships) == len(campaigns)

    again = tmp_path / "again.json"
    objects_again = json.loads(export(again))["objects"]
    assert {o["id"] for o in objects_again} == ids  # updates, no duplicates


def test_cli_errors_are_one_line_exit_2(tmp_path, capsys):
    from narrascope.app.cli import main

    assert (
        main(["share", "export", "--tracking", str(tmp_path), "--out", str(tmp_path / "b.json")])
        == 2
    )
    assert "summary.json" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["share", "import", str(bad), "--out", str(tmp_path / "imp")]) == 2
    assert "not a JSON file" in capsys.readouterr().err
    preds = tmp_path / "p.jsonl"
    preds.write_text('{"narratives": []}\n')
    assert (
        main(
            [
                "share",
                "export",
                "--predictions",
                str(preds),
                "--out",
                str(tmp_path / "b.json"),
                "--tlp",
                "mauve",
            ]
        )
        == 2
    )
    assert "unknown TLP marking 'mauve'" in capsys.readouterr().err


@pytest.mark.slow
def test_imported_partner_talking_point_is_matched_by_the_real_matcher(root, taxonomy, tmp_path):
    """The walk-through's last step without a server: the embedded e5 matcher over the bundled
    library plus the imported point finds it in English and, paraphrased, in Russian."""
    from narrascope.talking_points import default_matcher

    written = write_import(
        read_bundle(root / "data/share/partner_bundle.json", taxonomy),
        tmp_path,
        TalkingPointLibrary.load(root / "data/talking_points.jsonl"),
    )
    library = TalkingPointLibrary.load([root / "data/talking_points.jsonl", written.talking_points])
    texts = [
        "British officers secretly command the Ukrainian drone units that strike Russian cities.",
        "Британские офицеры тайно руководят украинскими операторами дронов, "
        "атакующими наши города.",
        "The city council approved a new budget for schools on Tuesday.",
    ]
    found = default_matcher(library).match(texts)
    assert found[0][0].talking_point == "PTN-001" and found[1][0].talking_point == "PTN-001"
    assert found[2] == []
