"""Import (HR admins): an NDJSON or CSV file of candidates, needs or programmes, through the
bulk import of the API (same checks, same chunked writes: each line is written whole or not
at all); progress shown as chunks commit, per-line errors shown and kept for download for a day."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from flask import Response, current_app, render_template, request, stream_template, url_for

from models.core.errors import DatabaseUnavailable, DomainError, InvalidInput, NotFound
from service import auth
from service.api.resources import PLURAL, check_lines, parse_ndjson
from service.auth import current_tenant
from service.console import tables
from service.console.blueprint import bp
from service.console.helpers import tenant
from service.runtime import runtime
from service.schemas import RESOURCE_SCHEMAS

REPORTS_DIR = "console-imports"
KEEP_SECONDS = 24 * 3600
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
SHOWN_ERRORS = 200
CHUNK = 64  # lines per transaction: the page reports progress after each


def _reports_dir(tenant_id: int) -> Path:
    path = current_app.config["SETTINGS"].data_path / REPORTS_DIR / str(tenant_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _keep_report(tenant_id: int, body: str) -> str:
    folder = _reports_dir(tenant_id)
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(16)
    (folder / f"{token}.csv").write_text(body, encoding="utf-8")
    return token


def _lines(kind: str, name: str, text: str):
    schema = RESOURCE_SCHEMAS[kind]
    limit = current_app.config["SETTINGS"].max_bulk_lines
    if name.lower().endswith(".csv"):
        return check_lines(tables.documents_from_csv(text, schema), schema, limit)
    return parse_ndjson(text, schema, limit)


@bp.route("/import", methods=["GET", "POST"])
def import_records():
    if request.method == "GET":
        return render_template("import.html", kinds=PLURAL, kind="candidate")
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    try:
        if kind not in PLURAL:
            raise InvalidInput("choose what the file holds: candidates, needs or programmes")
        if upload is None or not upload.filename:
            raise InvalidInput("choose a file to import")
        tenant_id = current_tenant(write=True)
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("the file is not UTF-8 text") from None
        lines = _lines(kind, upload.filename, text)
    except DomainError as exc:
        if exc.status not in (400, 413, 422):
            raise
        page = render_template("import.html", kinds=PLURAL, kind=kind or "candidate", error=exc.message)
        return page, exc.status
    outcome: dict = {}
    body = stream_template(
        "import.html",
        kinds=PLURAL,
        kind=kind,
        filename=upload.filename,
        progress=_write(tenant_id, kind, lines, outcome),
        outcome=outcome,
    )
    # the page is sent as it renders: a line of progress after each chunk is committed
    return Response(auth.streamed(lambda: body), mimetype="text/html")


def _write(tenant_id: int, kind: str, lines: list, outcome: dict) -> Iterator[dict]:
    """Write the lines through the bulk upsert, yielding progress after each committed chunk;
    `outcome` gets the counts, the errors and the downloadable report once done."""
    results: list[dict] = []
    try:
        for result in runtime().records().bulk_upsert(tenant_id, kind, lines, chunk=CHUNK):
            results.append(result)
            if len(results) % CHUNK == 0 or len(results) == len(lines):
                yield {"done": len(results), "total": len(lines)}
    except DatabaseUnavailable as exc:
        outcome["stopped"] = f"{exc.message}: the {len(lines) - len(results)} lines after these were not written"
    errors = [r for r in results if r["status"] == "error"]
    token = _keep_report(tenant_id, tables.import_errors_csv(results)) if errors else None
    outcome.update(
        counts={s: sum(1 for r in results if r["status"] == s) for s in ("created", "updated", "error")},
        lines=len(results),
        errors=errors[:SHOWN_ERRORS],
        more_errors=max(0, len(errors) - SHOWN_ERRORS),
        report_url=url_for("console.import_errors", token=token) if token else None,
    )


@bp.get("/import/<token>.csv")
def import_errors(token: str):
    path = _reports_dir(tenant()) / f"{token}.csv"  # the tenant's own folder: another's token is 404
    if not TOKEN.fullmatch(token) or not path.is_file():
        raise NotFound("this error report is not there (they are kept for a day)")
    response = Response(path.read_text(encoding="utf-8"), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="import-errors.csv"'
    return response
