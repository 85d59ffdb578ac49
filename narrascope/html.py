"""The one HTML table writer of the self-contained reports (evaluation and tracking)."""

from __future__ import annotations

from html import escape


def table(header: list[str], rows: list[list], title: str | None = None) -> str:
    """An escaped HTML table; `title` becomes `data-title` (tests find tables by it)."""
    if not rows:
        return "<p>(none)</p>"
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    attribute = f' data-title="{escape(title)}"' if title else ""
    return f"<table{attribute}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
