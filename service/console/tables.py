"""Tabular files in and out of the console: the region report as CSV and XLSX, an import's
error lines as CSV, and CSV files read as documents for the bulk import.

Text that a spreadsheet would run as a formula (=, +, -, @ first) is written with a leading
apostrophe: tenants' records end up in these files and are opened by other people.
"""

from __future__ import annotations

import csv
import io
import json

from openpyxl import Workbook

from models.core.errors import InvalidInput

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GAP_COLUMNS = ("skill", "esco_id", "demand", "supply", "supply_share", "gap")
LIST_SEPARATOR = ";"


def _cell(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _csv(rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _gap_rows(report: dict) -> list[list]:
    return [[g["label"], g["id"], g["demand"], g["supply"], g["supply_share"], g["gap"]] for g in report["gaps"]]


def gaps_csv(report: dict) -> str:
    return _csv([list(GAP_COLUMNS), *_gap_rows(report)])


def report_xlsx(report: dict) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    region = report["region"] or {}
    demand, supply = report["demand_sources"], report["supply_sources"]
    for row in (
        ["Region", region.get("name"), region.get("id")],
        ["Kind", region.get("kind")],
        ["Open needs", demand["open_needs"]],
        ["Openings", demand["openings"]],
        ["Local candidates", supply["local_candidates"]],
        [f"Candidates willing to move within {supply['willing_to_relocate_within_km']:.0f} km", supply["movers"]],
        [],
        ["Specialised occupations", "SOC", "Location quotient", "Employment"],
        *[["", o["title"], o["location_quotient"], o["employment"]] for o in demand["specialised_occupations"]],
    ):
        summary.append([_cell(v) for v in row])
    gaps = book.create_sheet("Skill gaps")
    for row in [list(GAP_COLUMNS), *_gap_rows(report)]:
        gaps.append([_cell(v) for v in row])
    certs = book.create_sheet("Certifications")
    certs.append(["suggestion", "skills", "open roles made eligible", "candidates made eligible", "programmes"])
    for n, b in enumerate(report["certification_suggestions"], start=1):
        programmes = "; ".join(
            f"{p['title']} ({p.get('provider') or ''}, {p.get('place', '')})" for p in b["existing_programs"]
        )
        row = [
            n,
            ", ".join(s["label"] for s in b["skills"]),
            b["open_roles_made_eligible"],
            b["candidates_made_eligible"],
        ]
        certs.append([_cell(v) for v in [*row, programmes]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_errors_csv(results: list[dict]) -> str:
    rows: list[list] = [["line", "code", "message", "details"]]
    for r in results:
        if r.get("status") == "error":
            e = r["error"]
            rows.append([r["line"], e["code"], e["message"], json.dumps(e.get("details"), ensure_ascii=False)])
    return _csv(rows)


def documents_from_csv(text: str, schema: dict) -> list[tuple[int, object]]:
    """CSV rows as documents of the schema, numbered by their line in the file (the header is
    line 1). Columns are field names ("salary_range.min" for a nested one); list fields hold
    values separated by semicolons; empty cells are left out. A cell that cannot be converted
    makes its row an error; an unknown column rejects the file."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidInput("the file is empty", code="invalid_csv") from None
    properties = schema["properties"]
    unknown = [h for h in header if h.split(".")[0] not in properties]
    if unknown:
        raise InvalidInput(
            f"unknown columns: {', '.join(unknown)}; known: {', '.join(properties)}",
            {"columns": unknown},
            code="invalid_csv",
        )
    out: list[tuple[int, object]] = []
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            out.append((number, InvalidInput(f"{len(row)} cells for {len(header)} columns", code="invalid_csv")))
            continue
        try:
            out.append((number, _document(header, row, properties)))
        except InvalidInput as exc:
            out.append((number, exc))
    return out


def _document(header: list[str], row: list[str], properties: dict) -> dict:
    doc: dict = {}
    for name, raw in zip(header, row):
        raw = raw.strip()
        if not raw:
            continue
        top, _, sub = name.partition(".")
        prop = properties[top]
        if sub:
            doc.setdefault(top, {})[sub] = _scalar(raw, prop.get("properties", {}).get(sub, {}), name)
        elif prop.get("type") == "array":
            doc[top] = [v.strip() for v in raw.split(LIST_SEPARATOR) if v.strip()]
        else:
            doc[top] = _scalar(raw, prop, name)
    return doc


def _scalar(raw: str, prop: dict, name: str):
    kind = prop.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        raise InvalidInput(
            f"column {name}: {raw!r} is not a number",
            {"errors": [{"path": f"$.{name}", "message": "a number"}]},
            code="validation_failed",
        ) from None
    if kind == "boolean":
        value = raw.lower()
        if value in ("true", "yes", "1"):
            return True
        if value in ("false", "no", "0"):
            return False
        raise InvalidInput(
            f"column {name}: {raw!r} is not true or false",
            {"errors": [{"path": f"$.{name}", "message": "true or false"}]},
            code="validation_failed",
        )
    return raw
