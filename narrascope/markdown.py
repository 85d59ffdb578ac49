"""The one Markdown table writer: evaluation reports, model cards, data cards and benchmarks.

Cells are escaped (`|` would end the cell, a newline the row), so a label or an example text can
hold any character without breaking the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(header: Sequence, rows: Iterable[Sequence], align: str = "") -> str:
    """A Markdown table, one line per row, without a trailing newline.

    `align` gives one letter per column, `l` or `r` (right-aligned numbers); missing letters
    mean left.
    """
    rule = "|" + "".join("---:|" if a == "r" else "---|" for a in align.ljust(len(header), "l"))
    return "\n".join([_row(header), rule, *(_row(r) for r in rows)])


def _row(cells: Sequence) -> str:
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")
