"""Evaluation reports: hand-computed figures, groups, intervals, bias views, formats."""

from __future__ import annotations

import json

import numpy as np
import pytest

from narrascope.errors import DataError
from narrascope.eval.bootstrap import DocCounts, Settings, headline, resample_weights
from narrascope.eval.calibration import reliability
from narrascope.eval.compare import BETTER, SAME, WORSE, compare, regressions
from narrascope.eval.predictions import run_from_file, run_model
from narrascope.eval.probe import NameSets
from narrascope.eval.render import fmt, render_html, render_markdown
from narrascope.eval.report import evaluate, report_for_run, write_report
from narrascope.eval.semeval import read_predictions, write_predictions
from narrascope.metrics import summary
from narrascope.predictor import LabelScore, Prediction
from narrascope.schema import Document

NARRATIVES = ["CC.hoax", "URW.aid_futile", "URW.blame_west"]
LABELS = ["Other", *NARRATIVES, "CC.hoax.natural_cycles"]


class FixedPredictor:
    """Answers from a table keyed by text (or by a rule): the evaluation arithmetic is tested."""

    version = "v-test"
    manifest = {"model_id": "fixed", "family": "fixed"}
    labels = LABELS

    def __init__(self, taxonomy, answers=None, rule=None):
        self.taxonomy, self.answers, self.rule = taxonomy, answers or {}, rule

    def _answer(self, text):
        return self.rule(text) if self.rule else self.answers[text]

    def predict(self, texts, langs=None, threshold=None):
        return self.decide(texts, self.scores(texts), langs, threshold)

    def decide(self, texts, scores, langs=None, threshold=None, top_k=None):
        langs = langs or [None] * len(texts)
        return [
            Prediction(
                lang or "und",
                1.0,
                [_ls(n) for n in self._answer(t)[0]],
                [_ls(s) for s in self._answer(t)[1]],
            )
            for t, lang in zip(texts, langs)
        ]

    def scores(self, texts):
        """0.9 for a predicted label, 0.1 otherwise; `Other` 0.9 when nothing is predicted."""
        rows = []
        for text in texts:
            narratives, subs = self._answer(text)
            chosen = set(narratives) | set(subs) | (set() if narratives else {"Other"})
            rows.append([0.9 if lab in chosen else 0.1 for lab in LABELS])
        return np.array(rows)


def _ls(label):
    return LabelScore(label, label, 0.9, 0.5)


def _doc(i, lang, narratives=(), subs=(), country=None, text=None):
    return Document(
        id=str(i),
        text=text or f"text {i}",
        lang=lang,
        country=country,
        narratives=narratives,
        subnarratives=subs,
    )


TINY = [
    _doc(1, "en", ["CC.hoax"], ["CC.hoax.natural_cycles"], country="GB"),
    _doc(2, "en", country="GB"),
    _doc(
        3,
        "de",
        ["CC.hoax", "URW.aid_futile"],
        ["CC.hoax.natural_cycles", "URW.aid_futile.cost_to_citizens"],
        country="DE",
    ),
    _doc(4, "de", country="AT"),
]
TINY_ANSWERS = {
    "text 1": (["CC.hoax"], ["CC.hoax.natural_cycles"]),  # perfect
    "text 2": (["CC.hoax"], []),  # false positive on Other
    "text 3": (["CC.hoax"], []),  # half the narratives, no subnarratives
    "text 4": ([], []),  # only Other, correctly
}
SMALL = Settings(resamples=200, seed=1)


@pytest.fixture
def report(taxonomy):
    return evaluate(FixedPredictor(taxonomy, TINY_ANSWERS), TINY, "tiny", SMALL, min_support=2)


def test_narrative_level_by_hand(report):
    narr = report["levels"]["narratives"]
    # doc1 F1 1; doc2 gold {Other} pred {CC.hoax}: 0; doc3 gold 2, pred 1, tp 1: 2/3; doc4 1
    assert narr["overall"]["samples_f1"]["value"] == pytest.approx((1 + 0 + 2 / 3 + 1) / 4, 1e-6)
    # pooled: tp 1+0+1+1 = 3; gold 1+1+2+1 = 5; predicted 1+1+1+1 = 4 -> 6/9
    assert narr["overall"]["micro_f1"]["value"] == pytest.approx(6 / 9, 1e-6)
    # per label F1: CC.hoax 2*2/(2+3) = 0.8, URW.aid_futile 0, Other 2*1/(2+1) = 2/3
    assert narr["overall"]["macro_f1"]["value"] == pytest.approx((0.8 + 0 + 2 / 3) / 3, 1e-6)
    languages = narr["groups"]["language"]
    assert languages["en"]["samples_f1"]["value"] == pytest.approx(0.5)
    assert languages["de"]["samples_f1"]["value"] == pytest.approx((2 / 3 + 1) / 2, 1e-6)
    # Other: gold on docs 2 and 4, predicted on doc 4 only
    assert narr["per_label"]["Other"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": 0.666667,
        "support": 2,
        "predicted": 1,
    }


def test_subnarrative_level_counts_bare_narratives_as_narrative_other(report):
    subs = report["levels"]["subnarratives"]
    # doc1: 1; doc2: gold {Other} pred {CC.hoax.Other}: 0; doc3: 0; doc4: {Other} = {Other}: 1
    assert subs["overall"]["samples_f1"]["value"] == pytest.approx(0.5)
    assert subs["per_label"]["CC.hoax.Other"]["predicted"] == 2


def test_group_of_one_is_flagged_and_has_a_degenerate_interval(report):
    countries = report["levels"]["narratives"]["groups"]["country"]
    assert countries["AT"] == {
        "n": 1,
        "low_support": True,
        "samples_f1": {"value": 1.0, "low": 1.0, "high": 1.0},
        "micro_f1": {"value": 1.0, "low": 1.0, "high": 1.0},
        "macro_f1": {"value": 1.0, "low": 1.0, "high": 1.0},
    }
    assert countries["GB"]["low_support"] is False and countries["GB"]["n"] == 2
    assert set(report["levels"]["narratives"]["groups"]["language_country"]) == {
        "en/GB",
        "de/DE",
        "de/AT",
    }


def test_worst_group_and_gap_skip_low_support_groups(report):
    view = report["levels"]["narratives"]["bias"]["language"]["samples_f1"]
    assert view["worst"]["group"] == "en" and view["best"]["group"] == "de"
    assert view["gap"]["value"] == pytest.approx((2 / 3 + 1) / 2 - 0.5, 1e-6)
    # Only GB has two documents among the countries: no gap can be claimed.
    country_view = report["levels"]["narratives"]["bias"]["country"]["samples_f1"]
    assert country_view == {"note": "fewer than two groups with enough support", "groups": 1}


def test_false_positive_rate_on_other_per_country(report):
    fpr = report["other_false_positives"]
    assert fpr["documents"] == 2
    assert fpr["overall"]["false_positives"] == 1 and fpr["overall"]["value"] == 0.5
    assert fpr["country"]["GB"]["value"] == 1.0 and fpr["country"]["AT"]["value"] == 0.0
    assert fpr["language"]["en"]["n"] == 1


def test_all_empty_predictions_score_zero_except_other(taxonomy):
    silent = FixedPredictor(taxonomy, rule=lambda _: ([], []))
    out = evaluate(silent, TINY, "tiny", SMALL, min_support=1)["levels"]["narratives"]
    # Only docs 2 and 4 (gold Other) are right.
    assert out["overall"]["samples_f1"]["value"] == pytest.approx(0.5)
    assert out["per_label"]["CC.hoax"]["predicted"] == 0
    assert out["per_label"]["CC.hoax"]["f1"] == 0.0


def test_bootstrap_is_seeded_and_matches_a_loop_over_resamples():
    rng = np.random.default_rng(0)
    truth, pred = rng.random((30, 5)) > 0.6, rng.random((30, 5)) > 0.5
    counts = DocCounts.of(truth, pred)
    weights = resample_weights(30, Settings(resamples=50, seed=3))
    vectorised = headline(counts, weights)
    for b in range(50):
        rows = np.repeat(np.arange(30), weights[b].astype(int))
        by_loop = summary(truth[rows], pred[rows])
        for metric in ("samples_f1", "micro_f1", "macro_f1"):
            assert vectorised[metric][b] == pytest.approx(by_loop[metric])
    again = resample_weights(30, Settings(resamples=50, seed=3))
    assert np.array_equal(weights, again)
    assert not np.array_equal(weights, resample_weights(30, Settings(resamples=50, seed=4)))
    assert (weights.sum(axis=1) == 30).all()


def test_report_is_deterministic_under_a_seed(taxonomy):
    predictor = FixedPredictor(taxonomy, TINY_ANSWERS)
    first = evaluate(predictor, TINY, "tiny", SMALL)
    second = evaluate(predictor, TINY, "tiny", SMALL)
    first.pop("created"), second.pop("created")
    assert first == second


def test_reliability_by_hand():
    scores = np.array([0.95, 0.95, 0.15, 0.15])
    gold = np.array([1, 0, 0, 0])
    out = reliability(scores, gold)
    # bin 9: mean 0.95, observed 0.5; bin 1: mean 0.15, observed 0 -> ECE = .5*.45 + .5*.15
    assert out["ece"] == pytest.approx(0.5 * 0.45 + 0.5 * 0.15)
    assert [b["count"] for b in out["bins"]] == [2, 2]


def test_calibration_covers_narratives_and_other_only(report):
    calibration = report["calibration"]
    # 4 documents x 4 narrative-level labels (Other + 3 narratives); the subnarrative is left out
    assert calibration["overall"]["forecasts"] == 16
    assert set(calibration["per_language"]) == {"en", "de"}


NAMES = NameSets(
    ("RU", "UA"),
    {
        "en": {"RU": ["Russia", "Moscow"], "UA": ["Ukraine", "Kyiv"]},
        "zh": {"RU": ["俄罗斯"], "UA": ["乌克兰"]},
    },
)


def test_swap_exchanges_aligned_forms_in_one_pass():
    text = "Moscow says Russia helps Ukraine; Russians and Kyivans disagree."
    assert (
        NAMES.swap(text, "en", "RU", "UA")
        == "Kyiv says Ukraine helps Russia; Russians and Kyivans disagree."
    )
    assert NAMES.swap("俄罗斯和乌克兰", "zh", "RU", "UA") == "乌克兰和俄罗斯"
    assert NAMES.swap("Nothing here.", "en", "RU", "UA") is None
    belarus = NameSets(NAMES.countries, NAMES.names, {"zh": ["白俄罗斯"]})
    assert belarus.swap("白俄罗斯和俄罗斯", "zh", "RU", "UA") == "白俄罗斯和乌克兰"
    assert belarus.swap("白俄罗斯", "zh", "RU", "UA") is None
    assert NAMES.swap("Russia", "fr", "RU", "UA") is None  # no names for that language


def test_counterfactual_probe_catches_a_model_that_keys_on_a_country_name(taxonomy):
    docs = [
        _doc(i, "en", text=f"Report {i}: Russia and the talks.", country="RU") for i in range(6)
    ] + [_doc(9, "en", text="Weather report.", country="GB")]
    biased = FixedPredictor(
        taxonomy, rule=lambda t: (["URW.blame_west"], []) if "Russia" in t else ([], [])
    )
    report = evaluate(biased, docs, "probe", SMALL, names=NAMES)
    probe = report["counterfactual"]
    assert probe["probed_documents"] == 6 and probe["variants"] == 6
    assert probe["flip_rate"]["value"] == 1.0
    assert probe["per_pair"]["RU<->UA"]["flipped"] == 6
    assert probe["per_label"]["URW.blame_west"] == {"added": 0, "removed": 6, "flip_rate": 1.0}
    example = probe["examples"][0]
    assert example["before"] == ["URW.blame_west"] and example["after"] == []
    assert "Ukraine" in example["swapped"] and "Russia" in example["original"]

    blind = FixedPredictor(
        taxonomy, rule=lambda t: (["URW.blame_west"], []) if "talks" in t else ([], [])
    )
    assert (
        evaluate(blind, docs, "probe", SMALL, names=NAMES)["counterfactual"]["flip_rate"]["value"]
        == 0.0
    )


def test_name_sets_refuse_misaligned_forms(tmp_path):
    path = tmp_path / "names.yaml"
    path.write_text(
        "countries: [RU, UA]\nnames:\n  en:\n    RU: [Russia, Moscow]\n    UA: [Ukraine]\n"
    )
    with pytest.raises(DataError, match="same number of name forms"):
        NameSets.load(path)


def test_bundled_country_names_load():
    names = NameSets.load()
    assert {"en", "ru", "uk", "zh", "ar"} <= set(names.names)
    assert len(names.pairs()) >= 1


def _many_docs():
    docs = []
    for lang in ("en", "de", "fr"):
        for i in range(20):
            narratives = ["CC.hoax"] if i % 2 else []
            docs.append(_doc(f"{lang}{i}", lang, narratives, text=f"{lang} text {i}"))
    return docs


def test_compare_flags_the_language_where_a_model_was_degraded(taxonomy):
    docs = _many_docs()
    gold = {d.text: (list(d.narratives), []) for d in docs}
    good = FixedPredictor(taxonomy, gold)
    degraded = FixedPredictor(
        taxonomy,
        rule=lambda t: (["URW.aid_futile"], []) if t.startswith("de") else gold[t],
    )
    runs = run_model(good, docs), run_model(degraded, docs)
    report = compare(docs, *runs, "many", SMALL, min_support=5)
    by_language = report["levels"]["narratives"]["language"]
    assert by_language["de"]["samples_f1"]["verdict"] == WORSE
    assert by_language["de"]["samples_f1"]["delta"]["value"] == pytest.approx(-1.0)
    assert by_language["en"]["samples_f1"]["verdict"] == SAME
    assert by_language["fr"]["samples_f1"]["verdict"] == SAME
    assert {(r["dimension"], r["group"]) for r in regressions(report)} == {
        ("overall", "all"),
        ("language", "de"),
        ("country", "unknown"),
        ("source_type", "unknown"),
    }
    reverse = compare(docs, *reversed(runs), "many", SMALL, min_support=5)
    assert reverse["levels"]["narratives"]["language"]["de"]["samples_f1"]["verdict"] == BETTER


def test_semeval_file_round_trip_and_scoring(report, taxonomy, tmp_path):
    paths = write_report(report, tmp_path, taxonomy)
    lines = paths["predictions"].read_text().splitlines()
    hoax = "CC: Climate change is a hoax or exaggerated"
    assert lines[1] == f"2\t{hoax}\t{hoax}: Other"
    assert lines[3] == "4\tOther\tOther"
    found = read_predictions(paths["predictions"], taxonomy)
    assert found["1"] == (("CC.hoax",), ("CC.hoax.natural_cycles",))
    scored = report_for_run(
        run_from_file(paths["predictions"], TINY, taxonomy), TINY, "tiny", SMALL, 2
    )
    for level in ("narratives", "subnarratives"):
        assert scored["levels"][level]["groups"] == report["levels"][level]["groups"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("1\tOther\n", "expected 3 tab-separated columns, found 2"),
        ("1\tNo such narrative\tOther\n", "unknown label 'No such narrative'"),
        ("1\tOther\tOther\n1\tOther\tOther\n", "appears twice"),
    ],
)
def test_bad_prediction_files_are_located(tmp_path, taxonomy, content, message):
    path = tmp_path / "bad.tsv"
    path.write_text(content)
    with pytest.raises(DataError, match=message) as info:
        read_predictions(path, taxonomy)
    assert info.value.line is not None


def test_missing_predictions_are_named(tmp_path, taxonomy):
    path = write_predictions(tmp_path / "p.tsv", ["1"], [[]], [[]], taxonomy)
    with pytest.raises(DataError, match="no prediction for 3 of 4 documents"):
        run_from_file(path, TINY, taxonomy)


def test_every_format_shows_the_same_numbers(report, tmp_path, taxonomy):
    paths = write_report(report, tmp_path, taxonomy)
    assert json.loads(paths["json"].read_text()) == report
    markdown, page = paths["md"].read_text(), paths["html"].read_text()
    assert markdown == render_markdown(report) and page == render_html(report)
    for body in report["levels"].values():
        for metric in ("samples_f1", "micro_f1", "macro_f1"):
            figure = fmt(body["overall"][metric])
            assert figure in markdown and f"<td>{figure}</td>" in page
    assert "zero_division=0" in markdown and page.count("<svg") >= 4
