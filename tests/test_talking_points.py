"""Talking-point matching: the library, offsets, calibration, and cross-lingual matching with the
real embedded encoder (an English claim found in Russian, an unrelated sentence left out)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from narrascope.encoders.encoder import TextEncoder
from narrascope.errors import ArtifactError, DataError
from narrascope.talking_points import (
    DEFAULT_CALIBRATION,
    DEFAULT_LIBRARY,
    Match,
    TalkingPoint,
    TalkingPointLibrary,
    TalkingPointMatcher,
    calibrate,
    default_matcher,
    embedded_encoder,
    evaluate,
    gold_matrix,
    read_calibration,
)

LANGS = {"en", "ru", "uk", "zh", "es", "de", "fr", "ar"}
NATO_EN = "NATO broke its promise not to expand one inch to the east."
EXACT = 0.99999  # a sentence identical to a phrasing scores 1; the tiny random encoder is noisy


def _point(pid="TPX1", **changes) -> dict:
    return {"id": pid, "narrative": "URW.blame_west", "phrasings": {"en": "A claim."}, **changes}


def _write(path, *rows) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return str(path)


# -- the library ---------------------------------------------------------------------------------
def test_bundled_library_loads_with_eight_languages_and_merges_a_campaign(root, taxonomy):
    library = TalkingPointLibrary.load(DEFAULT_LIBRARY, taxonomy)
    assert len(library) == 29 and library.ids[0] == "TP001"
    assert all(set(p.phrasings) == LANGS for p in library.points)
    assert library["TP001"].subnarrative == "URW.blame_west.nato_expansion"
    campaign = root / "data/campaigns/biolabs/talking_points.jsonl"
    merged = TalkingPointLibrary.load([DEFAULT_LIBRARY, campaign])
    assert len(merged) == 33 and "TPB01" in merged and "TPB01" not in library


@pytest.mark.parametrize(
    ("rows", "message", "line", "field"),
    [
        (['{"id": "TPX1",'], "malformed JSON", 1, None),
        ([_point(), "", _point()], "duplicate talking point id 'TPX1'", 3, "id"),
        ([_point(id="")], "non-empty string", 1, "id"),
        ([_point(phrasings={})], "map language codes", 1, "phrasings"),
        ([_point(phrasings={"ru": "  "})], "phrasing for 'ru' is empty", 1, "phrasings"),
        ([_point(note="x")], "unknown field", 1, "note"),
        ([_point(first_seen="last spring")], "ISO date", 1, "first_seen"),
        ([_point(), '["not", "an", "object"]'], "JSON object", 2, None),
    ],
)
def test_bad_rows_are_refused_with_file_line_and_field(tmp_path, rows, message, line, field):
    path = _write(tmp_path / "tp.jsonl", *rows)
    with pytest.raises(DataError, match=message) as caught:
        TalkingPointLibrary.load(path)
    assert (caught.value.file, caught.value.line, caught.value.field) == (path, line, field)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_ids_must_be_unique_across_files_and_labels_fit_the_taxonomy(tmp_path, taxonomy):
    first, second = _write(tmp_path / "a.jsonl", _point()), _write(tmp_path / "b.jsonl", _point())
    with pytest.raises(DataError, match=r"duplicate .*first at .*a\.jsonl:1") as caught:
        TalkingPointLibrary.load([first, second])
    assert caught.value.file == second
    with pytest.raises(DataError, match="unknown narrative 'URW.nope'"):
        TalkingPointLibrary.load(
            _write(tmp_path / "c.jsonl", _point(narrative="URW.nope")), taxonomy
        )
    wrong_parent = _point(subnarrative="CC.hoax.natural_cycles")  # under another narrative
    with pytest.raises(DataError, match="is not under narrative") as caught:
        TalkingPointLibrary.load(_write(tmp_path / "d.jsonl", wrong_parent), taxonomy)
    assert caught.value.field == "subnarrative"
    with pytest.raises(DataError, match="no such file|cannot read"):
        TalkingPointLibrary.load(tmp_path / "missing.jsonl")
    with pytest.raises(DataError, match="duplicate"):
        TalkingPointLibrary.load(first).extend(
            [TalkingPoint("TPX1", "URW.blame_west", {"en": "b"})]
        )


# -- matching mechanics (tiny random encoder: exact sentences only) -------------------------------
@pytest.fixture(scope="module")
def tiny_matcher(tiny_encoder):
    encoder = TextEncoder(tiny_encoder, max_tokens=64, prefix="passage: ")
    library = TalkingPointLibrary.load(DEFAULT_LIBRARY)
    return TalkingPointMatcher(library, encoder, EXACT, scoring="cosine")


def test_matches_point_into_the_original_text(tiny_matcher):
    text = "  Intro line here.\n\nSome words\tin between.   " + NATO_EN + "  Второе предложение!"
    [[match], none, empty] = tiny_matcher.match([text, "Nothing to see.", "   "])
    assert (match.talking_point, match.narrative, match.phrasing_lang) == (
        "TP001",
        "URW.blame_west",
        "en",
    )
    assert text[match.start : match.end] == match.sentence == NATO_EN
    assert match.score == pytest.approx(1.0, abs=1e-5) and match.cosine == match.score
    assert match.to_dict()["start"] == text.index(NATO_EN)
    assert none == [] and empty == []
    scores = tiny_matcher.scores([text, "   "])
    assert scores.shape == (2, 29) and np.isneginf(scores[1]).all()


def test_matches_are_sorted_best_first(tiny_matcher):
    phrasings = tiny_matcher.library["TP011"].phrasings
    text = f"{phrasings['de']} {NATO_EN}"
    matches = tiny_matcher.match([text])[0]
    assert {m.talking_point for m in matches} == {"TP001", "TP011"}
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert isinstance(matches[0], Match)


def test_the_callers_encoder_keeps_its_prefix_and_shares_its_model(tiny_encoder):
    encoder = TextEncoder(tiny_encoder, max_tokens=64, prefix="passage: ")
    one = TalkingPointLibrary([TalkingPoint("TPX1", "URW.blame_west", {"en": NATO_EN})])
    matcher = TalkingPointMatcher(one, encoder, EXACT, scoring="cosine")
    assert encoder.prefix == "passage: " and matcher.encoder.prefix == "query: "
    assert matcher.encoder.model is encoder.model
    same = TextEncoder(tiny_encoder, max_tokens=64, prefix="query: ")
    assert TalkingPointMatcher(one, same, EXACT, scoring="cosine").encoder is same


def test_english_only_matcher_ignores_other_phrasings(tiny_matcher):
    english = tiny_matcher.with_library(tiny_matcher.library, languages=["en"])
    german = tiny_matcher.library["TP011"].phrasings["de"]
    assert english.match([german]) == [[]]
    assert set(english.phrasing_langs) == {"en"} and len(english.phrasings) == 29


def test_phrasing_embeddings_are_cached_on_disk_without_pickle(tiny_encoder, tmp_path):
    from safetensors.numpy import load_file

    encoder = TextEncoder(tiny_encoder, max_tokens=64, prefix="query: ")
    library = TalkingPointLibrary.load(DEFAULT_LIBRARY)
    first = TalkingPointMatcher(library, encoder, 0.5, fingerprint="tiny", cache_dir=tmp_path)
    [cached] = list(tmp_path.glob("*.safetensors"))
    assert load_file(str(cached))["phrasings"].shape == (29 * 8, encoder.dim)

    class NoEncoding:  # the second matcher must read the file, not embed
        prefix, dim, window = "query: ", encoder.dim, encoder.window
        stride, pooling = encoder.stride, encoder.pooling

        def embed(self, texts, batch_size=32):
            raise AssertionError("phrasings were embedded again")

    second = TalkingPointMatcher(library, NoEncoding(), 0.5, fingerprint="tiny", cache_dir=tmp_path)
    assert np.array_equal(first.scoring_vectors, second.scoring_vectors)


def test_centered_scoring_needs_a_real_reference(tiny_encoder):
    encoder = TextEncoder(tiny_encoder, max_tokens=64)
    one = TalkingPointLibrary([TalkingPoint("TPX1", "URW.blame_west", {"en": NATO_EN})])
    with pytest.raises(ValueError, match="reference library of at least"):
        TalkingPointMatcher(one, encoder, 0.1)
    bundled = TalkingPointLibrary.load(DEFAULT_LIBRARY)
    matcher = TalkingPointMatcher(one, encoder, 0.0, reference=bundled)
    assert matcher.scoring_vectors.shape == (1, encoder.dim)
    with pytest.raises(ValueError, match="scoring"):
        TalkingPointMatcher(one, encoder, 0.1, scoring="dot")


# -- calibration ---------------------------------------------------------------------------------
def test_calibration_picks_the_f1_maximising_threshold():
    scores = np.array([[0.9, 0.2], [0.8, 0.7], [0.6, 0.1], [0.4, 0.3], [-np.inf, -np.inf]])
    gold = np.array([[1, 0], [1, 0], [0, 0], [1, 0], [0, 0]], dtype=bool)
    # cut-offs: >=0.9 F1 .5 | >=0.8 F1 .8 (best) | >=0.7 .67 | >=0.6 .57 | >=0.4 .75 | ...
    chosen = calibrate(scores, gold)
    assert chosen.threshold == pytest.approx(0.75)  # between 0.8 (kept) and 0.7 (dropped)
    assert (chosen.precision, chosen.recall, chosen.f1) == pytest.approx((1.0, 2 / 3, 0.8))
    assert (chosen.support, chosen.predicted) == (3, 2)
    for t in [*np.unique(scores[np.isfinite(scores)]), 0.0, 0.55, 1.0]:
        assert evaluate(scores, gold, t).f1 <= chosen.f1 + 1e-12
    tie = calibrate(np.array([[0.9, 0.5, 0.3, 0.2]]), np.array([[1, 0, 0, 1]], dtype=bool))
    assert tie.f1 == pytest.approx(2 / 3) and tie.threshold == pytest.approx(0.7)  # higher of ties
    with pytest.raises(ValueError, match="differ"):
        calibrate(scores, gold[:2])


def test_gold_matrix_refuses_unknown_talking_points():
    library = TalkingPointLibrary.load(DEFAULT_LIBRARY)
    gold = gold_matrix([["TP002"], [], ["TP001", "TP029"]], library)
    assert gold.sum() == 3 and gold[2, 0] and gold[2, 28]
    with pytest.raises(DataError, match="TP999"):
        gold_matrix([["TP999"]], library)


def test_calibration_file_is_complete_and_checked(tmp_path):
    calibration = read_calibration(DEFAULT_CALIBRATION, "embedded:multilingual-e5-small")
    assert calibration["calibrated_on"] == "data/corpus/train.jsonl"
    assert calibration["scoring"] == "centered" and 0 < calibration["threshold"] < 1
    for split in ("train", "test"):
        assert {"precision", "recall", "f1"} <= set(calibration[split])
    assert set(calibration["test"]["per_language"]) == LANGS
    with pytest.raises(ArtifactError, match="calibrated for encoder"):
        read_calibration(DEFAULT_CALIBRATION, "some/other-model")
    with pytest.raises(DataError, match="bench/talking_points.py"):
        read_calibration(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('{"threshold": "high"}')
    with pytest.raises(DataError, match="numeric 'threshold'"):
        read_calibration(tmp_path / "bad.json")


# -- the real embedded encoder (multilingual-e5-small) --------------------------------------------
@pytest.fixture(scope="module")
def e5():
    return embedded_encoder()


def test_an_english_talking_point_is_found_in_russian(e5):
    point = TalkingPoint("TPX1", "URW.blame_west", {"en": NATO_EN})
    matcher = default_matcher(TalkingPointLibrary([point]), encoder=e5)
    unrelated = "Вчера в Москве прошёл сильный дождь, и многие улицы затопило."
    echo = "НАТО обещало не расширяться на восток ни на дюйм, но обмануло."  # ~0.10 vs ~0.07
    text = f"{unrelated} {echo}"
    [[match]] = matcher.match([text])
    assert (match.talking_point, match.phrasing_lang) == ("TPX1", "en")
    assert text[match.start : match.end] == echo == match.sentence
    assert match.score >= matcher.threshold
    assert matcher.scores([unrelated])[0, 0] < matcher.threshold
    assert matcher.match([unrelated]) == [[]]


def test_a_new_talking_point_is_matchable_without_retraining(e5, root, monkeypatch, tmp_path):
    matcher = default_matcher(encoder=e5)
    text = (
        "Американские военные годами оплачивали секретные биолаборатории на Украине, "
        "где разрабатывали биологическое оружие."
    )
    before = matcher.scores([text])[0]
    assert "TPB01" not in {m.talking_point for m in matcher.match([text])[0]}
    campaign = TalkingPointLibrary.load(root / "data/campaigns/biolabs/talking_points.jsonl")
    embedded: list[str] = []
    real_embed = matcher.encoder.embed

    def counting_embed(texts, *args, **kwargs):
        embedded.extend(texts)
        return real_embed(texts, *args, **kwargs)

    monkeypatch.setattr(matcher.encoder, "embed", counting_embed)
    # an empty disk cache: another run may have cached this very set of phrasings already
    extended = matcher.with_library(matcher.library.extend(campaign.points[:1]), cache_dir=tmp_path)
    [best, *_] = extended.match([text])[0]
    new_phrasings = set(campaign.points[0].phrasings.values())
    # only the new point's phrasings (and the text itself) reached the encoder
    assert set(embedded) - new_phrasings <= {text} and new_phrasings <= set(embedded)
    assert best.talking_point == "TPB01" and best.score >= extended.threshold
    assert np.allclose(extended.scores([text])[0, :29], before, atol=1e-5)  # others unchanged
