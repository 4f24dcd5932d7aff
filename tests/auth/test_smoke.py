import httpx

from app.auth.scopes import AgencyRole
from tests.fixtures.auth import AuthHeaders


async def test_token_then_protected_route(
    client: httpx.AsyncClient, auth_headers: AuthHeaders
) -> None:
    headers = await auth_headers(AgencyRole.HEALTH_UNSCHEDULED)
    response = await client.get("/_test/Patient/9000000009", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "health-unscheduled"
