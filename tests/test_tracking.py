"""Narrative tracking: prevalence by hand, a planted spike, resume without duplicates, emerging
clusters, the dashboard, and the same scoring function on Dask."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from narrascope.tracking.dashboard import render
from narrascope.tracking.emerging import clusters
from narrascope.tracking.run import track
from narrascope.tracking.score import read_predictions, score_corpus
from narrascope.tracking.trends import add_buckets, movers, prevalence, spikes, wilson

MONDAY = dt.date(2026, 1, 5)


def _frame(rows):
    return add_buckets(pd.DataFrame(rows), "week")


def _row(week, lang, narratives=(), day=0, text="t"):
    return {
        "id": f"{week}-{lang}-{len(narratives)}-{day}-{text}",
        "published": MONDAY + dt.timedelta(days=7 * week + day),
        "lang": lang,
        "country": "RU" if lang == "ru" else "DE",
        "source_type": "social",
        "narratives": list(narratives),
        "text": text,
    }


def test_prevalence_by_hand():
    rows = [
        _row(0, "ru", ["A"]),
        _row(0, "ru", ["A", "B"], day=6),  # Sunday: still week 0 (weeks start on Monday)
        _row(0, "ru"),
        _row(0, "de", ["B"]),
        _row(1, "ru", day=1),
    ]
    prev = prevalence(_frame(rows))
    ru = prev[(prev["dimension"] == "language") & (prev["group"] == "ru")].set_index(
        ["bucket", "narrative"]
    )
    assert ru.loc[("2026-01-05", "A"), ["count", "documents"]].tolist() == [2, 3]
    assert ru.loc[("2026-01-05", "B"), "prevalence"] == pytest.approx(1 / 3)
    assert ru.loc[("2026-01-05", "Other"), "count"] == 1
    assert ru.loc[("2026-01-12", "A"), ["count", "documents"]].tolist() == [0, 1]  # zeros kept
    everything = prev[prev["dimension"] == "all"].set_index(["bucket", "narrative"])
    assert everything.loc[("2026-01-05", "B"), ["count", "documents"]].tolist() == [2, 4]
    # scipy's Wilson score interval is the oracle (2 of 3: [0.2077, 0.9385]); ours uses
    # z = 1.96 where scipy uses 1.95996..., a difference below 1e-5
    expected = binomtest(2, 3).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson(np.array([2]), np.array([3]))
    assert (low[0], high[0]) == pytest.approx((expected.low, expected.high), abs=1e-5)
    assert ru.loc[("2026-01-05", "A"), ["low", "high"]].tolist() == pytest.approx([low[0], high[0]])


def test_planted_spike_is_flagged_and_flat_series_are_not():
    rows = []
    for week in range(10):
        for i in range(10):
            spiking = week == 7 and i < 6
            rows.append(_row(week, "ru", ["A"] if (i == 0 or spiking) else [], text=str(i)))
            rows.append(_row(week, "de", ["A"] if i == 0 else [], text=str(i)))
    prev = prevalence(_frame(rows))
    found = spikes(prev)
    flagged = set(zip(found["bucket"], found["dimension"], found["group"], found["narrative"]))
    week7 = str(MONDAY + dt.timedelta(weeks=7))
    assert (week7, "language", "ru", "A") in flagged
    assert not any(group == "de" for _, _, group, _ in flagged)
    assert {b for b, *_ in flagged} == {week7}
    top = movers(prev)
    assert top[top["bucket"] == week7].iloc[0]["narrative"] == "A"


def test_resuming_an_interrupted_run_adds_no_duplicates(artifact, tmp_path, root):
    from narrascope.predictor import Predictor

    lines = (root / "data/corpus/test.jsonl").read_text().splitlines()[:40]
    source = tmp_path / "docs.jsonl"
    source.write_text("\n".join(lines[:25]) + "\n")  # the run "stopped" after 25 documents
    predictor = Predictor(artifact)
    first = score_corpus(predictor, source, tmp_path / "out", batch_size=10)
    assert first["scored"] == 25 and first["parts"] == 3
    source.write_text("\n".join(lines) + "\n")
    second = score_corpus(predictor, source, tmp_path / "out", batch_size=10)
    assert (second["skipped"], second["scored"]) == (25, 15)
    ids = read_predictions(tmp_path / "out", columns=["id"])["id"]
    assert len(ids) == 40 and ids.is_unique
    again = score_corpus(predictor, source, tmp_path / "out", batch_size=10)
    assert again["scored"] == 0


def _bag_of_words(texts):
    """A stand-in embedding: word counts hashed to 64 dimensions (deterministic, instant)."""
    out = np.zeros((len(texts), 64))
    for row, text in enumerate(texts):
        for word in text.lower().split():
            out[row, hash(word) % 64] += 1
    return out


def test_planted_new_narrative_clusters_apart_and_grows():
    rows = []
    for week in range(8):
        for i in range(6):  # steady ordinary news, on varied topics
            topic = ["budget school road", "football match league", "storm rain flood"][i % 3]
            rows.append(_row(week, "en", text=f"{topic} report {week} {i}"))
    for week in range(5, 8):
        for i in range(2 * (week - 4)):  # a new campaign, growing
            rows.append(
                _row(week, "en", day=i % 7, text=f"secret pathogen laboratory pentagon birds {i}")
            )
    found = clusters(_frame(rows), _bag_of_words, min_cluster_size=5)
    campaign = found[0]  # largest recent share first
    # 12 campaign posts in weeks 5-7; "recent" is the last quarter of the 8 weeks (6 and 7)
    assert campaign["size"] == 12 and campaign["recent_share"] == pytest.approx(10 / 12, abs=1e-3)
    assert campaign["first_seen"] == "2026-02-09"
    assert "pathogen" in campaign["terms"] or "laboratory" in campaign["terms"]
    assert all("pathogen" in e["text"] for e in campaign["examples"])
    assert all(c["recent_share"] <= 0.3 for c in found[1:])  # steady news: 2 of 8 weeks


def test_track_end_to_end_writes_outputs_and_dashboard(artifact, tmp_path, root):
    from narrascope.predictor import Predictor

    rows = [json.loads(line) for line in (root / "data/corpus/test.jsonl").read_text().splitlines()]
    source = tmp_path / "stream.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    summary = track(source, Predictor(artifact), tmp_path / "out", "month", embed=_bag_of_words)
    out = tmp_path / "out"
    assert summary["scored"] == 136 and summary["documents"] == 136
    for name in ("prevalence.csv", "spikes.csv", "movers.csv", "clusters.json", "summary.json"):
        assert (out / name).exists(), name
    page = (out / "dashboard.html").read_text()
    assert "<script type='application/json' id='data'>" in page and "URW.blame_west" in page
    data = json.loads(page.split("id='data'>")[1].split("</script>")[0])
    assert set(data["series"]) == {"all", "language", "country", "source_type"}


HOSTILE = "</script><b>x</b>"


def _hostile_extra(bucket: str = "week") -> dict:
    """Document text reaches the page through a cluster example and a talking-point match."""
    cluster = {
        "cluster": 1,
        "size": 2,
        "recent_share": 0.5,
        "first_seen": "2026-01-05",
        "languages": {"en": 2},
        "terms": ["x"],
        "examples": [{"lang": "en", "text": HOSTILE}],
    }
    match = {"talking_point": HOSTILE, "documents": 1, "languages": "en", "example": HOSTILE}
    return {"bucket": bucket, "clusters": [cluster], "matches": [{**match, "score": 0.9}]}


def test_dashboard_escapes_text():
    rows = [_row(0, "en", ["A"], text=HOSTILE), _row(1, "en", text="y")]
    frame = _frame(rows)
    prev = prevalence(frame)
    page = render(prev, spikes(prev), movers(prev), frame, _hostile_extra())
    assert HOSTILE not in page
    assert page.count("&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;") >= 3  # cluster, point, sentence


@pytest.mark.parametrize(("bucket", "days"), [("day", 1), ("week", 7), ("month", 31)])
def test_dashboard_names_the_bucket_it_was_run_with(bucket, days):
    rows = [_row(0, "en", ["A"] if k % 2 else [], day=k * days, text=str(k)) for k in range(4)]
    frame = add_buckets(pd.DataFrame(rows), bucket)
    prev = prevalence(frame)
    found_movers = movers(prev)
    assert len(found_movers)  # the top-movers table has rows, so its header is rendered
    page = render(prev, spikes(prev), found_movers, frame, _hostile_extra(bucket))
    headers = [h.split("</th>")[0] for h in page.split("<th>")[1:]]
    assert bucket in headers
    assert not ({"day", "week", "month"} - {bucket}) & set(headers)


def test_same_scores_on_dask_as_in_a_loop(registry_root, tmp_path, root):
    from narrascope.model_registry import Registry
    from narrascope.tracking.distributed import score_with_dask

    lines = (root / "data/corpus/test.jsonl").read_text().splitlines()
    files = []
    for k in range(3):
        path = tmp_path / f"shard{k}.jsonl"
        path.write_text("\n".join(lines[k::3]) + "\n")
        files.append(path)
    scored = score_with_dask(registry_root, "production", files, tmp_path / "dask")
    assert scored == len(lines)
    distributed = read_predictions(tmp_path / "dask").sort_values("id", ignore_index=True)
    whole = tmp_path / "all.jsonl"
    whole.write_text("\n".join(lines) + "\n")
    score_corpus(Registry(registry_root).load("production"), whole, tmp_path / "loop")
    local = read_predictions(tmp_path / "loop").sort_values("id", ignore_index=True)
    assert distributed["narratives"].map(list).tolist() == local["narratives"].map(list).tolist()
    assert np.allclose(distributed["other_score"], local["other_score"])
