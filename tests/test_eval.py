"""Evaluation reports: hand-computed figures per language, JSON and Markdown agree."""

from __future__ import annotations

import json

import pytest

from eval.report import evaluate, write_report
from narrascope.predictor import LabelScore, Prediction
from narrascope.schema import Document


class FixedPredictor:
    """Returns pre-set labels per text: the evaluation arithmetic is tested, not a model."""

    version = "v-test"
    manifest = {"model_id": "fixed", "family": "fixed"}

    def __init__(self, answers: dict[str, tuple[list[str], list[str]]]):
        self.answers = answers

    def predict(self, texts, langs=None, threshold=None):
        return [
            Prediction(
                lang or "und",
                1.0,
                [_ls(n) for n in self.answers[t][0]],
                [_ls(s) for s in self.answers[t][1]],
            )
            for t, lang in zip(texts, langs)
        ]


def _ls(label):
    return LabelScore(label, label, 0.9, 0.5)


def _doc(i, lang, narratives=(), subs=()):
    return Document(
        id=str(i), text=f"text {i}", lang=lang, narratives=narratives, subnarratives=subs
    )


@pytest.fixture
def report():
    docs = [
        _doc(1, "en", ["CC.hoax"], ["CC.hoax.natural_cycles"]),
        _doc(2, "en"),
        _doc(
            3,
            "de",
            ["CC.hoax", "URW.aid_futile"],
            ["CC.hoax.natural_cycles", "URW.aid_futile.cost_to_citizens"],
        ),
    ]
    answers = {
        "text 1": (["CC.hoax"], ["CC.hoax.natural_cycles"]),  # perfect
        "text 2": (["CC.hoax"], []),  # false positive on Other
        "text 3": (["CC.hoax"], []),  # half the narratives, no subs
    }
    return evaluate(FixedPredictor(answers), docs, data_name="tiny")


def test_narrative_level_by_hand(report):
    narr = report["levels"]["narratives"]
    # doc1 F1=1; doc2 gold {Other} pred {CC.hoax}: 0; doc3 gold 2, pred 1, tp 1: 2/3
    assert narr["overall"]["samples_f1"] == pytest.approx((1 + 0 + 2 / 3) / 3)
    assert narr["per_language"]["en"]["samples_f1"] == pytest.approx(0.5)
    assert narr["per_language"]["de"]["samples_f1"] == pytest.approx(2 / 3)
    assert narr["per_label"]["Other"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 1,
        "predicted": 0,
    }
    assert narr["per_label"]["CC.hoax"]["precision"] == pytest.approx(2 / 3)


def test_subnarrative_level_counts_bare_narratives_as_narrative_other(report):
    subs = report["levels"]["subnarratives"]
    # doc1: 1; doc2: gold {Other} pred {CC.hoax.Other}: 0;
    # doc3: gold {natural_cycles, cost_to_citizens} pred {CC.hoax.Other}: 0
    assert subs["overall"]["samples_f1"] == pytest.approx(1 / 3)
    assert subs["per_label"]["CC.hoax.Other"]["predicted"] == 2


def test_written_formats_agree(report, tmp_path):
    paths = write_report(report, tmp_path)
    assert json.loads(paths["json"].read_text()) == report
    markdown = paths["md"].read_text()
    assert "| en | 2 | 0.500 |" in markdown and "| de | 1 | 0.667 |" in markdown
    assert "zero_division=0" in markdown
