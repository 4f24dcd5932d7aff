"""Development only: one demo client per agency role, keys in the data folder, so a
fresh `cci serve` can be called at once (`cci clients token --client demo-police ...`).

The demo organisations' ODS codes are made up (DEMO...), never real ones."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import import_key
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import clients, repository
from app.auth.scopes import AgencyRole

DEMO_ODS = {
    AgencyRole.SOCIAL_CARE: ("DEMOLA", "Demo County Council children's services"),
    AgencyRole.HEALTH_UNSCHEDULED: ("DEMOED", "Demo Hospital emergency department"),
    AgencyRole.HEALTH_SCHEDULED: ("DEMOGP", "Demo Surgery"),
    AgencyRole.EDUCATION: ("DEMOSCH", "Demo Primary School MIS"),
    AgencyRole.POLICE: ("DEMOPOL", "Demo Constabulary"),
    AgencyRole.ADMIN: ("DEMOADM", "CCI Gateway operations"),
}


@dataclass(frozen=True, slots=True)
class DemoClient:
    role: AgencyRole
    client_id: str
    key_file: Path
    public_jwks: dict[str, Any]


def demo_keys(folder: Path) -> list[DemoClient]:
    """A key file per role in `folder`, made on first use and kept afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    demos = []
    for role in DEMO_ODS:
        key_file = folder / f"{role}.jwk.json"
        if not key_file.exists():
            key = clients.generate_client_key("ES384")
            key_file.write_text(json.dumps(key.as_dict(private=True), indent=2) + "\n")
            key_file.chmod(0o600)
        public = import_key(json.loads(key_file.read_text())).as_dict(private=False)
        demos.append(DemoClient(role, f"demo-{role}", key_file, {"keys": [public]}))
    return demos


async def ensure_demo_clients(session: AsyncSession, demos: list[DemoClient]) -> None:
    """Register what is missing; re-key a demo client whose key file was replaced."""
    for demo in demos:
        existing = await repository.get_client(session, demo.client_id)
        if existing is None:
            ods, name = DEMO_ODS[demo.role]
            await clients.register(
                session,
                role=demo.role,
                ods_code=ods,
                organisation_name=name,
                jwks=demo.public_jwks,
                client_id=demo.client_id,
            )
        elif existing.jwks != clients.public_jwks(demo.public_jwks):
            await repository.set_jwks(
                session, demo.client_id, clients.public_jwks(demo.public_jwks)
            )
