"""gunicorn configuration, read from the declared settings (models/core/settings.py)."""

import os
import shutil
import tempfile

import gunicorn.util

from models.core.settings import MATH_THREAD_VARIABLES, load_settings, threads_per_worker

_settings = load_settings()
# set before torch, NumPy or FAISS is imported (they read these once, when they load); an
# operator's own value wins
for _variable in MATH_THREAD_VARIABLES:
    os.environ.setdefault(_variable, str(threads_per_worker(_settings.workers)))

from service.errors import raw_error  # after the thread settings

# /metrics adds up every worker's samples from files here (service/metrics.py); set before the
# app (and prometheus_client) is imported, emptied at every start
_metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="talent-metrics-"))
for _stale in os.listdir(_metrics_dir):
    os.remove(os.path.join(_metrics_dir, _stale))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.path.basename(_metrics_dir).startswith("talent-metrics-"):
        shutil.rmtree(_metrics_dir, ignore_errors=True)


bind = _settings.bind
workers = _settings.workers
# Threads let a worker answer /healthz and I/O-bound requests while another request encodes.
worker_class = "gthread"
threads = _settings.threads
# long requests (bulk ingest of thousands of CVs) need a generous timeout
timeout = 300
graceful_timeout = 30
accesslog = "-"
# the request id joins an access line to the service's own log lines and to error bodies
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
# The longest request line gunicorn reads while bounding it (its default is 4094): a list of
# skills or a long query, percent-encoded, goes past 4 KB. Longer is 414, and what gunicorn
# refuses itself (that, malformed HTTP) is answered in the service's one error shape, not HTML.
limit_request_line = 8190


def _write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    gunicorn.util.write_nonblock(sock, raw_error(status_int, reason, mesg))


gunicorn.util.write_error = _write_error

# the master loads the reference pack once (service:served_app); workers fork from it ready to
# serve and share its pages; each opens its own database connections and tenant indices
preload_app = True
