"""Opening the data files of official distributions, plain or gzip-compressed as the repository
vendors them (`Job Zones.txt` or `Job Zones.txt.gz`)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path


def find(directory: Path, name: str) -> Path:
    """`name` or `name.gz` in a directory."""
    directory = Path(directory)
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{directory} has no {name} (or {name}.gz)")


def open_text(path: Path) -> io.TextIOBase:
    """A text file, gunzipped when its name ends in .gz; a UTF-8 byte-order mark is dropped and
    line breaks inside quoted cells are kept."""
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")
