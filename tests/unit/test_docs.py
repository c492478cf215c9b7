"""The README documents every setting, and the CI script runs the README's test command."""

from __future__ import annotations

from pathlib import Path

from models.core.settings import SETTINGS, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in readme]
    assert missing == []


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_settings_read_environment_and_overrides():
    s = load_settings({"workers": 3}, environ={"TALENT_BIND": "0.0.0.0:9000", "DATABASE_URL": "postgresql://x/y"})
    assert (s.bind, s.workers, s.sqlalchemy_url) == ("0.0.0.0:9000", 3, "postgresql://x/y")
    assert load_settings(environ={}).sqlalchemy_url.endswith("/var/service.db")


def test_bad_setting_value_names_the_variable():
    import pytest

    with pytest.raises(ValueError, match="TALENT_WORKERS"):
        load_settings(environ={"TALENT_WORKERS": "many"})


def test_dockerfile_copies_everything_the_service_reads_at_run_time():
    """The image runs `service:served_app()`, which imports models/ and service/, builds the
    pack with training/ and applies migrations/ at start: a missing COPY breaks only the image."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    for path in ("models", "service", "training", "migrations", "alembic.ini"):
        assert f"COPY {path} " in dockerfile, path
