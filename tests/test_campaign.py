"""`narrascope campaign add`: patch, validate, card, retrain, register as staging, gate."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from narrascope.app.cli import main
from narrascope.data_cards.campaign import render_campaign_card
from narrascope.errors import DataError
from narrascope.model_registry import Registry
from narrascope.taxonomy import Taxonomy, apply_patch
from narrascope.training.campaign import prepare, split

PATCH = {
    "version": "1.1.0",
    "narratives": [
        {
            "id": "URW.testlabs",
            "domain": "URW",
            "label": "Secret labs",
            "description": "Secret laboratories are said to breed pathogens.",
            "subnarratives": [
                {"id": "URW.testlabs.pathogens", "label": "Pathogens", "description": "x"}
            ],
        }
    ],
}
TEXTS = {
    "en": "Secret laboratories near the border breed pathogens for the Pentagon, post {i} claims.",
    "de": "Geheime Labore an der Grenze züchten Erreger für das Pentagon, behauptet Beitrag {i}.",
}
NEGATIVE = {
    "en": "The city council approved a new bus timetable and a library budget, item {i}.",
    "de": "Der Stadtrat beschloss einen neuen Busfahrplan und ein Bibliotheksbudget, Punkt {i}.",
}


def _campaign_files(folder):
    rows = []
    for lang in TEXTS:
        for i in range(10):
            rows.append(
                {
                    "id": f"lab-{lang}-{i}",
                    "text": TEXTS[lang].format(i=i),
                    "lang": lang,
                    "country": "RU",
                    "campaign": "testlabs",
                    "narratives": ["URW.testlabs"],
                    "subnarratives": ["URW.testlabs.pathogens"],
                }
            )
        for i in range(4):
            rows.append(
                {"id": f"lab-{lang}-n{i}", "text": NEGATIVE[lang].format(i=i), "lang": lang}
            )
    data = folder / "documents.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    patch = folder / "patch.yaml"
    patch.write_text(yaml.safe_dump(PATCH))
    points = folder / "tp.jsonl"
    point = {
        "id": "TPX1",
        "narrative": "URW.testlabs",
        "subnarrative": "URW.testlabs.pathogens",
        "phrasings": {"en": "The labs breed pathogens."},
    }
    points.write_text(json.dumps(point) + "\n")
    return data, patch, points


def test_patch_adds_narratives_and_refuses_reused_ids(root):
    base = yaml.safe_load((root / "data/taxonomy.yaml").read_text())
    merged = Taxonomy.from_dict(apply_patch(base, PATCH))
    assert (
        merged.version == "1.1.0" and merged.parent_of("URW.testlabs.pathogens") == "URW.testlabs"
    )
    reused = {**PATCH, "narratives": [{**PATCH["narratives"][0], "id": "URW.blame_west"}]}
    with pytest.raises(DataError, match="'URW.blame_west' already exists"):
        apply_patch(base, reused)
    with pytest.raises(DataError, match="bump it"):
        apply_patch(base, {**PATCH, "version": base["version"]})


def test_split_is_seeded_and_stratified(tmp_path, root):
    data, patch, points = _campaign_files(tmp_path)
    campaign = prepare(
        "t",
        data,
        tmp_path / "w",
        root / "data/taxonomy.yaml",
        root / "data/talking_points.jsonl",
        [root / "data/corpus/train.jsonl"],
        patch,
        points,
    )
    again = split(campaign.train + campaign.test, 0.3, 13)
    assert [d.id for d in again[1]] == [d.id for d in campaign.test]
    held = {(d.lang, d.is_other) for d in campaign.test}
    assert held == {("en", False), ("en", True), ("de", False), ("de", True)}
    assert len(campaign.test) == 3 + 1 + 3 + 1
    merged_points = (tmp_path / "w" / "talking_points.jsonl").read_text().splitlines()
    assert json.loads(merged_points[-1])["id"] == "TPX1" and len(merged_points) == 30


def test_invalid_campaign_data_is_located(tmp_path, root):
    data, patch, _ = _campaign_files(tmp_path)
    lines = data.read_text().splitlines()
    lines[2] = lines[2].replace("URW.testlabs.pathogens", "URW.testlabs.unknown")
    data.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"documents.jsonl:3: ") as info:
        prepare(
            "t",
            data,
            tmp_path / "w",
            root / "data/taxonomy.yaml",
            root / "data/talking_points.jsonl",
            [],
            patch,
        )
    assert "URW.testlabs.unknown" in str(info.value)


def test_campaign_add_end_to_end(registry_root, tmp_path, capsys):
    registry_path = tmp_path / "registry"
    shutil.copytree(registry_root, registry_path)
    data, patch, points = _campaign_files(tmp_path)
    argv = [
        "--registry",
        str(registry_path),
        "campaign",
        "add",
        "--name",
        "testlabs",
        "--data",
        str(data),
        "--taxonomy-patch",
        str(patch),
        "--talking-points",
        str(points),
        "--workdir",
        str(tmp_path / "work"),
        "--cards-dir",
        str(tmp_path / "cards"),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "registered v2 as 'staging'" in out
    assert "narratives    en:" in out and "gate would" in out
    assert "URW.testlabs on held-out data" in out
    registry = Registry(registry_path)
    assert registry.resolve("staging") == "v2" and registry.resolve("production") == "v1"
    lineage = registry.lineage("v2")
    assert lineage["parent"] == "v1" and lineage["campaign"] == "testlabs"
    assert lineage["taxonomy_version"] == "1.1.0"
    assert str(tmp_path / "cards" / "campaign-testlabs.md") in lineage["data_cards"]
    assert str(data) in lineage["campaign_files"]
    assert any(str(tmp_path / "work" / "train.jsonl") == p for p in lineage["data_files"])
    assert len(lineage["evaluations"]) == 1
    candidate = registry.load("staging")
    assert "URW.testlabs" in candidate.labels
    said = candidate.predict([TEXTS["en"].format(i=99)], ["en"])[0]
    assert [s.id for s in said.narratives] == ["URW.testlabs"]
    assert (tmp_path / "work" / "reports" / "compare" / "compare.md").exists()


def test_bundled_example_campaign_card_is_current(tmp_path, root):
    folder = root / "data/campaigns/biolabs"
    campaign = prepare(
        "biolabs",
        folder / "documents.jsonl",
        tmp_path,
        root / "data/taxonomy.yaml",
        root / "data/talking_points.jsonl",
        [root / "data/corpus/train.jsonl"],
        folder / "taxonomy_patch.yaml",
        folder / "talking_points.jsonl",
    )
    sources = {
        "data": folder / "documents.jsonl",
        "taxonomy_patch": folder / "taxonomy_patch.yaml",
        "talking_points": folder / "talking_points.jsonl",
    }
    committed = (root / "data_cards/campaign-biolabs.md").read_text(encoding="utf-8")
    assert render_campaign_card(campaign, sources) == committed, (
        "run the README's `narrascope campaign add ... --validate-only` to refresh the card"
    )
