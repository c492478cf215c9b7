"""gunicorn configuration, read from the declared settings (models/settings.py)."""
from models.settings import load_settings

_settings = load_settings()

bind = _settings.bind
workers = _settings.workers
# Threads let a worker answer /healthz and I/O-bound requests while another request encodes.
worker_class = "gthread"
threads = 4
# Loading the pack happens in a background thread, so a worker boots fast; long requests
# (bulk ingest of thousands of CVs) need a generous timeout.
timeout = 300
graceful_timeout = 30
accesslog = "-"
preload_app = False  # each worker loads its own encoder and indices after the fork
