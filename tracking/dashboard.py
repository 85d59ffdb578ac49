"""The tracking dashboard: one self-contained HTML file (data inline, no network, no libraries).

Line charts of each narrative's prevalence with its 95% interval, for everything or one language,
country or source type (the filters), spikes marked on the lines and listed with example
documents, top movers, talking-point matches and emerging clusters.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from narrascope.html import table as html_table
from narrascope.tracking.trends import SPIKE_RULE

EXAMPLES_PER_SPIKE = 2

SCRIPT = (Path(__file__).parent / "dashboard.js").read_text(encoding="utf-8")

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}
th{background:#f3f3f3} .chart{display:inline-block;margin:.3rem} figcaption{font-size:.8rem}
p.note{color:#555;max-width:60rem}
"""


def render(prev: pd.DataFrame, spikes: pd.DataFrame, movers: pd.DataFrame, predictions, extra):
    """`extra`: {"model": ..., "source": ..., "bucket": "day" | "week" | "month", "clusters": [...],
    "matches": [...]}; the bucket names the time column in the tables."""
    period = extra.get("bucket", "week")
    buckets = sorted(prev["bucket"].unique())
    data = {"buckets": buckets, "series": _series(prev, buckets), "spikes": _spike_rows(spikes)}
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>narrascope tracking</title><style>{STYLE}</style></head><body>",
        "<h1>Narrative tracking</h1>",
        f"<p>Model {esc(str(extra.get('model')))}; data {esc(str(extra.get('source')))}; "
        f"{int(prev[prev['dimension'] == 'all'].groupby('bucket')['documents'].first().sum())} "
        f"dated documents in {len(buckets)} buckets.</p>",
        "<h2>Prevalence over time</h2>",
        "<p class='note'>Share of documents carrying each narrative, with its 95% Wilson "
        "interval; red dots are spikes.</p>",
        "<label>View <select id='dimension'>"
        + "".join(f"<option>{d}</option>" for d in data["series"])
        + "</select></label> <label>Group <select id='group'></select></label>",
        "<div id='charts'></div>",
        "<h2>Spikes</h2>",
        f"<p class='note'>Rule: {esc(_rule_text())}</p>",
        html_table(
            [
                period,
                "view",
                "group",
                "narrative",
                "count / docs",
                "prevalence",
                "baseline",
                "examples",
            ],
            [
                [
                    r["bucket"],
                    r["dimension"],
                    r["group"],
                    r["narrative"],
                    f"{r['count']} / {r['documents']}",
                    f"{r['prevalence']:.1%}",
                    f"{r['baseline']:.1%}",
                    _examples(predictions, r),
                ]
                for r in spikes.to_dict("records")
            ],
        ),
        "<h2>Top movers</h2>",
        html_table(
            [period, "narrative", "prevalence", "change"],
            [
                [r["bucket"], r["narrative"], f"{r['prevalence']:.1%}", f"{r['change']:+.1%}"]
                for r in movers.to_dict("records")
            ],
        ),
        "<h2>Talking points echoed</h2>",
        html_table(
            ["talking point", "documents", "languages", "example sentence", "score"],
            [
                [
                    m["talking_point"],
                    m["documents"],
                    m["languages"],
                    m["example"],
                    f"{m['score']:.3f}",
                ]
                for m in extra.get("matches", [])
            ],
        ),
        "<h2>Emerging clusters (documents no known narrative claims)</h2>",
        html_table(
            ["cluster", "size", "recent share", "first seen", "languages", "terms", "examples"],
            [
                [
                    c["cluster"],
                    c["size"],
                    f"{c['recent_share']:.0%}",
                    c["first_seen"],
                    ", ".join(f"{k} {v}" for k, v in c["languages"].items()),
                    ", ".join(c["terms"]),
                    " | ".join(f"[{e['lang']}] {e['text'][:140]}" for e in c["examples"]),
                ]
                for c in extra.get("clusters", [])
            ],
        ),
        *_coordination_section(extra.get("coordination", [])),
        f"<script type='application/json' id='data'>{_json_for_html(data)}</script>",
        f"<script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts)


def _coordination_section(found: list[dict]) -> list[str]:
    rule = found[0]["rule"] if found else None
    note = (
        f"Near-duplicate posts (estimated Jaccard >= {rule['threshold']}) from different "
        f"accounts within {rule['window_hours']:g} hours, at least {rule['min_accounts']} "
        "accounts; one account repeating itself does not count."
        if rule
        else "No near-duplicate posts from different accounts close in time."
    )
    return [
        "<h2>Coordinated behaviour</h2>",
        f"<p class='note'>{html.escape(note)}</p>",
        html_table(
            [
                "cluster",
                "accounts",
                "posts",
                "first seen",
                "span (h)",
                "burstiness",
                "languages",
                "narratives",
                "examples",
            ],
            [
                [
                    c["cluster"],
                    f"{c['accounts_count']}: " + ", ".join(list(c["accounts"])[:8]),
                    c["size"],
                    c["first_seen"],
                    c["span_hours"],
                    f"{c['burstiness']:.2f}",
                    ", ".join(f"{k} {v}" for k, v in c["languages"].items()),
                    ", ".join(f"{k} {v}" for k, v in c["narratives"].items()),
                    " | ".join(f"{e['account']}: {e['text'][:140]}" for e in c["examples"]),
                ]
                for c in found
            ],
        ),
    ]


def _series(prev: pd.DataFrame, buckets: list[str]) -> dict:
    out: dict = {}
    position = {b: i for i, b in enumerate(buckets)}
    for (dimension, group, narrative), rows in prev.groupby(["dimension", "group", "narrative"]):
        arrays = {k: [0.0] * len(buckets) for k in ("prevalence", "low", "high")}
        for row in rows.itertuples():
            i = position[row.bucket]
            arrays["prevalence"][i] = round(row.prevalence, 4)
            arrays["low"][i], arrays["high"][i] = round(row.low, 4), round(row.high, 4)
        out.setdefault(dimension, {}).setdefault(group, {})[narrative] = arrays
    return out


def _spike_rows(spikes: pd.DataFrame) -> list[dict]:
    return spikes[["bucket", "dimension", "group", "narrative"]].to_dict("records")


def _examples(predictions: pd.DataFrame, spike: dict) -> str:
    rows = predictions[
        (predictions["bucket"] == spike["bucket"])
        & predictions["narratives"].map(lambda n: spike["narrative"] in n)
    ]
    column = {"language": "lang", "country": "country", "source_type": "source_type"}
    if spike["dimension"] in column:
        rows = rows[rows[column[spike["dimension"]]] == spike["group"]]
    distinct = rows.drop_duplicates("text").head(EXAMPLES_PER_SPIKE)
    return " | ".join(f"{r.id}: {r.text[:120]}" for r in distinct.itertuples())


def _rule_text() -> str:
    r = SPIKE_RULE
    return (
        f"at least {r['min_count']} documents, the interval's lower end above the mean of the "
        f"previous {r['window']} buckets plus {r['sigmas']:.0f} standard deviations, and at "
        f"least {r['ratio']:.0f}x that mean."
    )


def _json_for_html(data) -> str:
    # Inside <script>, "</" would end the element: escape it.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
