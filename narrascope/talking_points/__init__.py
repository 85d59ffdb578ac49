"""Cross-lingual talking-point matching: which known state-media claims a text echoes, and where.

A talking point has canonical phrasings in one or more languages (data/talking_points.jsonl).
The library is data, not a model: a new campaign's talking points become matchable as soon as
they are added, with no retraining.

    library = TalkingPointLibrary.load(["data/talking_points.jsonl"])
    matcher = default_matcher(library)        # embedded multilingual-e5-small, calibrated threshold
    matcher.match(["Text one. Text two."])    # -> [[Match(talking_point="TP001", ...), ...]]

One job per module:
- library: the schema of a talking point and JSONL reading (TalkingPoint, TalkingPointLibrary);
- matcher: sentence x phrasing similarity, best pair per point (TalkingPointMatcher, Match);
- cache: phrasing embeddings in memory and on disk (safetensors);
- calibration: the F1-maximising threshold and the calibration file (calibrate, read_calibration);
  bench/talking_points.py writes data/talking_points.calibration.json;
- wiring: the default matcher (embedded e5, calibrated threshold, bundled reference);
- bundle: a library with its reference and calibration as one versioned folder, which the
  registry stores and the service loads like a model (narrascope.model_registry.talking_points).
"""

from narrascope.talking_points.bundle import (
    TalkingPointBundle,
    files_bundle,
    load_bundle,
    write_bundle,
)
from narrascope.talking_points.calibration import (
    Calibration,
    calibrate,
    evaluate,
    gold_matrix,
    read_calibration,
)
from narrascope.talking_points.library import FIELDS, TalkingPoint, TalkingPointLibrary
from narrascope.talking_points.matcher import (
    MIN_REFERENCE,
    PREFIX,
    SCORINGS,
    Best,
    Match,
    SentenceSimilarities,
    TalkingPointMatcher,
)
from narrascope.talking_points.wiring import (
    DEFAULT_CALIBRATION,
    DEFAULT_LIBRARY,
    ROOT,
    default_matcher,
    embedded_encoder,
)

__all__ = [
    "DEFAULT_CALIBRATION",
    "DEFAULT_LIBRARY",
    "FIELDS",
    "MIN_REFERENCE",
    "PREFIX",
    "ROOT",
    "SCORINGS",
    "Best",
    "Calibration",
    "Match",
    "SentenceSimilarities",
    "TalkingPoint",
    "TalkingPointBundle",
    "TalkingPointLibrary",
    "TalkingPointMatcher",
    "calibrate",
    "default_matcher",
    "embedded_encoder",
    "evaluate",
    "files_bundle",
    "gold_matrix",
    "load_bundle",
    "read_calibration",
    "write_bundle",
]
