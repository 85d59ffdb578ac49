"""A talking-point bundle: a library made servable on its own. It is what the registry stores as
a version and what BentoML's model store carries into a bento.

    <folder>/manifest.json          schema, file list, library digest, points, languages, threshold
    <folder>/libraries/01-<name>    the library files, byte for byte, in load order
    <folder>/reference.jsonl        the centering reference (default: the bundled library)
    <folder>/calibration.json       threshold, scoring, encoder (default: the bundled calibration)

Served scores depend on the reference (centered scoring) and on the calibration (threshold), so
both travel with the library: a matcher from a bundle scores exactly as `default_matcher` does
over the same files, with no need for the checkout's data/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from narrascope.data import sha256_file
from narrascope.errors import ArtifactError, DataError
from narrascope.talking_points.calibration import read_calibration
from narrascope.talking_points.library import TalkingPointLibrary
from narrascope.talking_points.matcher import MIN_REFERENCE, TalkingPointMatcher
from narrascope.talking_points.wiring import DEFAULT_CALIBRATION, DEFAULT_LIBRARY, default_matcher

SCHEMA = "narrascope.talking_points.bundle/1"
MANIFEST = "manifest.json"
REFERENCE = "reference.jsonl"
CALIBRATION = "calibration.json"
LIBRARIES = "libraries"


@dataclass(frozen=True)
class TalkingPointBundle:
    """A library with its centering reference and calibration, and where it came from."""

    library: TalkingPointLibrary
    reference: TalkingPointLibrary
    calibration: Path  # the calibration file, read again (and checked) by `matcher`
    version: str | None = None  # the registry version; None for plain files
    source: str = "files"  # "files", "bundle", "registry" or "bentoml"

    def matcher(self, *, encoder: tuple | None = None, languages=None) -> TalkingPointMatcher:
        return default_matcher(
            self.library,
            calibration=self.calibration,
            reference=self.reference,
            encoder=encoder,
            languages=languages,
        )

    def describe(self) -> dict:
        """What is served, for GET /v1/model: version, source, size, digest and threshold."""
        calibrated = read_calibration(self.calibration)
        return {
            "version": self.version,
            "source": self.source,
            "points": len(self.library),
            "languages": self.library.languages,
            "digest": self.library.digest(),
            "reference_digest": self.reference.digest(),
            "threshold": calibrated["threshold"],
            "scoring": calibrated.get("scoring", "centered"),
        }


def write_bundle(
    folder: str | Path,
    libraries: Iterable[str | Path],
    *,
    calibration: str | Path | None = None,
    reference: str | Path | None = None,
    taxonomy=None,
) -> dict:
    """Validate the files, then copy them into `folder` (which must not exist) with a manifest;
    return the manifest. Defaults: the bundled calibration and reference."""
    from narrascope.encoders import EMBEDDED_E5

    sources = [Path(p) for p in libraries]
    if not sources:
        raise DataError("a talking-point bundle needs at least one library file")
    calibration = Path(calibration or DEFAULT_CALIBRATION)
    reference = Path(reference or DEFAULT_LIBRARY)
    library = TalkingPointLibrary.load(sources, taxonomy)
    reference_library = TalkingPointLibrary.load(reference)
    calibrated = read_calibration(calibration, EMBEDDED_E5)
    scoring = calibrated.get("scoring", "centered")
    if scoring == "centered" and len(reference_library) < MIN_REFERENCE:
        raise DataError(
            f"centered scoring needs a reference of at least {MIN_REFERENCE} talking points "
            f"(this one has {len(reference_library)})",
            file=str(reference),
        )
    folder = Path(folder)
    names = [f"{LIBRARIES}/{i:02d}-{path.name}" for i, path in enumerate(sources, 1)]
    (folder / LIBRARIES).mkdir(parents=True)
    for path, name in zip(sources, names):
        shutil.copyfile(path, folder / name)
    shutil.copyfile(reference, folder / REFERENCE)
    shutil.copyfile(calibration, folder / CALIBRATION)
    copied = [*zip(names, sources), (REFERENCE, reference), (CALIBRATION, calibration)]
    manifest = {
        "schema": SCHEMA,
        "libraries": names,
        "reference": REFERENCE,
        "calibration": CALIBRATION,
        "points": len(library),
        "languages": library.languages,
        "digest": library.digest(),
        "reference_digest": reference_library.digest(),
        "threshold": calibrated["threshold"],
        "scoring": scoring,
        "encoder": calibrated.get("encoder"),
        "sources": {
            name: {"path": str(path), "sha256": sha256_file(path)} for name, path in copied
        },
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def read_bundle_manifest(folder: str | Path) -> dict:
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{path}: not a talking-point bundle manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        found = manifest.get("schema") if isinstance(manifest, dict) else None
        raise ArtifactError(f"{path}: schema {found!r} is not {SCHEMA!r}")
    return manifest


def load_bundle(
    folder: str | Path, *, version: str | None = None, source: str = "bundle"
) -> TalkingPointBundle:
    """The bundle in `folder`; its library must still have the digest its manifest records."""
    folder = Path(folder)
    manifest = read_bundle_manifest(folder)
    library = TalkingPointLibrary.load([folder / name for name in manifest["libraries"]])
    if library.digest() != manifest["digest"]:
        raise ArtifactError(f"{folder}: the library no longer matches its manifest's digest")
    return TalkingPointBundle(
        library=library,
        reference=TalkingPointLibrary.load(folder / manifest["reference"]),
        calibration=folder / manifest["calibration"],
        version=version,
        source=source,
    )


def files_bundle(paths: Iterable[str | Path]) -> TalkingPointBundle:
    """Plain library files, for local use: matched with the checkout's bundled reference and
    calibration, which an installed package (a bento) does not have."""
    for default in (DEFAULT_LIBRARY, DEFAULT_CALIBRATION):
        if not default.is_file():
            raise DataError(
                "plain talking-point files need the checkout's data/ (reference and "
                "calibration), which is not here: register the library (`narrascope registry "
                "talking-points register FILE`) and serve registry:REF or bentoml:TAG",
                file=str(default),
            )
    return TalkingPointBundle(
        library=TalkingPointLibrary.load(list(paths)),
        reference=TalkingPointLibrary.load(DEFAULT_LIBRARY),
        calibration=DEFAULT_CALIBRATION,
    )
