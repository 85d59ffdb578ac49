"""The narrascope prediction service.

    narrascope serve --model production        # or: bentoml serve serving.service:Narrascope

The model is resolved once at start-up from the registry ($NARRASCOPE_REGISTRY, default
./registry) by $NARRASCOPE_MODEL (an alias or a version, default `production`), and the exact
version is reported by every response and by GET /v1/model. In a built bento, set
$NARRASCOPE_BENTO_MODEL (e.g. narrascope-model:v3) to serve the version packaged with it.
"""

from __future__ import annotations

import os
from dataclasses import asdict

import bentoml
from fastapi import FastAPI

from model_registry import Registry
from model_registry.bento import load_from_bentoml
from serving.schemas import PredictRequest, PredictResponse, ResultOut

os.environ.setdefault("HF_HUB_OFFLINE", "1")
api = FastAPI(title="narrascope model info")


@bentoml.service(name="narrascope", traffic={"timeout": 60})
@bentoml.asgi_app(api, path="/v1")
class Narrascope:
    def __init__(self) -> None:
        bento_tag = os.environ.get("NARRASCOPE_BENTO_MODEL")
        if bento_tag:  # a version packaged into the bento by `registry export-bento`
            self.predictor = load_from_bentoml(bento_tag)
            self.version = self.predictor.version
        else:
            registry = Registry()
            self.version = registry.resolve(os.environ.get("NARRASCOPE_MODEL", "production"))
            self.predictor = registry.load(self.version)

    @bentoml.api(route="/v1/predict", input_spec=PredictRequest, output_spec=PredictResponse)
    def predict(self, texts, threshold: float | None = None) -> PredictResponse:
        """Narratives and subnarratives, with scores, for a batch of texts."""
        outputs = self.predictor.predict(
            [t.text for t in texts], [t.lang for t in texts], threshold
        )
        results = [ResultOut(id=t.id, **out.to_dict()) for t, out in zip(texts, outputs)]
        return PredictResponse(model_version=self.version, results=results)

    @api.get("/model")
    def model(self) -> dict:
        """The model card, label set with descriptions and thresholds, languages and metrics."""
        manifest, taxonomy = self.predictor.manifest, self.predictor.taxonomy
        labels = [
            {
                **asdict(taxonomy.node(lab)),
                "level": taxonomy.level_of(lab),
                "threshold": manifest["thresholds"][lab],
            }
            for lab in manifest["labels"]
        ]
        return {
            "version": self.version,
            "model_id": manifest["model_id"],
            "family": manifest["family"],
            "created": manifest["created"],
            "taxonomy_version": manifest["taxonomy_version"],
            "languages": manifest["languages"],
            "metrics": manifest["metrics"],
            "labels": labels,
            "model_card": self.predictor.model_card,
        }
