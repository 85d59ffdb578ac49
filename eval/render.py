"""Render report.json as Markdown and as one self-contained HTML page.

Both formats are built from the same list of tables (`tables(report)`), so a figure cannot differ
between them; the HTML adds plots (inline SVG, no external files): per-group bars with their
intervals, reliability curves per language and a heat map of the most confused label pairs.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field

from narrascope.eval.groups import DIMENSIONS
from narrascope.html import table as html_table
from narrascope.markdown import table as markdown_table
from narrascope.metrics import HEADLINE

METRIC_NAMES = {"samples_f1": "samples-F1", "micro_f1": "micro-F1", "macro_f1": "macro-F1"}
LOW = "low support"


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    plot: str = ""  # name of the plot drawn under this table in HTML
    level: int = 2


@dataclass
class Page:
    title: str
    intro: list[str]
    tables: list[Table] = field(default_factory=list)


def fmt(figure: dict) -> str:
    return f"{figure['value']:.3f} [{figure['low']:.3f}, {figure['high']:.3f}]"


def tables(report: dict) -> Page:
    model, data, settings = report["model"], report["data"], report["settings"]
    page = Page(
        f"Evaluation: {model['version']} ({model['family']}, {model['model_id']})",
        [
            f"Data: `{data['name']}`, {data['documents']} documents. Created {report['created']}.",
            f"Convention: {report['convention']}",
            f"Intervals: {settings['confidence']:.0%}, {settings['resamples']} bootstrap "
            f"resamples, seed {settings['seed']}. Groups with fewer than "
            f"{settings['min_support']} documents are flagged '{LOW}' and left out of the "
            "worst-group and gap figures.",
        ],
    )
    page.tables.append(_headline(report))
    page.tables.append(_bias(report))
    page.tables += [_groups(report, d) for d in DIMENSIONS]
    page.tables.append(_false_positives(report["other_false_positives"]))
    if "between_groups" in report["other_false_positives"]:
        page.tables.append(_decision_gaps(report["other_false_positives"]["between_groups"]))
    if "calibration" in report:
        page.tables.append(_calibration(report["calibration"]))
    if "counterfactual" in report:
        page.tables += _counterfactual(report["counterfactual"])
    for level, body in report["levels"].items():
        page.tables.append(_confusions(level, body["confusions"]))
        page.tables.append(_per_label(level, body["per_label"]))
    return page


def _headline(report: dict) -> Table:
    rows = [
        [level, str(body["overall"]["n"])] + [fmt(body["overall"][m]) for m in HEADLINE]
        for level, body in report["levels"].items()
    ]
    return Table("Headline", ["level", "n"] + list(METRIC_NAMES.values()), rows)


def _bias(report: dict) -> Table:
    rows = []
    for level, body in report["levels"].items():
        for dimension, by_metric in body["bias"].items():
            for metric, view in by_metric.items():
                if "note" in view:
                    rows.append([level, dimension, METRIC_NAMES[metric], view["note"], "", ""])
                    continue
                rows.append(
                    [
                        level,
                        dimension,
                        METRIC_NAMES[metric],
                        f"{view['worst']['group']}: {fmt(view['worst'])}",
                        f"{view['best']['group']}: {fmt(view['best'])}",
                        fmt(view["gap"]),
                    ]
                )
    return Table(
        "Worst group and largest gap",
        ["level", "dimension", "metric", "worst group", "best group", "gap"],
        rows,
    )


def _groups(report: dict, dimension: str) -> Table:
    levels = report["levels"]
    first = next(iter(levels.values()))["groups"][dimension]
    header = ["group", "n"] + [f"{lvl} {METRIC_NAMES[m]}" for lvl in levels for m in HEADLINE]
    rows = []
    for group in sorted(first):
        cells = [
            fmt(levels[lvl]["groups"][dimension][group][m]) for lvl in levels for m in HEADLINE
        ]
        flag = f" ({LOW})" if first[group]["low_support"] else ""
        rows.append([group + flag, str(first[group]["n"])] + cells)
    title = {
        "language": "By language",
        "country": "By source country",
        "source_type": "By source type",
        "language_country": "Country within language (language/country)",
    }[dimension]
    return Table(title, header, rows, plot=f"groups:{dimension}")


def _false_positives(fpr: dict) -> Table:
    rows = [["overall", "all", *_rate_cells(fpr["overall"])]]
    for dimension in ("language", "country"):
        rows += [[dimension, g, *_rate_cells(f)] for g, f in sorted(fpr[dimension].items())]
    return Table(
        "False positives on ordinary news (gold Other)",
        ["dimension", "group", "n", "flagged", "rate", "flag"],
        rows,
        note=f"{fpr['documents']} documents carry no narrative; 'rate' is the share the model "
        "flagged with a narrative. A high rate for one country means its ordinary news is "
        "over-flagged, whatever the F1.",
    )


def _decision_gaps(between: dict) -> Table:
    rows = []
    for dimension, gaps in between.items():
        fpr, odds = gaps["false_positive_rate"], gaps["equalized_odds"]
        fpr_cells = (
            [fpr["note"], ""]
            if "note" in fpr
            else [
                f"{fpr['difference']:.3f}",
                f"{fpr['highest']['group']} {fpr['highest']['value']:.3f} / "
                f"{fpr['lowest']['group']} {fpr['lowest']['value']:.3f}",
            ]
        )
        odds_cell = odds["note"] if "note" in odds else f"{odds['difference']:.3f}"
        rows.append([dimension, ", ".join(fpr["groups"]), *fpr_cells, odds_cell])
    return Table(
        "Between-group gaps on the Other-vs-narrative decision",
        ["dimension", "groups", "FPR difference", "highest / lowest FPR", "equalized odds diff."],
        rows,
        note="The decision 'carries a narrative' per document (fairlearn MetricFrame). FPR is the "
        "share of ordinary news flagged as propaganda; its difference is the largest gap between "
        "groups with enough gold-Other documents. Equalized odds is the larger of the FPR and "
        "TPR gaps, over groups with enough documents on both sides.",
    )


def _rate_cells(figure: dict) -> list[str]:
    flag = LOW if figure["low_support"] else ""
    return [str(figure["n"]), str(figure["false_positives"]), fmt(figure), flag]


def _calibration(cal: dict) -> Table:
    rows = [["overall", str(cal["overall"]["forecasts"]), f"{cal['overall']['ece']:.3f}"]]
    rows += [
        [lang, str(c["forecasts"]), f"{c['ece']:.3f}"] for lang, c in cal["per_language"].items()
    ]
    return Table(
        "Calibration",
        ["language", "forecasts", "ECE"],
        rows,
        note=f"Forecasts: every (document, label) pair over {cal['labels']}; ECE over 10 "
        "equal-width bins (0 is perfect).",
        plot="reliability",
    )


def _counterfactual(cf: dict) -> list[Table]:
    pairs = [[pair, str(f["n"]), str(f["flipped"]), fmt(f)] for pair, f in cf["per_pair"].items()]
    overall = cf["flip_rate"]
    summary = Table(
        "Country-name counterfactual probe",
        ["country pair", "swapped texts", "flipped", "flip rate"],
        [["all pairs", str(overall["n"]), str(overall["flipped"]), fmt(overall)], *pairs],
        note=f"{cf['probed_documents']} documents name a country of {', '.join(cf['countries'])} "
        f"(languages: {', '.join(cf['languages'])}); each is re-predicted with two countries' "
        "names swapped. A flip is any change of the narrative set.",
    )
    labels = Table(
        "Flips per narrative",
        ["narrative", "added by a swap", "removed by a swap", "flip rate"],
        [
            [lab, str(r["added"]), str(r["removed"]), f"{r['flip_rate']:.3f}"]
            for lab, r in sorted(cf["per_label"].items(), key=lambda kv: -kv[1]["flip_rate"])
        ],
        level=3,
    )
    examples = Table(
        "Flipped examples",
        ["id", "pair", "before", "after", "original", "swapped"],
        [
            [
                e["id"],
                e["pair"],
                ", ".join(e["before"]),
                ", ".join(e["after"]),
                e["original"],
                e["swapped"],
            ]
            for e in cf["examples"]
        ],
        level=3,
    )
    return [summary, labels, examples]


def _confusions(level: str, pairs: list[dict]) -> Table:
    return Table(
        f"Most confused label pairs ({level})",
        ["gold label missed", "label predicted instead", "documents"],
        [[p["gold"], p["predicted"], str(p["documents"])] for p in pairs],
        plot=f"confusions:{level}",
    )


def _per_label(level: str, rows: dict) -> Table:
    return Table(
        f"Per label ({level})",
        ["label", "precision", "recall", "F1", "support", "predicted"],
        [
            [
                lab,
                f"{s['precision']:.3f}",
                f"{s['recall']:.3f}",
                f"{s['f1']:.3f}",
                str(s["support"]),
                str(s["predicted"]),
            ]
            for lab, s in rows.items()
        ],
    )


# -- Markdown --------------------------------------------------------------------------------------
def render_markdown(report: dict) -> str:
    return page_markdown(tables(report))


def page_markdown(page: Page) -> str:
    lines = [f"# {page.title}", ""]
    for paragraph in page.intro:
        lines += [paragraph, ""]
    for table in page.tables:
        lines += ["#" * table.level + f" {table.title}", ""]
        if table.note:
            lines += [table.note, ""]
        if not table.rows:
            lines += ["(none)", ""]
            continue
        lines += [markdown_table(table.header, table.rows), ""]
    return "\n".join(lines)


# -- HTML ------------------------------------------------------------------------------------------
STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3} p.note{color:#555;max-width:60rem} figure{margin:0 0 2rem}
"""


def render_html(report: dict) -> str:
    page = tables(report)
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(page.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{esc(page.title)}</h1>",
    ]
    parts += [f"<p>{esc(p)}</p>" for p in page.intro]
    for table in page.tables:
        anchor = table.title.lower().replace(" ", "-")
        parts.append(f'<h{table.level} id="{esc(anchor)}">{esc(table.title)}</h{table.level}>')
        if table.note:
            parts.append(f'<p class="note">{esc(table.note)}</p>')
        parts.append(html_table(table.header, table.rows, table.title))
        if table.plot:
            parts.append(_plot(report, table.plot))
    parts.append("</body></html>")
    return "\n".join(parts)


def _plot(report: dict, name: str) -> str:
    kind, _, arg = name.partition(":")
    draw = {"groups": _group_bars, "reliability": _reliability, "confusions": _heat_map}[kind]
    figure = draw(report, arg)
    if figure is None:
        return ""
    return f"<figure>{_svg(figure)}</figure>"


def _svg(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prologue: the SVG sits inside HTML


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "narrascope"})
    import matplotlib.pyplot as plt

    return plt


def _group_bars(report: dict, dimension: str):
    """samples-F1 per group with its interval, one bar colour per level."""
    plt = _pyplot()
    levels = report["levels"]
    groups = sorted(next(iter(levels.values()))["groups"][dimension])
    if not groups:
        return None
    figure, axes = plt.subplots(figsize=(max(6.0, 0.35 * len(groups) * len(levels)), 3.2))
    width = 0.8 / len(levels)
    for k, (level, body) in enumerate(levels.items()):
        figs = [body["groups"][dimension][g]["samples_f1"] for g in groups]
        values = [f["value"] for f in figs]
        errors = [
            [f["value"] - f["low"] for f in figs],
            [f["high"] - f["value"] for f in figs],
        ]
        positions = [i + k * width for i in range(len(groups))]
        axes.bar(positions, values, width, yerr=errors, capsize=2, label=level)
    axes.set_xticks([i + width * (len(levels) - 1) / 2 for i in range(len(groups))])
    axes.set_xticklabels(groups, rotation=60 if len(groups) > 8 else 0, fontsize=7)
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("samples-F1")
    axes.set_title(f"samples-F1 by {dimension} (bars: {report['settings']['confidence']:.0%} CI)")
    axes.legend(fontsize=7)
    return figure


def _reliability(report: dict, _: str):
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(5, 4.5))
    axes.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=1, label="perfect")
    for lang, cal in report["calibration"]["per_language"].items():
        bins = cal["bins"]
        axes.plot(
            [b["mean_score"] for b in bins],
            [b["observed"] for b in bins],
            marker="o",
            markersize=3,
            label=f"{lang} (ECE {cal['ece']:.3f})",
        )
    axes.set_xlabel("mean predicted score")
    axes.set_ylabel("observed frequency")
    axes.set_title("Reliability per language")
    axes.legend(fontsize=7)
    return figure


def _heat_map(report: dict, level: str):
    pairs = report["levels"][level]["confusions"]
    if not pairs:
        return None
    plt = _pyplot()
    gold = sorted({p["gold"] for p in pairs})
    predicted = sorted({p["predicted"] for p in pairs})
    grid = [[0] * len(predicted) for _ in gold]
    for p in pairs:
        grid[gold.index(p["gold"])][predicted.index(p["predicted"])] = p["documents"]
    figure, axes = plt.subplots(figsize=(1.2 + 0.45 * len(predicted), 1.0 + 0.35 * len(gold)))
    image = axes.imshow(grid, cmap="Reds", aspect="auto")
    axes.set_xticks(range(len(predicted)), predicted, rotation=60, ha="right", fontsize=7)
    axes.set_yticks(range(len(gold)), gold, fontsize=7)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value:
                axes.text(j, i, str(value), ha="center", va="center", fontsize=7)
    axes.set_xlabel("predicted instead")
    axes.set_ylabel("gold label missed")
    axes.set_title(f"Most confused pairs ({level})")
    figure.colorbar(image, ax=axes, shrink=0.8)
    return figure
