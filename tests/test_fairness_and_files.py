"""The fairlearn figures on the Other-vs-narrative decision, and the one file/JSONL module."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from narrascope.errors import DataError
from narrascope.eval.groups import other_decision_disparity
from narrascope.files import atomic_path, parse_jsonl, read_jsonl, write_json, write_jsonl


def _rates(gold_other, predicted_other):
    negatives = gold_other
    positives = ~gold_other
    fpr = (~predicted_other & negatives).sum() / negatives.sum()
    tpr = (~predicted_other & positives).sum() / positives.sum()
    return fpr, tpr


def test_decision_gaps_by_hand():
    # RU: 6 news (3 flagged), 6 propaganda (6 caught); UA: 6 news (1 flagged), 6 propaganda (3).
    gold_other = np.array([True] * 6 + [False] * 6 + [True] * 6 + [False] * 6)
    flagged = np.array([1, 1, 1, 0, 0, 0] + [1] * 6 + [1, 0, 0, 0, 0, 0] + [1, 1, 1, 0, 0, 0])
    predicted_other = ~flagged.astype(bool)
    groups = pd.Series(["RU"] * 12 + ["UA"] * 12)
    gaps = other_decision_disparity(gold_other, predicted_other, groups, min_support=5)
    ru = _rates(gold_other[:12], predicted_other[:12])
    ua = _rates(gold_other[12:], predicted_other[12:])
    fpr, odds = gaps["false_positive_rate"], gaps["equalized_odds"]
    assert fpr["difference"] == pytest.approx(abs(ru[0] - ua[0]), abs=1e-6)  # 1/3
    assert fpr["highest"] == {"group": "RU", "value": 0.5} and fpr["lowest"]["group"] == "UA"
    assert odds["true_positive_rate_difference"] == pytest.approx(abs(ru[1] - ua[1]), abs=1e-6)
    assert odds["difference"] == pytest.approx(0.5)  # max(1/3, 1/2)
    assert fpr["groups"] == odds["groups"] == ["RU", "UA"]


def test_decision_gaps_leave_out_groups_without_enough_documents():
    # RU and UA: 6 news each, no propaganda; BY: one news item, flagged (FPR 1.0).
    gold_other = np.array([True] * 12 + [True, False])
    predicted_other = gold_other.copy()
    predicted_other[12] = False
    predicted_other[:2] = False  # RU flags 2 of 6 news: FPR 1/3; UA 0
    groups = pd.Series(["RU"] * 6 + ["UA"] * 6 + ["BY", "BY"])
    gaps = other_decision_disparity(gold_other, predicted_other, groups, min_support=5)
    assert gaps["false_positive_rate"]["groups"] == ["RU", "UA"]  # BY's one item left out
    assert gaps["false_positive_rate"]["difference"] == pytest.approx(1 / 3, abs=1e-6)
    assert "note" in gaps["equalized_odds"]  # nobody has 5 propaganda documents


def test_atomic_write_leaves_the_old_file_on_error(tmp_path):
    target = tmp_path / "aliases.json"
    write_json(target, {"production": "v1"})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("{half", encoding="utf-8")
        raise RuntimeError("crash mid-write")
    assert json.loads(target.read_text(encoding="utf-8")) == {"production": "v1"}
    assert [p.name for p in tmp_path.iterdir()] == ["aliases.json"]  # no temporary left over


def test_jsonl_round_trip_and_located_errors(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "é", "n": 1}, {"id": "b"}])
    assert [row for _, row in read_jsonl(path)] == [{"id": "é", "n": 1}, {"id": "b"}]
    rows = list(parse_jsonl(['{"id": 1}', "", "[1]", "{bad"], "x.jsonl"))
    assert [n for n, _ in rows] == [1, 3, 4]  # real line numbers: the blank line counts
    assert isinstance(rows[1][1], DataError) and "JSON object" in str(rows[1][1])
    (tmp_path / "b.jsonl").write_text('{"id": 1}\n\n{bad\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"b.jsonl:3: malformed JSON"):
        list(read_jsonl(tmp_path / "b.jsonl"))
    (tmp_path / "c.jsonl").write_bytes(b'{"id": 1}\n{"id": "\xff"}\n')
    with pytest.raises(DataError, match=r"c.jsonl:2: invalid UTF-8"):
        list(read_jsonl(tmp_path / "c.jsonl"))
