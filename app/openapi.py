"""Render the committed OpenAPI document (`openapi/gateway.json`) from the app itself."""

import json
from pathlib import Path
from typing import Any

from app.main import create_app
from app.settings import Settings

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi" / "gateway.json"
REGENERATE_COMMAND = "cci openapi"


def render_openapi() -> str:
    # No database is touched: the schema is derived from routes alone.
    app = create_app(Settings(database_url="postgresql+asyncpg://unused/unused"))
    document: dict[str, Any] = app.openapi()
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
