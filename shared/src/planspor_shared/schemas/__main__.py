"""``python -m planspor_shared.schemas [--check | --catalogue]``.

Writes the event schemas and the catalogue table of shared/README.md, or checks that they are current.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planspor_shared.schemas import (
    README_PATH,
    SCHEMA_DIR,
    catalogue_markdown,
    readme_is_current,
    stale_files,
    write_files,
    write_readme,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m planspor_shared.schemas", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 naming stale files instead of writing")
    parser.add_argument("--catalogue", action="store_true", help="print the event catalogue as a Markdown table")
    parser.add_argument("--root", type=Path, default=SCHEMA_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root: Path = args.root
    if args.catalogue:
        sys.stdout.write(catalogue_markdown())
        return 0
    if args.check:
        problems = stale_files(root=root)
        if root == SCHEMA_DIR and not readme_is_current():
            problems.append(f"stale: catalogue table in {README_PATH}")
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python -m planspor_shared.schemas", file=sys.stderr)
            return 1
        print(f"schemas current in {root}")
        return 0
    changed = write_files(root=root)
    for path in changed:
        print(f"wrote {path.relative_to(root)}" if path.exists() else f"removed {path.relative_to(root)}")
    print(f"{len(changed)} schema file(s) changed in {root}")
    if root == SCHEMA_DIR and write_readme():
        print(f"updated the catalogue table in {README_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
