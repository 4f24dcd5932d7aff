"""FastAPI dependencies of the trace package: the lifespan's Spine client.

Async although they await nothing: FastAPI runs a plain `def` dependency in its
thread pool, a thread hand-off on every request for an attribute lookup.
"""

from typing import Annotated

from fastapi import Depends, Request

from app.settings import Settings
from app.trace.spine_client import SpineClient


async def get_spine_client(request: Request) -> SpineClient:
    client: SpineClient = request.app.state.spine_client
    return client


SpineClientDep = Annotated[SpineClient, Depends(get_spine_client)]


async def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
