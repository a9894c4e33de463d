"""Print the API's OpenAPI document, which the dashboard's types are generated from.

`npm run api-types` in frontend/ pipes it into openapi-typescript to rewrite `src/api-types.ts`;
a test fails while that committed file is behind the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))  # this checkout's code, whatever the venv points at

from commandpost.app import create_app  # noqa: E402
from commandpost.config import Settings  # noqa: E402


def document() -> dict[str, Any]:
    """The OpenAPI document of the app (it does not depend on the settings' database)."""
    return create_app(Settings(database_url="sqlite://")).openapi()


if __name__ == "__main__":
    sys.stdout.write(json.dumps(document(), ensure_ascii=False))
