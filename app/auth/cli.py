"""`cci clients add|list|suspend|activate|rotate-key|token` and `cci signing-keys rotate`."""

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import typer
from joserfc import jwt
from joserfc.jwk import import_key
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import clients, keystore, repository
from app.auth.client_assertion import ASSERTION_TYPE
from app.auth.clients import RegistryError, generate_client_key
from app.auth.demo import demo_keys, ensure_demo_clients
from app.auth.models import ClientStatus
from app.auth.scopes import AgencyRole
from app.auth.state import TOKEN_PATH
from app.db import create_engine, create_sessionmaker
from app.migrations import upgrade_database
from app.settings import get_settings
from cci.database import resolve_databases

clients_app = typer.Typer(no_args_is_help=True, help="Registered client systems.")
signing_keys_app = typer.Typer(no_args_is_help=True, help="The gateway's token signing keys.")
console = Console(stderr=True)
T = TypeVar("T")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data folder [env: CCI_DATA_DIR]")]


def database_url(data_dir: Path | None = None) -> str:
    """The gateway database (embedded unless CCI_DATABASE_URL), migrated to head."""
    settings = get_settings()
    url = (
        settings.database_url
        or asyncio.run(resolve_databases(None, None, data_dir or settings.data_dir)).gateway_url
    )
    upgrade_database(url)
    return url


def run_in_session(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = create_engine(url, pool_size=1, max_overflow=0)
        try:
            async with create_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except RegistryError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


def _write_private_key(path: Path, alg: str) -> dict[str, Any]:
    key = generate_client_key(alg)
    path.write_text(json.dumps(key.as_dict(private=True), indent=2) + "\n")
    path.chmod(0o600)
    return {"keys": [key.as_dict(private=False)]}


def _jwks(jwks_file: Path | None, generate_key: Path | None, alg: str) -> dict[str, Any]:
    if (jwks_file is None) == (generate_key is None):
        console.print("[red]give exactly one of --jwks FILE or --generate-key OUT[/red]")
        raise typer.Exit(2)
    if jwks_file is not None:
        loaded: dict[str, Any] = json.loads(jwks_file.read_text())
        return loaded
    assert generate_key is not None  # noqa: S101 - checked above
    return _write_private_key(generate_key, alg)


AlgOption = Annotated[str, typer.Option(help="Key algorithm for --generate-key")]


@clients_app.command("add")
def add(
    role: Annotated[AgencyRole, typer.Option(help="Agency role")],
    ods: Annotated[str, typer.Option(help="Organisation ODS code")],
    name: Annotated[str, typer.Option(help="Organisation name")],
    jwks: Annotated[Path | None, typer.Option(exists=True, help="Public JWKS file")] = None,
    generate_key: Annotated[
        Path | None, typer.Option(help="Write a new private JWK here; register its public half")
    ] = None,
    alg: AlgOption = "RS384",
    data_dir: DataDir = None,
) -> None:
    """Register a client system; the client id is the last line printed."""
    keys = _jwks(jwks, generate_key, alg)
    url = database_url(data_dir)

    async def work(session: AsyncSession) -> str:
        client = await clients.register(
            session, role=role, ods_code=ods, organisation_name=name, jwks=keys
        )
        return client.id

    client_id = run_in_session(url, work)
    if generate_key is not None:
        console.print(f"private key written to {generate_key} (keep it secret)")
    typer.echo(client_id)


@clients_app.command("list")
def list_clients(data_dir: DataDir = None) -> None:
    """Every registered client with its organisation, role, status and key ids."""
    rows = run_in_session(database_url(data_dir), repository.list_clients)
    table = Table("client id", "role", "ODS", "organisation", "status", "kids")
    for c in rows:
        kids = ", ".join(str(key.get("kid", ""))[:12] for key in c.jwks.get("keys", []))
        table.add_row(c.id, c.role.value, c.ods_code, c.organisation_name, c.status.value, kids)
    Console().print(table)


def _set_status(client_id: str, status: ClientStatus, data_dir: Path | None) -> None:
    run_in_session(database_url(data_dir), lambda s: clients.set_status(s, client_id, status))
    console.print(f"{client_id} is {status.value}")


@clients_app.command("suspend")
def suspend(client_id: str, data_dir: DataDir = None) -> None:
    """Refuse this client's tokens and token requests from now on."""
    _set_status(client_id, ClientStatus.SUSPENDED, data_dir)


@clients_app.command("activate")
def activate(client_id: str, data_dir: DataDir = None) -> None:
    """Lift a suspension."""
    _set_status(client_id, ClientStatus.ACTIVE, data_dir)


@clients_app.command("rotate-key")
def rotate_key(
    client_id: str,
    generate_key: Annotated[
        Path | None, typer.Option(help="Write the new private JWK here")
    ] = None,
    jwks: Annotated[Path | None, typer.Option(exists=True, help="New public JWKS")] = None,
    retire_old: Annotated[bool, typer.Option(help="Drop the previous keys now")] = False,
    alg: AlgOption = "RS384",
    data_dir: DataDir = None,
) -> None:
    """Add a new key beside the old ones (both verify until `--retire-old`)."""
    keys = _jwks(jwks, generate_key, alg)
    url = database_url(data_dir)

    async def work(session: AsyncSession) -> int:
        held = await clients.add_key(session, client_id, keys)
        if retire_old:
            await clients.retire_keys(session, client_id, keys["keys"][-1]["kid"])
            return 1
        return held

    held = run_in_session(url, work)
    console.print(f"{client_id} now has {held} key(s)")


@signing_keys_app.command("rotate")
def rotate_signing_key(data_dir: DataDir = None) -> None:
    """A new gateway signing key; instances pick it up within a minute, old tokens stay valid."""
    kid = run_in_session(database_url(data_dir), keystore.rotate)
    typer.echo(kid)


@clients_app.command("token")
def token(
    client: Annotated[str, typer.Option("--client", help="Client id")],
    key: Annotated[Path, typer.Option("--key", exists=True, help="Private JWK (JSON) file")],
    url: Annotated[str, typer.Option(help="Gateway base URL")] = "http://127.0.0.1:8000",
    scope: Annotated[str | None, typer.Option(help="Scopes to ask for (default: all)")] = None,
) -> None:
    """Get an access token with a signed client assertion; prints the token."""
    private = import_key(json.loads(key.read_text()))
    alg = str(private.alg or "RS384")
    now = int(time.time())
    token_url = url.rstrip("/") + TOKEN_PATH
    claims: dict[str, object] = {"iss": client, "sub": client, "aud": token_url}
    claims |= {"jti": str(uuid.uuid4()), "iat": now, "exp": now + 300}
    header = {"alg": alg, "kid": private.kid, "typ": "JWT"}
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": jwt.encode(header, claims, private, algorithms=[alg]),
    }
    if scope:
        form["scope"] = scope
    response = httpx.post(token_url, data=form, timeout=10)
    if response.status_code != 200:
        console.print(f"[red]{response.status_code}: {response.text}[/red]")
        raise typer.Exit(1)
    body = response.json()
    console.print(f"scope: {body['scope']}; expires in {body['expires_in']} s")
    typer.echo(body["access_token"])


def announce_demo_clients(database_url: str, data_dir: Path, base_url: str) -> None:
    """Development start-up: make sure the demo clients exist and say how to use them."""
    folder = data_dir / "demo-clients"
    made = demo_keys(folder)
    run_in_session(database_url, lambda session: ensure_demo_clients(session, made))
    console.print(f"[bold]Demo clients[/bold] (development only; private keys in {folder}):")
    for demo in made:
        console.print(f"  {demo.role.value:<20} {demo.client_id}")
    police = next(d for d in made if d.role is AgencyRole.POLICE)
    console.print(
        "  Get a token:  TOKEN=$(cci clients token "
        f"--client {police.client_id} --key {police.key_file} --url {base_url})\n"
        '  Call:         curl -H "Authorization: Bearer $TOKEN" -H "X-End-User-Id: u1" '
        '-H "X-End-User-Name: Sam Taylor" -H "X-End-User-Role: Detective constable" '
        '-H "X-Purpose-Of-Use: THREAT" -H "X-Purpose-Justification: Missing child enquiry" '
        f"{base_url}/Patient/9000000009"
    )
