"""The evaluators: metrics with answers worked out by hand, and the command line on files in
the benchmark formats (written here: the tests never need ../shared)."""

from __future__ import annotations

import json
import math

import pytest

from training import evaluate
from training.evaluators import skill_linking, title_skills

PY = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"  # Python (computer programming)


def test_skill_linking_metrics_by_hand():
    rows = [
        {"text": "a", "relevant": [["u1"], ["u2", "u3"]]},  # u3 (2nd concept) at rank 2, u1 at rank 6
        {"text": "b", "relevant": [["v1"]]},  # never found
    ]
    ranked = {"a": ["x", "u3", "y", "z", "w", "u1"], "b": ["x", "y"]}
    metrics = skill_linking.evaluate(rows, lambda texts: [ranked[t] for t in texts])
    assert metrics == {"mrr": pytest.approx((1 / 2 + 0) / 2), "rp@5": pytest.approx((1 / 2 + 0) / 2)}


def test_title_skills_metrics_by_hand():
    rows = [{"title": "t", "occupation": "occ", "relevant": {"e": 2, "o": 1}}]
    # with its own occupation hidden the ranking finds "e" later
    ranking = {None: ["e", "x", "o"], "occ": ["x", "e", "o"]}
    metrics = title_skills.evaluate(rows, lambda titles, hidden: [ranking[h] for h in hidden])
    assert metrics["lookup_map"] == pytest.approx((1 / 1 + 2 / 3) / 2)
    dcg = 3 / math.log2(2) + 1 / math.log2(4)
    idcg = 3 / math.log2(2) + 1 / math.log2(3)
    assert metrics["lookup_ndcg@20"] == pytest.approx(dcg / idcg)
    assert metrics["map"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert list(metrics)[-1] == "map"


@pytest.fixture
def cli(reference, monkeypatch, capsys):
    """`python -m training.evaluate` in-process, on the session's reference data."""
    monkeypatch.setattr(evaluate.ReferenceData, "load", classmethod(lambda cls, *a, **k: reference))

    def run(task: str, path) -> list[str]:
        evaluate.main([task, "--data", str(path)])
        return capsys.readouterr().out.splitlines()

    return run


def test_every_metric_printed_and_the_primary_last(cli, tmp_path):
    files = {
        "skill-linking": [{"text": "I write Python services and unit tests.", "relevant": [[PY]]}],
        "title-soc": [
            {"title": "Wind Turbine Technician", "soc": "49-9081"},
            {"title": "Registered Nurse", "soc": "29-1141"},
        ],
        "title-skills": [{"title": "software developer", "relevant": {PY: 2}}],
        "matching": [
            {
                "external_id": "p1",
                "headline": "Registered Nurse",
                "summary": "ICU nurse, eight years.",
                "location": "Hazard, KY",
                "gold_soc": "29-1141",
                "accept_soc": [],
            },
            {"title": "Welder", "soc": "51-4121"},
        ],
    }
    for task, rows in files.items():
        path = tmp_path / f"{task}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        lines = cli(task, path)
        assert lines[0].startswith(f"# {task} on {path}")
        metrics = dict(line.split("=") for line in lines[1:])
        module = evaluate.TASKS[task]
        assert lines[-1].startswith(f"{module.PRIMARY}=")
        assert set(metrics) == set(module.evaluate(rows, evaluate.predictor(task, evaluate.ReferenceData.load(None))))
        if task == "title-soc":  # known answers
            assert metrics["top1"] == "1.0000"
        if task == "skill-linking":
            assert metrics["rp@5"] == "1.0000"
        if task == "title-skills":
            assert 0 < float(metrics["map"]) <= 1
        if task == "matching":  # a nurse and a welder: their own occupations first
            assert metrics["hit@1"] == "1.0000"


def test_a_file_that_is_not_jsonl_is_refused_with_its_line(cli, tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"title": "Nurse", "soc": "29-1141"}\n{not json\n')
    with pytest.raises(SystemExit, match="broken.jsonl:2: not JSON"):
        cli("title-soc", path)
