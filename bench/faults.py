"""The fault suite: real `python -m bot run` workers against the HTTP sandbox, broken on purpose.

    python bench/faults.py [--only NAME] [--keep]

Every module in bench/fault_scenarios/ (not starting with _) defines NAME and
run(workdir) -> {"sent", "answered", "lost", "duplicated", ...}; one table row per scenario.
FAULTS_BOT_ROOT=/path/to/checkout runs that checkout's bot instead (a before figure).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLUMNS = ("sent", "answered", "lost", "duplicated")


def scenarios() -> list[ModuleType]:
    """Every scenario module, in name order."""
    import bench.fault_scenarios as package

    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name[0] != "_")
    return [importlib.import_module(f"bench.fault_scenarios.{name}") for name in names]


def row(name: str, result: dict[str, int] | str, seconds: float) -> str:
    """One line of the table."""
    if isinstance(result, str):
        return f"{name:<24} {result}"
    cells = " ".join(f"{result.get(c, 0):>10}" for c in COLUMNS)
    extra = " ".join(f"{k}={v}" for k, v in result.items() if k not in COLUMNS)
    return f"{name:<24} {cells} {seconds:>7.1f}s {extra}".rstrip()


def main() -> int:
    """Run the scenarios and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only the scenario of this NAME")
    parser.add_argument("--keep", action="store_true", help="keep each scenario's folder")
    args = parser.parse_args()
    chosen = [m for m in scenarios() if args.only in (None, m.NAME)]
    if not chosen:
        print(f"no scenario named {args.only}", file=sys.stderr)
        return 2
    print(f"{'scenario':<24} " + " ".join(f"{c:>10}" for c in COLUMNS) + "    time")
    for module in chosen:
        workdir = Path(tempfile.mkdtemp(prefix=f"fault-{module.NAME}-"))
        started = time.monotonic()
        try:
            result: dict[str, int] | str = module.run(workdir)
        except Exception as exc:
            if type(exc).__name__ != "Skipped":
                raise
            result = f"skipped: {exc}"
        print(row(module.NAME, result, time.monotonic() - started), flush=True)
        if args.keep:
            print(f"  (logs in {workdir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
