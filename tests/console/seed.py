"""A small tenant for the console's tests: manufacturing needs in an Ohio micro-hub (the West
Northwestern Ohio nonmetropolitan area), candidates in and around it and in large metros, local
and online programmes, and one candidate whose headline is a script."""

from __future__ import annotations

OHIO_HUB = "oews-3900001"  # West Northwestern Ohio nonmetropolitan area: a micro-hub, machining-heavy
XSS = "<script>alert(1)</script>"


def _candidate(ext: str, headline: str, summary: str, skills: list, location: str, **extra) -> dict:
    return {
        "external_id": ext,
        "headline": headline,
        "summary": summary,
        "skills": skills,
        "location": location,
        **extra,
    }


CANDIDATES = [
    _candidate(
        "oh-1",
        "CNC machinist",
        "Eight years running Haas and Fanuc CNC mills; reads blueprints; measures parts with micrometers.",
        ["CNC machining", "read engineering drawings", "use measurement instruments"],
        "Van Wert, OH",
    ),
    _candidate(
        "oh-2",
        "CNC operator",
        "Sets up and operates CNC lathes, inspects first articles, keeps the shop floor clean.",
        ["operate CNC lathe", "quality control"],
        "Lima, OH",
        willing_to_relocate=True,
    ),
    _candidate(
        "oh-3",
        "Welder",
        "MIG and TIG welding of steel frames; reads welding symbols; forklift certified.",
        ["welding", "read engineering drawings"],
        "Findlay, OH",
    ),
    _candidate(
        "oh-4",
        "Maintenance technician",
        "Troubleshoots hydraulics and PLC-controlled machines in a stamping plant.",
        ["hydraulics", "programmable logic controllers", "preventive maintenance"],
        "Defiance, OH",
        remote_ok=False,
    ),
    _candidate(
        "big-1",
        "CNC programmer",
        "Programs five-axis CNC machines with Mastercam; G-code; fixtures.",
        ["CNC machining", "computer-aided manufacturing"],
        "Chicago, IL",
        willing_to_relocate=True,
    ),
    _candidate(
        "big-2",
        "Machinist",
        "Manual and CNC machining, tool grinding, precision measurement.",
        ["CNC machining", "use measurement instruments"],
        "Columbus, OH",
    ),
    _candidate(
        "rem-1",
        "Quality inspector",
        "Inspects machined parts with CMM; writes non-conformance reports; works remotely on reports.",
        ["quality control", "use measurement instruments"],
        "Dayton, OH",
        remote_ok=True,
    ),
    _candidate(
        "xss-1",
        XSS,
        "A headline written to test escaping.",
        ["CNC machining"],
        "Lima, OH",
    ),
]

NEEDS = [
    {
        "external_id": "need-cnc",
        "employer": "Maumee Valley Components",
        "title": "CNC machinist",
        "description": "Set up and run CNC mills and lathes; inspect parts against drawings.",
        "required_skills": ["CNC machining", "read engineering drawings", "use measurement instruments"],
        "nice_to_have_skills": ["quality control"],
        "region_id": OHIO_HUB,
        "openings": 4,
    },
    {
        "external_id": "need-weld",
        "employer": "Maumee Valley Components",
        "title": "Welder",
        "description": "MIG welding of steel assemblies; read welding symbols.",
        "required_skills": ["welding", "read engineering drawings"],
        "region_id": OHIO_HUB,
        "openings": 2,
    },
    {
        "external_id": "need-maint",
        "employer": "Auglaize Stamping",
        "title": "Industrial maintenance technician",
        "description": "Maintain presses: hydraulics, PLCs, preventive maintenance.",
        "required_skills": ["hydraulics", "programmable logic controllers", "preventive maintenance"],
        "region_id": OHIO_HUB,
        "openings": 3,
    },
]

PROGRAMS = [
    {
        "external_id": "prog-cnc",
        "provider": "Northwest State Community College",
        "title": "CNC machining certificate",
        "skills_taught": ["CNC machining", "read engineering drawings", "use measurement instruments"],
        "region_id": OHIO_HUB,
        "delivery": "in_person",
        "hours": 120,
        "cost": 1800,
        "certification": "NIMS Machining Level I",
    },
    {
        "external_id": "prog-plc",
        "provider": "Online Industrial Academy",
        "title": "PLC fundamentals",
        "skills_taught": ["programmable logic controllers", "hydraulics"],
        "delivery": "online",
        "hours": 40,
        "cost": 400,
    },
    {
        "external_id": "prog-precision",
        "provider": "Northwest State Community College",
        "title": "Precision manufacturing technician",
        "skills_taught": [
            "operate precision measuring equipment",
            "apply precision metalworking techniques",
            "inspect quality of products",
            "production processes",
        ],
        "region_id": OHIO_HUB,
        "delivery": "in_person",
        "hours": 160,
        "cost": 2200,
        "certification": "NIMS Measurement, Materials and Safety",
    },
    {
        "external_id": "prog-weld",
        "provider": "Vantage Career Center",
        "title": "Welding technology",
        "skills_taught": ["welding", "read engineering drawings"],
        "region_id": OHIO_HUB,
        "delivery": "in_person",
        "hours": 200,
        "cost": 2500,
    },
]

SEED = {"candidate": CANDIDATES, "need": NEEDS, "program": PROGRAMS}
