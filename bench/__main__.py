"""Run the benchmarks and print their results (record them in bench/RESULTS.md).

`python -m bench` runs them all; `python -m bench dispatch live_ingest` runs the ones named.
"""

from __future__ import annotations

import importlib
import json
import sys

ALL = ["foundation", "live_ingest", "live_fanout", "dispatch", "dashboard", "drills", "interchange"]

if __name__ == "__main__":
    names = sys.argv[1:] or ALL
    unknown = sorted(set(names) - set(ALL))
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(ALL)}")
    results = {}
    for name in names:
        results[name] = importlib.import_module(f"bench.{name}").run()
        print(json.dumps({name: results[name]}, indent=1), flush=True)
