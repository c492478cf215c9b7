"""BLS OEWS (Occupational Employment and Wage Statistics): the packaged May 2025 release."""
from __future__ import annotations

import gzip
import shutil
import sqlite3
import tempfile
from pathlib import Path

from training.sources.packaged import OEWS_SQLITE_GZ, data_file


def open_packaged_oews(workdir: Path | None = None) -> sqlite3.Connection:
    """Decompress the packaged OEWS SQLite database to a temporary file and open it read-only."""
    src = data_file(*OEWS_SQLITE_GZ)
    workdir = Path(workdir or tempfile.mkdtemp(prefix="oews-"))
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "oews.sqlite"
    if not target.exists():
        with gzip.open(src, "rb") as fin, open(target.with_suffix(".part"), "wb") as fout:
            shutil.copyfileobj(fin, fout)
        target.with_suffix(".part").rename(target)
    return sqlite3.connect(f"file:{target}?mode=ro", uri=True)


def soc_code(code6: str) -> str:
    """'151252' -> '15-1252'."""
    return f"{code6[:2]}-{code6[2:]}"


def detailed_occupations(conn: sqlite3.Connection) -> dict[str, str]:
    """The ~830 detailed SOC 2018 occupations OEWS publishes: code -> title."""
    rows = conn.execute(
        "SELECT occupation_code, occupation_name FROM occupation WHERE display_level = 3 ORDER BY 1"
    )
    return {soc_code(code): name for code, name in rows}
