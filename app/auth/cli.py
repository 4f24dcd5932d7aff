"""`cci clients add|list|suspend|activate|rotate-key` and `cci signing-keys rotate`."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import clients, keystore, repository
from app.auth.clients import RegistryError, generate_client_key
from app.auth.models import ClientStatus
from app.auth.scopes import AgencyRole
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
