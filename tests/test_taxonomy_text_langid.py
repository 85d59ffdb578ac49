"""Taxonomy consistency, text preparation and language identification edge cases."""

from __future__ import annotations

import pytest

from narrascope.errors import DataError
from narrascope.langid import detect_language
from narrascope.taxonomy import Taxonomy
from narrascope.text import normalise, split_sentences

SERVED = frozenset({"en", "ru", "uk", "zh", "es", "de", "fr", "ar"})


def test_bundled_taxonomy_shape(taxonomy):
    assert len(taxonomy.domains) >= 2
    assert len(taxonomy.narratives) >= 10 and len(taxonomy.subnarratives) >= 25
    for node in [*taxonomy.narratives.values(), *taxonomy.subnarratives.values()]:
        assert node.description and node.label
    # every narrative has at least one subnarrative, every subnarrative a known parent
    assert {taxonomy.parent_of(s) for s in taxonomy.subnarratives} == set(taxonomy.narratives)


def test_subnarrative_implies_narrative(taxonomy):
    narr, subs = taxonomy.make_consistent(set(), {"CC.hoax.natural_cycles"})
    assert narr == {"CC.hoax"} and subs == {"CC.hoax.natural_cycles"}


def test_semeval_names_round_trip(taxonomy):
    for label in [*taxonomy.narratives, *taxonomy.subnarratives]:
        assert taxonomy.from_semeval_name(taxonomy.semeval_name(label)) == label
    assert taxonomy.from_semeval_name("Other") is None


def test_child_id_must_extend_parent_id():
    raw = {
        "version": "1",
        "domains": [
            {
                "id": "A",
                "label": "a",
                "description": "d",
                "narratives": [{"id": "B.x", "label": "x", "description": "d"}],
            }
        ],
    }
    with pytest.raises(DataError, match="must start with its parent id 'A.'"):
        Taxonomy.from_dict(raw)


def test_normalise_folds_width_and_spaces():
    assert normalise("  ＮＡＴＯ\u00a0 expands\n\n") == "NATO expands"


def test_sentences_keep_offsets_across_scripts():
    text = "First claim. Second one!\n\n第三句。第四句？ نعم؟ done"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "First claim.",
        "Second one!",
        "第三句。",
        "第四句？",
        "نعم؟",
        "done",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


@pytest.mark.parametrize(
    "text", ["", "   ", "😀🔥👍", "https://example.org/a?b=1", "12 345 678", "@user #tag 2024"]
)
def test_und_for_text_without_language(text):
    assert detect_language(text) == ("und", 0.0)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The West provoked the war and sanctions failed.", "en"),
        ("Запад спровоцировал эту войну, санкции провалились.", "ru"),
        ("Захід спровокував цю війну, санкції провалилися.", "uk"),
        ("西方挑起了这场战争", "zh"),
        ("Occidente provocó la guerra", "es"),
        ("Der Westen hat den Krieg provoziert", "de"),
        ("L'Occident a provoqué la guerre", "fr"),
        ("الغرب استفز الحرب", "ar"),
    ],
)
def test_detects_served_languages_when_restricted(text, lang):
    found, confidence = detect_language(text, candidates=SERVED)
    assert found == lang and 0.5 <= confidence <= 1.0


def test_chinese_is_not_mistaken_for_korean_without_candidates():
    assert detect_language("西方挑起了这场战争")[0] == "zh"
    assert detect_language("今日は良い天気です")[0] == "ja"


def test_deterministic_and_hint_wins():
    text = "hola amigo"
    assert len({detect_language(text) for _ in range(50)}) == 1
    assert detect_language(text, candidates=SERVED)[0] == "es"
    assert detect_language("Bonjour à tous", hint="de") == ("de", 1.0)
