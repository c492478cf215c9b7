"""Print what the pack says, for a person to read and judge.

    python -m training.review role-skills                      # every SOC occupation
    python -m training.review role-skills --soc 51-4041 29-1141  # some
    python -m training.review role-skills --major 47           # one major group

For each occupation: its required and nice-to-have skills with their weight and sources, and
the ESCO occupations they are pooled from (and how each is linked).
"""

from __future__ import annotations

import argparse
import sys

from models.core.artifacts import read_json
from models.core.settings import load_settings
from models.reference.skill_space import ROLE_SKILLS_FILE, ROLE_SKILLS_KIND


def role_skills_report(pack_dir, codes: list[str] | None = None, major: str | None = None, out=sys.stdout) -> int:
    """Writes the report; returns the number of occupations shown."""
    table = read_json(pack_dir / ROLE_SKILLS_KIND / ROLE_SKILLS_FILE)
    socs = {s["code"]: s["title"] for s in read_json(pack_dir / "titles" / "socs.json")}
    labels = {s["id"]: s["label"] for s in read_json(pack_dir / "taxonomy" / "skills.json")}
    shown = 0
    for code in sorted(table):
        if (codes and code not in codes) or (major and not code.startswith(major)):
            continue
        entry = table[code]
        about = {item["id"]: item for item in entry.get("skills", [])}
        print(f"{code}  {socs.get(code, '?')}", file=out)
        links = ", ".join(f"{o['label']} ({o['how']})" for o in entry.get("esco_occupations", [])[:8])
        print(f"  from: {links or 'no ESCO occupation'}", file=out)
        for kind in ("required", "nice"):
            for uri in entry[kind]:
                item = about.get(uri, {})
                sources = "; ".join(item.get("sources", []))
                print(f"  {kind[:4]}  {labels.get(uri, uri):55s} {item.get('weight', 0):.2f}  {sources}", file=out)
        print(file=out)
        shown += 1
    return shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    roles = commands.add_parser("role-skills", help="each SOC occupation's required and nice-to-have skills")
    roles.add_argument("--soc", nargs="*", help="SOC 2018 codes (default: all)")
    roles.add_argument("--major", help="a major group, e.g. 47")
    roles.add_argument("--data-dir", help="overrides TALENT_DATA_DIR")
    args = parser.parse_args(argv)
    settings = load_settings({"data_dir": args.data_dir} if args.data_dir else None)
    shown = role_skills_report(settings.pack_path, args.soc, args.major)
    if not shown:
        print("no occupation matched", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
