"""Server time of each console page on the demo tenant (`python -m training.bench console`).

Pages are fetched through Flask's in-process client, signed in with a key of the bench's own,
so the figures are the service's time to answer (models, templates, no network): the budget
is 150 ms a page. Each page is fetched once to warm (the in-memory arrays a first request
builds), then `rounds` times over different candidates and needs.
"""

from __future__ import annotations

import re
import time

import numpy as np

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SOCS = ("51-4041", "49-9071", "15-1252", "29-1141", "53-3032")


def _sign_in(client, key: str) -> None:
    page = client.get("/console/sign-in").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    response = client.post("/console/sign-in", data={"key": key, "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"console sign-in failed: {response.status_code}")


def bench_console(client, key: str, rounds: int = 20) -> dict:
    headers = {"Authorization": f"Bearer {key}"}
    cands = [r["id"] for r in client.get("/v1/candidates?limit=500", headers=headers).get_json()["items"]]
    needs = client.get("/v1/needs?status=open&limit=500", headers=headers).get_json()["items"]
    need_ids = [n["id"] for n in needs]
    regions = sorted({n["region_id"] for n in needs if n["region_id"]})
    _sign_in(client, key)
    pages = {
        "candidates": lambda i: f"/console/candidates?page={1 + i % 20}",
        "candidates_filtered": lambda i: "/console/candidates?kind=micro_hub&remote=true&soc=51-",
        "candidates_search": lambda i: f"/console/candidates?q=CNC+machinist+{i}",
        "candidate": lambda i: f"/console/candidates/{cands[i % len(cands)]}",
        "candidate_gap": lambda i: (
            f"/console/candidates/{cands[i % len(cands)]}?role=need:{need_ids[i % len(need_ids)]}"
        ),
        "needs": lambda i: f"/console/needs?page={1 + i % 5}",
        "need": lambda i: f"/console/needs/{need_ids[i % len(need_ids)]}?exclude_large_metro=true&min_required=0.25",
        "need_form": lambda i: f"/console/needs/{need_ids[i % len(need_ids)]}/edit",
        "talent_map_need": lambda i: f"/console/talent-map?need={need_ids[i % len(need_ids)]}",
        "talent_map_soc": lambda i: f"/console/talent-map?soc={SOCS[i % len(SOCS)]}&kind=micro_hub&kind=metro",
        "report": lambda i: f"/console/report?region={regions[i % len(regions)]}",
        "report_csv": lambda i: f"/console/report.csv?region={regions[i % len(regions)]}",
        "report_xlsx": lambda i: f"/console/report.xlsx?region={regions[i % len(regions)]}",
        "import_form": lambda i: "/console/import",
    }
    out = {}
    for name, path in pages.items():
        client.get(path(0))
        times = []
        for i in range(1, rounds + 1):
            started = time.perf_counter()
            response = client.get(path(i))
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path(i)}: {response.status_code}")
        out[name] = {"p50_ms": round(float(np.percentile(times, 50)), 1), "max_ms": round(max(times), 1)}
    return out
