"""The ASGI middleware on its own: body-size limit and bearer-token auth."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from narrascope.serving.middleware import BearerAuth, BodyLimit


async def _echo(request):
    return JSONResponse({"bytes": len(await request.body())})


APP = Starlette(routes=[Route("/v1/x", _echo, methods=["POST"]), Route("/livez", _echo)])


def test_body_limit_refuses_large_bodies_declared_or_streamed():
    client = TestClient(BodyLimit(APP, max_bytes=100))
    assert client.post("/v1/x", content=b"a" * 100).json() == {"bytes": 100}
    too_big = client.post("/v1/x", content=b"a" * 101)
    assert too_big.status_code == 413 and "100 bytes" in too_big.json()["detail"]
    streamed = client.post("/v1/x", content=iter([b"a" * 60, b"a" * 60]))  # no content-length
    assert streamed.status_code == 413


def test_bearer_auth_guards_the_api_not_health():
    client = TestClient(BearerAuth(APP, token="t0ken"))
    assert client.post("/v1/x").status_code == 401
    assert client.post("/v1/x", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/v1/x", headers={"Authorization": "Basic t0ken"}).status_code == 401
    assert client.post("/v1/x", headers={"Authorization": "Bearer t0ken"}).status_code == 200
    assert client.get("/livez").status_code == 200


def test_auth_is_off_without_a_token():
    assert TestClient(BearerAuth(APP, token=None)).post("/v1/x").status_code == 200
