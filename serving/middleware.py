"""ASGI middleware in front of the API: body-size limit, JSON-only bodies with one error shape,
and optional bearer-token auth."""

from __future__ import annotations

import hmac
import json

OPEN_PATHS = ("/livez", "/readyz", "/healthz", "/metrics", "/docs", "/docs.json", "/")


ERROR_NAMES = {400: "invalid request", 401: "unauthorized", 413: "request body too large"}


async def _reply(
    send, status: int, detail: str, errors: list | None = None, headers: list | None = None
) -> None:
    # BentoML's published error schema: `error` (required) and `detail`, both strings.
    payload = {"error": ERROR_NAMES.get(status, "error"), "detail": detail}
    if errors is not None:
        payload["errors"] = errors
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse bodies over `max_bytes` with 413 before anything parses them."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await _reply(send, 413, self._message())
        # No (or an honest) length: read the body ourselves, counting, then replay it.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message]), send)
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await _reply(send, 413, self._message())
            more = message.get("more_body", False)
        body = b"".join(chunks)
        return await self.app(
            scope, _replay([{"type": "http.request", "body": body}], receive), send
        )

    def _message(self) -> str:
        return f"request body larger than {self.max_bytes} bytes (NARRASCOPE_MAX_BODY_BYTES)"


def _replay(messages: list, then=None):
    async def receive():
        if messages:
            return messages.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


class BearerAuth:
    """With a token configured, every path but health, metrics and docs needs
    `Authorization: Bearer <token>`; compared in constant time."""

    def __init__(self, app, token: str | None):
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope, receive, send):
        if self.token is None or scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            return await self.app(scope, receive, send)
        header = dict(scope.get("headers", [])).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        if scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.token):
            return await self.app(scope, receive, send)
        return await _reply(
            send,
            401,
            "missing or wrong bearer token (Authorization: Bearer <NARRASCOPE_API_TOKEN>)",
            headers=[(b"www-authenticate", b'Bearer realm="narrascope"')],
        )


class JsonErrors:
    """POST bodies under /v1/ must be JSON, and every 400 has one shape: `{"error": "invalid
    request", "detail": "<field.index: message; ...>", "errors": [{"loc", "msg", "type"}, ...]}`.

    `detail` stays a string, as the published OpenAPI error schema says; the structured list of
    pydantic errors moves to `errors`. A non-JSON content type is refused with 400 here, before
    BentoML's form parser can turn a malformed multipart body into a 500.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith("/v1/")
        ):
            return await self.app(scope, receive, send)
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
        if content_type.split(b";")[0].strip().lower() != b"application/json":
            return await _reply(send, 400, "Content-Type must be application/json")
        held: list[dict] = []

        async def reshape(message):
            if message["type"] == "http.response.start" and message["status"] == 400:
                held.append(message)
                return
            if held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body"):
                    return
                body = b"".join(m.get("body", b"") for m in held[1:])
                return await _reply(send, 400, *_flatten(body))
            await send(message)

        return await self.app(scope, receive, reshape)


def _flatten(body: bytes) -> tuple[str, list | None]:
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return body.decode("utf-8", "replace"), None
    if not isinstance(detail, list):
        return str(detail), None
    parts = [f"{'.'.join(map(str, e.get('loc', [])))}: {e.get('msg', '')}" for e in detail]
    errors = [{k: e.get(k) for k in ("loc", "msg", "type")} for e in detail]
    return "; ".join(parts), errors
