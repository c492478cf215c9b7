"""Shared fixtures: the real reference pack and encoder, loaded once per test session.

`make test` builds the pack (var/pack, or $TALENT_DATA_DIR/pack) before pytest runs.
"""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def settings():
    from models.settings import load_settings

    return load_settings({"data_dir": os.environ.get("TALENT_DATA_DIR", "var")})


@pytest.fixture(scope="session")
def encoder():
    from models.encoder import Encoder

    return Encoder()


@pytest.fixture(scope="session")
def reference(settings, encoder):
    from models.reference import ReferenceData

    if not (settings.pack_path / "taxonomy").exists():
        pytest.exit(f"no reference pack at {settings.pack_path}: run `make test` (it builds the pack first)", 2)
    return ReferenceData.load(settings.pack_path, encoder)


@pytest.fixture(scope="session")
def app(settings, reference):
    from service import create_app

    return create_app({"data_dir": str(settings.data_path)}, reference=reference)


@pytest.fixture
def client(app):
    return app.test_client()
