"""A deliberately plain peer of the narrascope service, for bench/load.py to compare against.

    .venv/bin/python bench/naive_peer.py --registry /tmp/loadreg --model v2 --port 3101

FastAPI on uvicorn, one worker, bound to 127.0.0.1. The model is loaded once through
`Registry(root).load(ref)`; each request is answered by its own `Predictor.predict` call, one
request at a time on the event loop (no batching across requests, no thread pool): the simplest
thing that serves the same `POST /v1/predict` JSON (request and response models are the
service's own, from serving/schemas.py). Invalid input answers 400 like the service.
`GET /readyz` and `/livez` answer 200 once the model is loaded.

`--precision fp32` turns off the encoder's bf16 autocast (recorded at training): what a plain
`transformers` deployment computes on CPU by default. Without it the peer runs exactly the
service's model code, only without batching: the stricter comparison.
"""

# no `from __future__ import annotations`: FastAPI must see the real model classes

import argparse
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def build_app(registry: str, ref: str, precision: str = "recorded"):
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    from narrascope.model_registry import Registry
    from narrascope.serving.schemas import PredictRequest, PredictResponse, ResultOut

    store = Registry(registry)
    version = store.resolve(ref)
    predictor = store.load(version)
    if precision == "fp32" and hasattr(predictor.model, "encoder"):
        predictor.model.encoder.set_precision("fp32")
    app = FastAPI(title="narrascope naive peer")

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError):
        errors = [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse(status_code=400, content={"detail": errors})

    # The service's response carries these where its schemas have them (they are being extended):
    # fill what the schemas ask for, so the JSON stays the same as the service's.
    with_request_id = "request_id" in PredictResponse.model_fields
    with_supported = "lang_supported" in ResultOut.model_fields
    with_top_k = "top_k" in PredictRequest.model_fields

    @app.post("/v1/predict", response_model=PredictResponse)
    async def predict(body: PredictRequest, request: Request) -> PredictResponse:
        # Blocking on purpose: requests are served strictly one after another.
        texts, options = body.texts, {"top_k": body.top_k} if with_top_k else {}
        outputs = predictor.predict(
            [t.text for t in texts], [t.lang for t in texts], body.threshold, **options
        )
        extra = {}
        results = []
        for t, out in zip(texts, outputs):
            if with_supported:
                extra = {"lang_supported": out.lang in predictor.languages}
            results.append(ResultOut(id=t.id, **out.to_dict(), **extra))
        meta = {"request_id": _request_id(request)} if with_request_id else {}
        return PredictResponse(model_version=version, results=results, **meta)

    @app.get("/readyz")
    @app.get("/livez")
    async def ready() -> dict:
        return {"status": "ok", "model_version": version}

    return app


def _request_id(request) -> str:
    sent = request.headers.get("x-request-id", "")
    return sent if 0 < len(sent) <= 64 and sent.isprintable() else uuid.uuid4().hex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", default=os.environ.get("NARRASCOPE_REGISTRY", "registry"))
    parser.add_argument("--model", default="production", help="alias or version")
    parser.add_argument("--port", type=int, default=3100)
    parser.add_argument(
        "--precision",
        choices=["recorded", "fp32"],
        default="recorded",
        help="encoder precision: the model's recorded one (default) or plain fp32",
    )
    args = parser.parse_args()

    import uvicorn

    app = build_app(args.registry, args.model, args.precision)
    uvicorn.run(app, host="127.0.0.1", port=args.port, workers=1, log_level="warning")


if __name__ == "__main__":
    main()
