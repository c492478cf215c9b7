"""models/ is layered: core -> reference -> tenants -> recommend. A module imports only from its
own layer or lower ones, and nothing in models/ imports Flask or the HTTP layer (service/).

Every module is found by walking models/, so a new module is checked without being listed;
every import statement counts, wherever it is (top level, inside a function, under
TYPE_CHECKING), and relative imports are resolved against the module's package.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"

LAYERS = ("core", "reference", "tenants", "recommend")  # lowest first
FORBIDDEN = ("flask", "werkzeug", "service")  # top-level packages models/ must never import


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, `from a import b` giving both
    a and a.b (b may be a submodule)."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append((node.lineno, module))
            out.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names if alias.name != "*")
    return out


def layer_of(module: str) -> int | None:
    """Index in LAYERS of a models.* module; None for models itself (the package docstring)
    and for anything outside models/."""
    parts = module.split(".")
    if parts[0] != "models" or len(parts) < 2:
        return None
    if parts[1] not in LAYERS:
        return -1  # a module of models/ outside every layer
    return LAYERS.index(parts[1])


def violations(path: Path) -> list[str]:
    name = module_name(path)
    own = layer_of(name)
    found = []
    if own == -1:
        found.append(f"{name} is in no layer; put it in one of models.{{{', '.join(LAYERS)}}}")
    for line, target in imported_modules(path):
        top = target.split(".")[0]
        if top in FORBIDDEN:
            found.append(f"{name}:{line} imports {target} (models/ never imports {top})")
        if top != "models":
            continue
        theirs = layer_of(target)
        if theirs is None:
            continue
        if own is not None and own >= 0 and theirs > own:
            found.append(f"{name}:{line} ({LAYERS[own]}) imports {target} ({LAYERS[theirs]}), a higher layer")
        if theirs == -1:
            found.append(f"{name}:{line} imports {target}, which is in no layer")
    return found


MODULES = sorted(MODELS.rglob("*.py"))


def test_every_module_is_found():
    names = {module_name(p) for p in MODULES}
    assert {"models.core.settings", "models.recommend.matching", "models.tenants.store.db"} <= names
    assert {f"models.{layer}" for layer in LAYERS} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_module_imports_only_its_layer_or_lower(path):
    assert violations(path) == []


def test_a_violation_is_caught(tmp_path, monkeypatch):
    """The check itself: an upward import, a relative upward import and a Flask import fail."""
    root = tmp_path
    pkg = root / "models" / "core"
    pkg.mkdir(parents=True)
    (root / "models" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    bad = pkg / "bad.py"
    bad.write_text(
        "from models.recommend.matching import Matcher\n"
        "from ..tenants import features\n"
        "def f():\n    import flask\n"
        "from models.core import text\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", root)
    found = violations(bad)
    assert any("imports models.recommend.matching (recommend)" in v for v in found)
    assert any("imports models.tenants.features (tenants)" in v for v in found)
    assert any("imports flask" in v for v in found)
    assert not any("models.core.text" in v for v in found)
    loose = root / "models" / "loose.py"
    loose.write_text("")
    assert violations(loose) == [
        "models.loose is in no layer; put it in one of models.{core, reference, tenants, recommend}"
    ]
