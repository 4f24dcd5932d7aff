"""Subscription routes: rest-hook registrations for an LA's notifications, and the
pollable feed for LAs without an endpoint."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Body, Query, Request, Response

from app.auth.dependencies import SubscriptionReader, SubscriptionWriter
from app.cpis import subscriptions
from app.cpis.bundles import notification_feed
from app.cpis.outbox import feed
from app.cpis.schemas import NotificationFeed, SubscriptionBundle, SubscriptionModel
from app.db import SessionDep
from app.fhir.bundles import match_entry, searchset
from app.fhir.responses import FHIRResponse
from app.fhir.routing import fhir_interaction, fhir_operation, fhir_router
from app.fhir.schemas import error_responses
from app.settings import Settings

router = fhir_router(tags=["CP-IS notifications"])
FEED_DEFINITION = "https://cci-gateway.example.org/OperationDefinition/cpis-notifications"
SubscriptionBody = Annotated[dict[str, Any], Body(description="A FHIR R4 Subscription")]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/Subscription",
    response_model=SubscriptionModel,
    status_code=201,
    summary="Register for notifications",
    responses=error_responses(400, 401, 403, 415, 429),
    openapi_extra=fhir_interaction("Subscription", "create"),
)
async def create_subscription(
    request: Request, resource: SubscriptionBody, session: SessionDep, principal: SubscriptionWriter
) -> Response:
    """A rest-hook Subscription for notifications about your own plans (active at once)."""
    values = subscriptions.parse_subscription(resource, _settings(request))
    created = await subscriptions.create_subscription(session, principal, values, datetime.now(UTC))
    location = f"{_settings(request).base_url}/Subscription/{created.id}"
    return FHIRResponse(
        subscriptions.render_subscription(created), status_code=201, headers={"Location": location}
    )


@router.get(
    "/Subscription",
    response_model=SubscriptionBundle,
    summary="Your subscriptions",
    responses=error_responses(401, 403, 406, 429),
    openapi_extra=fhir_interaction("Subscription", "search-type"),
)
async def list_subscriptions(
    request: Request, session: SessionDep, principal: SubscriptionReader
) -> Response:
    """Every Subscription of the caller's organisation, with delivery errors if any."""
    found = await subscriptions.list_subscriptions(session, principal)
    base = _settings(request).base_url
    entries = [
        match_entry(f"{base}/Subscription/{s.id}", subscriptions.render_subscription(s))
        for s in found
    ]
    return FHIRResponse(searchset(entries))


@router.get(
    "/Subscription/$notifications",
    response_model=NotificationFeed,
    summary="Poll your notifications",
    responses=error_responses(400, 401, 403, 406, 429),
    openapi_extra=fhir_operation("notifications", FEED_DEFINITION, resource="Subscription"),
)
async def poll_notifications(
    request: Request,
    session: SessionDep,
    principal: SubscriptionReader,
    after: Annotated[int, Query(ge=0, description="The last sequence you have seen")] = 0,
    count: Annotated[int, Query(alias="_count", ge=1, le=500)] = 100,
) -> Response:
    """Every notification for your organisation after the cursor, oldest first; follow
    `next`. Works whether or not you have a rest-hook endpoint."""
    found = await feed(session, principal.ods_code, after=after, count=count)
    base = _settings(request).base_url
    return FHIRResponse(notification_feed(found, base_url=base, after=after, count=count))


@router.get(
    "/Subscription/{subscription_id}",
    response_model=SubscriptionModel,
    summary="Read a subscription",
    responses=error_responses(401, 403, 404, 406, 429),
    openapi_extra=fhir_interaction("Subscription", "read"),
)
async def read_subscription(
    subscription_id: str, session: SessionDep, principal: SubscriptionReader
) -> Response:
    """One of your subscriptions (header values withheld)."""
    found = await subscriptions.get_subscription(session, principal, subscription_id)
    return FHIRResponse(subscriptions.render_subscription(found))


@router.put(
    "/Subscription/{subscription_id}",
    response_model=SubscriptionModel,
    summary="Change or pause a subscription",
    responses=error_responses(400, 401, 403, 404, 415, 429),
    openapi_extra=fhir_interaction("Subscription", "update"),
)
async def update_subscription(
    request: Request,
    subscription_id: str,
    resource: SubscriptionBody,
    session: SessionDep,
    principal: SubscriptionWriter,
) -> Response:
    """Replace a subscription; `status: off` pauses deliveries (the feed keeps everything)."""
    values = subscriptions.parse_subscription(resource, _settings(request))
    updated = await subscriptions.update_subscription(
        session, principal, subscription_id, values, datetime.now(UTC)
    )
    return FHIRResponse(subscriptions.render_subscription(updated))


@router.delete(
    "/Subscription/{subscription_id}",
    status_code=204,
    summary="Delete a subscription",
    responses=error_responses(401, 403, 404, 429),
    openapi_extra=fhir_interaction("Subscription", "delete"),
)
async def delete_subscription(
    subscription_id: str, session: SessionDep, principal: SubscriptionWriter
) -> Response:
    """Stop deliveries to that endpoint; undelivered notifications stay in the feed."""
    await subscriptions.delete_subscription(session, principal, subscription_id)
    return Response(status_code=204)
