"""Audit tests drive the gateway with the auth tests' protected routes."""

from tests.auth.conftest import gateway_app

__all__ = ["gateway_app"]
