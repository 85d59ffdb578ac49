"""The layer contract (pyproject's [tool.importlinter]) holds, and it would catch a violation.

lint-imports reads an installed copy: in the editable install narrascope.training and its
siblings live in folders outside narrascope/, which grimp does not walk."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _install_copy(root: Path, target: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(root)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return target


def _lint(site: Path, root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml")],
        cwd=site,
        env={"PYTHONPATH": str(site), "PATH": str(LINT_IMPORTS.parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_layers_hold_and_a_planted_upward_import_breaks_them(tmp_path, root):
    site = _install_copy(root, tmp_path / "site")
    kept = _lint(site, root)
    assert kept.returncode == 0, kept.stdout[-3000:]
    assert "1 kept, 0 broken" in kept.stdout

    planted = site / "narrascope/serving/batching.py"
    planted.write_text(planted.read_text() + "\nimport narrascope.training.train\n")
    shutil.rmtree(site / "narrascope/serving/__pycache__", ignore_errors=True)
    broken = _lint(site, root)
    assert broken.returncode != 0
    assert "narrascope.serving.batching -> narrascope.training.train" in broken.stdout
