"""The service's OpenAPI document, as BentoML serves it at /docs.json, without starting a server.

    python -m narrascope.serving.openapi          # print it (sorted, indented JSON)
    python -m narrascope.serving.openapi --write  # update serving/openapi.json (the contract)
    python -m narrascope.serving.openapi --check  # exit 1 with a diff when it is stale

BentoML builds the document from the service class (`Narrascope.openapi_spec`, the property its
HTTP app serves at /docs.json): route, IO models and the mounted FastAPI app's routes. The service
is never instantiated, so no model is loaded and no registry is needed. Two fields that change
without the API changing are replaced: `info.description` (BentoML's default README, with its own
version and the bento tag in it) and `info.version` (the bento version, or "None" outside a bento).

The limits in serving/schemas.py come from the environment; the committed file is generated with
their defaults, so the $NARRASCOPE_MAX_* variables are ignored here.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path

SPEC_PATH = Path(__file__).with_name("openapi.json")
API_VERSION = "v1"  # the HTTP API's version, as in its /v1 route prefix
DESCRIPTION = "Narrative and subnarrative classification of multilingual texts (narrascope)."
LIMITS_PREFIX = "NARRASCOPE_MAX_"  # NARRASCOPE_MAX_TEXTS, _MAX_CHARS, ... (serving/schemas.py)


def spec() -> dict:
    """The OpenAPI document of `serving.service:Narrascope`, with the volatile fields fixed."""
    from narrascope.serving.service import Narrascope

    document = Narrascope.openapi_spec.asdict()
    document["info"]["description"] = DESCRIPTION
    document["info"]["version"] = API_VERSION
    return document


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def diff(committed: str, generated: str, max_lines: int = 60) -> str:
    """A unified diff, cut to `max_lines` lines."""
    lines = list(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            generated.splitlines(keepends=True),
            fromfile=f"{SPEC_PATH.name} (committed)",
            tofile=f"{SPEC_PATH.name} (generated)",
            n=2,
        )
    )
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... ({len(lines) - max_lines} more diff lines)\n"]
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m narrascope.serving.openapi", description=__doc__
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {SPEC_PATH}")
    mode.add_argument("--check", action="store_true", help=f"exit 1 if {SPEC_PATH} is stale")
    args = parser.parse_args(argv)

    if "narrascope.serving.schemas" not in sys.modules:  # the contract is the defaults (see above)
        for name in [n for n in os.environ if n.startswith(LIMITS_PREFIX)]:
            del os.environ[name]
    text = render(spec())
    if args.write:
        SPEC_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {SPEC_PATH}", file=sys.stderr)
    elif args.check:
        committed = SPEC_PATH.read_text(encoding="utf-8") if SPEC_PATH.exists() else ""
        if committed != text:
            print(diff(committed, text), end="")
            print(
                f"{SPEC_PATH} is out of date: run `python -m narrascope.serving.openapi --write`",
                file=sys.stderr,
            )
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
