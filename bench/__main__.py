"""Run every benchmark and print its results (record them in bench/RESULTS.md)."""

from __future__ import annotations

import json

from bench import foundation

if __name__ == "__main__":
    print(json.dumps({"foundation": foundation.run()}, indent=1))
