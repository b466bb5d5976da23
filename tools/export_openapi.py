#!/usr/bin/env python3
"""Write the dispatch API's OpenAPI document to docs/openapi.json (checked in; the test
tests/test_api.py::test_the_checked_in_openapi_document_is_the_served_one fails when it is
out of date). Usage: .venv/bin/python tools/export_openapi.py"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.api import make_app, openapi_document  # noqa: E402

OUT = ROOT / "docs" / "openapi.json"


def document() -> str:
    # The document depends on the routes only, not on a running wall.
    app = make_app(cast(Any, None), cast(Any, None), "x" * 32)
    return json.dumps(openapi_document(app), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    OUT.write_text(document(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
