"""The `narrascope` command: fast help, the train -> register -> eval path, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from narrascope.app.cli import main

# --help really runs, and afterwards no heavy library and no layer below the CLI is imported.
LAZY_HELP = """
import contextlib, io, sys
from narrascope.app.cli import main
shown = io.StringIO()
with contextlib.redirect_stdout(shown):
    code = main(["--help"])
assert code == 0 and "usage: narrascope" in shown.getvalue(), shown.getvalue()
heavy = ("torch", "bentoml", "sklearn", "transformers")
layers = ("narrascope.training", "narrascope.serving", "narrascope.eval", "narrascope.tracking")
print(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m.startswith(layers)))
"""


def test_help_is_instant_and_lazy():
    started = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            LAZY_HELP,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"
    help_run = subprocess.run(
        [sys.executable, "-m", "narrascope.app.cli", "--help"], capture_output=True, text=True
    )
    assert help_run.returncode == 0
    for command in ("train", "eval", "registry", "serve", "predict", "data"):
        assert command in help_run.stdout
    assert time.perf_counter() - started < 10


def test_predict_command(registry_root, capsys):
    assert main(["--registry", str(registry_root), "predict", "Sanctions failed."]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["model_version"] == "v1" and "narratives" in line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "--model", "nonexistent"], "no alias 'nonexistent'"),
        (["data", "validate", "missing.jsonl"], "no such file"),
        (["registry", "alias", "set", "BAD NAME", "v1"], "invalid alias"),
    ],
)
def test_errors_are_one_line_not_tracebacks(registry_root, capsys, argv, message):
    assert main(["--registry", str(registry_root), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_data_validate_reports_every_bad_row(tmp_path, capsys):
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "1", "text": "ok"}\n{"id": "2", "text": ""}\n{"id": "3"}\n')
    assert main(["data", "validate", str(path), "--skip-invalid"]) == 1
    err = capsys.readouterr().err
    assert "d.jsonl:2: field 'text'" in err and "d.jsonl:3: field 'text'" in err
