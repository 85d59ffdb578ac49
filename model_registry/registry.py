"""A file-based model registry.

    <root>/versions/<version>/artifact/   the artifact's files, read-only once registered
    <root>/versions/<version>/entry.json  sha256 of every artifact file + registration facts
    <root>/versions/<version>/reports/<stamp>/  evaluation reports attached later (lineage)
    <root>/aliases.json                   {"production": "v3", ...}, replaced atomically
    <root>/archived.json                  versions retired from use, replaced atomically
    <root>/events.jsonl                   append-only log of what changed, when, by whom
    <root>/talking_points/                talking-point library versions, the same layout
                                          (narrascope.model_registry.talking_points)

Writers take an exclusive lock on <root>/.lock, so two processes never allocate the same version
or lose an alias change. Every load re-hashes the files: a tampered artifact is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import re
import shutil
import stat
from pathlib import Path

from narrascope.artifact import read_manifest, utc_now
from narrascope.data import file_hashes, sha256_file
from narrascope.errors import ArtifactError, NarrascopeError
from narrascope.files import check_writable, read_jsonl, write_json

ENV_ROOT = "NARRASCOPE_REGISTRY"
_ALIAS_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_VERSION_RE = re.compile(r"^v(\d+)$")


class RegistryError(NarrascopeError):
    """A registry request that cannot be met (unknown version or alias, bad name)."""


def default_root() -> Path:
    return Path(os.environ.get(ENV_ROOT, "registry"))


class Registry:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_root()

    # -- writing ---------------------------------------------------------------------------------
    def register(
        self, artifact_dir: str | Path, note: str = "", lineage: dict | None = None
    ) -> str:
        """Copy an artifact in as a new immutable version; return the version id.

        `lineage` adds facts the artifact cannot know about itself (e.g. the campaign it was
        trained for); the rest comes from the artifact's manifest.
        """
        artifact_dir = Path(artifact_dir)
        manifest = read_manifest(artifact_dir)

        def fill(folder: Path) -> dict:
            shutil.copytree(artifact_dir, folder)
            return {
                "model_id": manifest["model_id"],
                "family": manifest["family"],
                "source": str(artifact_dir),
                "lineage": _lineage(manifest, **(lineage or {})),
            }

        return self.add_version(fill, note, model_id=manifest["model_id"])

    def add_version(self, fill, note: str = "", **logged) -> str:
        """A new immutable version: `fill(folder)` writes its files into a staging folder and
        returns facts for the entry, which also gets the sha256 of every file. `logged` goes to
        the event log. Other kinds of artifact (talking-point libraries) register through this."""
        with self._lock():
            version = self._next_version()
            target = self.root / "versions" / version
            staging = self.root / "versions" / f".{version}.tmp"
            shutil.rmtree(staging, ignore_errors=True)
            try:
                facts = fill(staging / "artifact")
                entry = {
                    "version": version,
                    "registered": utc_now(),
                    "by": _who(),
                    "note": note,
                    **facts,
                    "files": _hash_tree(staging / "artifact"),
                }
                write_json(staging / "entry.json", entry)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)  # no half-written version remains
                raise
            _make_read_only(staging)
            staging.rename(target)
            self._log("register", version=version, **logged)
        return version

    def check_writable(self) -> None:
        """Raise RegistryError unless versions can be written here (checked before training)."""
        try:
            check_writable(self.root / "versions")
        except OSError as exc:
            raise RegistryError(f"registry {self.root} is not writable: {exc.strerror}") from None

    def set_alias(self, alias: str, ref: str, action: str = "alias", **details) -> str:
        """Point `alias` at a version (atomically); `action` and `details` go to the event log."""
        check_alias_name(alias)
        with self._lock():
            version = self.resolve(ref)
            if version in self.archived():
                raise RegistryError(f"{version} is archived; it cannot be given an alias")
            previous = self._move_alias(alias, version)
            self._log(action, alias=alias, version=version, previous=previous, **details)
        return version

    def rollback(self, alias: str) -> tuple[str, str]:
        """Return `alias` to the version it pointed at before its current one: (from, to)."""
        with self._lock():
            history = self.alias_history(alias)
            if len(history) < 2:
                raise RegistryError(f"alias '{alias}' has no earlier version to roll back to")
            current, target = history[-1], history[-2]
            self._move_alias(alias, target)
            self._log("rollback", alias=alias, version=target, previous=current)
        return current, target

    def archive(self, ref: str, note: str = "") -> str:
        """Retire a version: it keeps its files and lineage but can no longer be aliased."""
        with self._lock():
            version = self.resolve(ref)
            pointing = sorted(a for a, v in self.aliases().items() if v == version)
            if pointing:
                raise RegistryError(
                    f"{version} is the target of {', '.join(pointing)}; move the alias first"
                )
            archived = sorted(set(self.archived()) | {version}, key=lambda v: int(v[1:]))
            write_json(self.root / "archived.json", archived)
            self._log("archive", version=version, note=note)
        return version

    def gc(self) -> list[str]:
        """Delete the artifact files of archived versions no alias points to; keep their entries."""
        removed = []
        with self._lock():
            live = set(self.aliases().values())
            for version in self.archived():
                folder = self.root / "versions" / version / "artifact"
                if version in live or not folder.exists():
                    continue
                _make_writable(folder)
                shutil.rmtree(folder)
                removed.append(version)
                self._log("gc", version=version)
        return removed

    def attach_report(self, ref: str, report_dir: str | Path) -> Path:
        """Keep an evaluation report beside a version (outside its hashed artifact)."""
        version = self.resolve(ref)
        source = Path(report_dir)
        stamp = utc_now().replace(":", "").replace("+0000", "Z")
        target = self.root / "versions" / version / "reports" / stamp
        with self._lock():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(source, target, dirs_exist_ok=True)
            self._log(
                "evaluate",
                version=version,
                folder=str(target.relative_to(self.root)),
                files={
                    p.name: sha256_file(p) for p in sorted(target.iterdir()) if p.suffix == ".json"
                },
            )
        return target

    # -- reading ---------------------------------------------------------------------------------
    def aliases(self) -> dict[str, str]:
        path = self.root / "aliases.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def alias_tags(self) -> dict[str, str]:
        """Each version's aliases as one sorted, comma-separated string (for listings)."""
        names: dict[str, list[str]] = {}
        for alias, version in self.aliases().items():
            names.setdefault(version, []).append(alias)
        return {version: ", ".join(sorted(aliases)) for version, aliases in names.items()}

    def versions(self) -> list[str]:
        folder = self.root / "versions"
        found = (
            [p.name for p in folder.iterdir() if _VERSION_RE.match(p.name)]
            if folder.exists()
            else []
        )
        return sorted(found, key=lambda v: int(v[1:]))

    def resolve(self, ref: str) -> str:
        """A version id, or an alias resolved to one."""
        if _VERSION_RE.match(ref):
            if ref not in self.versions():
                raise RegistryError(f"no version '{ref}' in registry {self.root}")
            return ref
        aliases = self.aliases()
        if ref not in aliases:
            known = ", ".join(sorted(aliases)) or "none"
            raise RegistryError(f"no alias '{ref}' in registry {self.root} (aliases: {known})")
        return aliases[ref]

    def entry(self, ref: str) -> dict:
        version = self.resolve(ref)
        return json.loads((self.root / "versions" / version / "entry.json").read_text("utf-8"))

    def artifact_path(self, ref: str) -> Path:
        return self.root / "versions" / self.resolve(ref) / "artifact"

    def verify(self, ref: str) -> Path:
        """Re-hash every file; raise ArtifactError naming each changed, added or missing file."""
        entry, path = self.entry(ref), self.artifact_path(ref)
        if not path.exists():
            raise RegistryError(
                f"{entry['version']} was archived and garbage-collected: its files are gone"
            )
        check_files(path, entry["files"], f"{entry['version']} ({path})")
        return path

    def load(self, ref: str):
        """Verify, then load a Predictor for a version or alias."""
        from narrascope.predictor import Predictor

        version = self.resolve(ref)
        path = self.verify(version)
        return Predictor(
            path,
            version=version,
            loader=self.load,
            registry_files=self.entry(version)["files"],
        )

    def archived(self) -> list[str]:
        path = self.root / "archived.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []

    def alias_history(self, alias: str) -> list[str]:
        """Targets `alias` has had, oldest first, with rolled-back targets removed."""
        history: list[str] = []
        for event in self.events():
            if event.get("alias") != alias:
                continue
            if event["action"] == "rollback":
                if history:
                    history.pop()
            else:
                history.append(event["version"])
        return history

    def lineage(self, ref: str) -> dict:
        """Where a version came from and what has happened to it since."""
        entry = self.entry(ref)
        version = entry["version"]
        return {
            "version": version,
            "model_id": entry["model_id"],
            "registered": entry["registered"],
            "by": entry["by"],
            **entry.get("lineage", {}),
            "evaluations": [
                e for e in self.events() if e["action"] == "evaluate" and e["version"] == version
            ],
            "aliases": sorted(a for a, v in self.aliases().items() if v == version),
            "archived": version in self.archived(),
        }

    def events(self) -> list[dict]:
        path = self.root / "events.jsonl"
        if not path.exists():
            return []
        return [event for _, event in read_jsonl(path)]

    # -- internals -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _move_alias(self, alias: str, version: str) -> str | None:
        aliases = self.aliases()
        previous = aliases.get(alias)
        aliases[alias] = version
        write_json(self.root / "aliases.json", aliases)
        return previous

    def _next_version(self) -> str:
        existing = [int(v[1:]) for v in self.versions()]
        return f"v{max(existing, default=0) + 1}"

    def _log(self, action: str, **details) -> None:
        event = {"at": utc_now(), "by": _who(), "action": action, **details}
        with open(self.root / "events.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(event, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def check_alias_name(alias: str) -> str:
    if not _ALIAS_RE.match(alias) or _VERSION_RE.match(alias):
        raise RegistryError(
            f"invalid alias '{alias}': lower-case letters, digits, '-' or '_', "
            "starting with a letter, and not shaped like a version"
        )
    return alias


def _lineage(manifest: dict, **extra) -> dict:
    return {
        "git_commit": manifest.get("git_commit"),
        "config_sha256": manifest.get("config_sha256"),
        "config": manifest.get("config"),
        "data_files": manifest.get("data", {}).get("files", {}),
        "data_cards": manifest.get("data_cards", {}),
        "taxonomy_version": manifest.get("taxonomy_version"),
        "taxonomy_sha256": manifest.get("taxonomy_sha256"),
        "parent": manifest.get("parent"),
        **extra,
    }


def check_files(folder: Path, expected: dict[str, str], what: str) -> None:
    """Raise ArtifactError naming every modified, missing or unexpected file under `folder`."""
    actual = _hash_tree(folder)
    problems = [
        f"{name}: modified"
        for name, digest in expected.items()
        if name in actual and actual[name] != digest
    ]
    problems += [f"{name}: missing" for name in expected if name not in actual]
    problems += [f"{name}: unexpected file" for name in actual if name not in expected]
    if problems:
        raise ArtifactError(f"integrity check failed for {what}: " + "; ".join(sorted(problems)))


def _hash_tree(folder: Path) -> dict[str, str]:
    return file_hashes(folder)


def _make_read_only(folder: Path) -> None:
    # Immutability by convention *and* by permission bits; integrity hashes catch the rest.
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def _make_writable(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
