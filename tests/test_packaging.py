"""`bentoml build` works offline and packages the service code, not data or models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_bentoml_build_offline(tmp_path, root):
    bin_dir = Path(sys.executable).parent  # uv lives beside the interpreter in the venv
    closed = "http://127.0.0.1:9/simple"  # nothing listens there: any index access fails fast
    env = {
        **os.environ,
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PIP_INDEX_URL": closed,
        "UV_INDEX_URL": closed,
        "UV_DEFAULT_INDEX": closed,
        "UV_OFFLINE": "1",
        "PIP_NO_INDEX": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bentoml", "build", str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    built = list((tmp_path / "bentoml/bentos/narrascope").glob("*/src"))
    assert len(built) == 1
    files = {str(p.relative_to(built[0])) for p in built[0].rglob("*") if p.is_file()}
    assert {"serving/service.py", "narrascope/predictor.py", "model_registry/registry.py"} <= files
    assert not [f for f in files if f.startswith(("data/", "registry/", "tests/", ".venv/"))]
