"""The default matcher: the embedded multilingual-e5-small encoder, the calibrated threshold and
scoring, and the bundled library as the centering reference.

The repo's data/ is the demo default only: a served library comes from a bundle
(narrascope.talking_points.bundle), which carries its own reference and calibration.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from narrascope.talking_points.calibration import read_calibration
from narrascope.talking_points.library import TalkingPointLibrary
from narrascope.talking_points.matcher import PREFIX, TalkingPointMatcher

ROOT = Path(__file__).resolve().parents[2]  # the checkout (an installed wheel has no data/)
DEFAULT_LIBRARY = ROOT / "data" / "talking_points.jsonl"
DEFAULT_CALIBRATION = ROOT / "data" / "talking_points.calibration.json"


def embedded_encoder(base_model: str | None = None, precision: str | None = None):
    """(TextEncoder with the 'query: ' prefix, fingerprint) for `base_model` (default: the
    embedded multilingual-e5-small), built like the encoder families build theirs."""
    from narrascope.encoders import EMBEDDED_E5
    from narrascope.encoders.encoder import best_precision
    from narrascope.encoders.sources import resolve_model_dir, source_fingerprint
    from narrascope.families.encoder_linear import build_encoder

    base_model = base_model or EMBEDDED_E5
    precision = precision or best_precision()
    spec = {
        "base_model": base_model,
        "fingerprint": source_fingerprint(base_model, resolve_model_dir(base_model)),
        "max_tokens": 512,
        "stride": 0,
        "pooling": "mean",
        "prefix": PREFIX,
        "precision": precision,
    }
    return build_encoder(spec), f"{spec['fingerprint']}:{precision}"


def default_matcher(
    library: TalkingPointLibrary | None = None,
    *,
    threshold: float | None = None,
    calibration: str | Path = DEFAULT_CALIBRATION,
    reference: TalkingPointLibrary | None = None,
    languages: Iterable[str] | None = None,
    encoder: tuple | None = None,
) -> TalkingPointMatcher:
    """The embedded multilingual-e5-small matcher over `library` at the calibrated threshold
    and scoring (or `threshold`, with "centered" scoring). `library` and `reference` (the
    centering reference) default to the bundled data/talking_points.jsonl, read only when one
    of them is missing. Phrasing embeddings are cached under $NARRASCOPE_CACHE/talking_points.
    `encoder` takes an (encoder, fingerprint) pair from `embedded_encoder`, to share one loaded
    model."""
    from narrascope.encoders import EMBEDDED_E5
    from narrascope.encoders.embedded import cache_root

    scoring = "centered"
    if threshold is None:
        calibrated = read_calibration(calibration, EMBEDDED_E5)
        threshold, scoring = calibrated["threshold"], calibrated.get("scoring", scoring)
    if library is None or reference is None:
        bundled = TalkingPointLibrary.load(DEFAULT_LIBRARY)
        library = library if library is not None else bundled
        reference = reference if reference is not None else bundled
    text_encoder, fingerprint = encoder or embedded_encoder()
    return TalkingPointMatcher(
        library,
        text_encoder,
        threshold,
        scoring=scoring,
        reference=reference,
        languages=languages,
        fingerprint=fingerprint,
        cache_dir=cache_root() / "talking_points",
    )
