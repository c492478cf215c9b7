"""Artifacts are directories with a manifest.json: what went in, what came out, checksums.

A builder skips work when the manifest of an existing artifact records the same inputs;
a loader refuses an artifact whose files do not match their recorded checksums.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_LIBRARIES = ("numpy", "faiss-cpu", "sentence-transformers", "torch", "scikit-learn")


class ArtifactError(RuntimeError):
    """An artifact is missing, incomplete or does not match its manifest."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out


def read_manifest(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    if not path.exists():
        raise ArtifactError(f"{directory} has no {MANIFEST}")
    return json.loads(path.read_text())


def is_current(directory: Path, inputs: dict[str, str]) -> bool:
    """True when the artifact exists and was built from exactly these inputs."""
    try:
        manifest = read_manifest(directory)
    except (ArtifactError, json.JSONDecodeError):
        return False
    return manifest.get("format_version") == FORMAT_VERSION and manifest.get("inputs") == inputs


def verify(directory: Path, kind: str) -> dict[str, Any]:
    """Check the manifest's kind and every file checksum; return the manifest."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest.get("kind") != kind:
        raise ArtifactError(f"{directory} holds {manifest.get('kind')!r}, expected {kind!r}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"{directory} has format {manifest.get('format_version')}, expected {FORMAT_VERSION}")
    for name, expected in manifest.get("files", {}).items():
        path = directory / name
        if not path.exists():
            raise ArtifactError(f"{path} is missing")
        if sha256_file(path) != expected:
            raise ArtifactError(f"{path} does not match its manifest checksum")
    return manifest


def build(
    directory: Path,
    kind: str,
    inputs: dict[str, str],
    write: Callable[[Path], dict[str, Any] | None],
    force: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Build an artifact unless it is current. Returns (manifest, built_now).

    `write(tmpdir)` writes the files and may return extra manifest fields. The artifact is
    assembled in a sibling temporary directory and swapped in whole, so a crash mid-build
    never leaves a half-written artifact behind a valid manifest.
    """
    directory = Path(directory)
    if not force and is_current(directory, inputs):
        return read_manifest(directory), False
    tmp = directory.with_name(directory.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    started = time.time()
    extra = write(tmp) or {}
    files = {p.name: sha256_file(p) for p in sorted(tmp.iterdir()) if p.is_file()}
    manifest = {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "inputs": inputs,
        "files": files,
        "libraries": library_versions(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.time() - started, 2),
        **extra,
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    old = directory.with_name(directory.name + f".old{os.getpid()}")
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    return manifest, True


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())
