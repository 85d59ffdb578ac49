"""The bundled corpus meets its promises, and the data card matches the data."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from narrascope.data import load_documents
from narrascope.data_cards.generate import CARD_PATH, render_card

LANGS = {"en", "ru", "uk", "zh", "es", "de", "fr", "ar"}


@pytest.fixture(scope="module")
def splits(root, taxonomy):
    return {
        name: load_documents(root / f"data/corpus/{name}.jsonl", taxonomy).documents
        for name in ("train", "test")
    }


@pytest.fixture(scope="module")
def docs(splits):
    return splits["train"] + splits["test"]


def test_size_languages_countries_sources_dates(docs):
    assert len(docs) >= 600
    per_lang = Counter(d.lang for d in docs)
    assert set(per_lang) >= LANGS and min(per_lang[lang] for lang in LANGS) >= 50
    assert len({d.country for d in docs}) >= 8
    assert {d.source_type.value for d in docs} >= {
        "state_media",
        "independent_media",
        "social",
        "official",
    }
    assert len({str(d.published)[:7] for d in docs}) >= 12


def test_other_share_and_label_coverage(docs, taxonomy):
    assert sum(d.is_other for d in docs) / len(docs) >= 0.30
    used_n = {n for d in docs for n in d.narratives}
    used_s = {s for d in docs for s in d.subnarratives}
    assert used_n == set(taxonomy.narratives) and used_s == set(taxonomy.subnarratives)


def test_lengths_vary_from_one_sentence_to_paragraphs(docs):
    lengths = [len(d.text) for d in docs]
    assert min(lengths) < 80 and max(lengths) > 700
    assert sum("\n\n" in d.text for d in docs) >= 80


def test_fixed_test_split_is_disjoint_and_covers_every_language(splits):
    train_ids = {d.id for d in splits["train"]}
    test_ids = {d.id for d in splits["test"]}
    assert not train_ids & test_ids
    assert {d.lang for d in splits["test"]} >= LANGS
    assert 0.15 <= len(test_ids) / (len(test_ids) + len(train_ids)) <= 0.25
    train_texts = {d.text for d in splits["train"]}
    assert not [d.id for d in splits["test"] if d.text in train_texts]


def test_talking_points_library(root, taxonomy, docs):
    points = [
        json.loads(line)
        for line in (root / "data/talking_points.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(points) >= 25
    for point in points:
        assert point["narrative"] in taxonomy.narratives
        assert taxonomy.parent_of(point["subnarrative"]) == point["narrative"]
        assert len(point["phrasings"]) >= 4 and all(t.strip() for t in point["phrasings"].values())
    known = {p["id"] for p in points}
    assert {t for d in docs for t in d.talking_points} <= known


def test_data_card_matches_the_data(root):
    committed = (root / CARD_PATH).read_text(encoding="utf-8")
    assert committed == render_card(root), "run `narrascope data card` and commit the result"


def test_data_card_detects_drift(root, tmp_path):
    import shutil

    for part in ("data", "data_cards"):
        shutil.copytree(root / part, tmp_path / part, ignore=shutil.ignore_patterns("staging"))
    path = tmp_path / "data/corpus/test.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # drop one document
    assert render_card(tmp_path) != (root / CARD_PATH).read_text(encoding="utf-8")
