"""`cci audit verify`: walk the hash chain and report the first broken link."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from app.audit.chain import BrokenLink
from app.audit.repository import chain_head
from app.audit.service import verify_chain
from app.auth.cli import database_url
from app.db import create_engine, create_sessionmaker

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail.")
console = Console(stderr=True)


async def verify_database(url: str) -> tuple[int, BrokenLink | None, str | None]:
    """(rows checked, first broken link, head hash) over one consistent snapshot."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        snapshot = engine.execution_options(isolation_level="REPEATABLE READ")
        async with create_sessionmaker(snapshot)() as session, session.begin():
            checked, broken = await verify_chain(session)
            head = await chain_head(session)
        return checked, broken, head.last_hash.hex() if head else None
    finally:
        await engine.dispose()


@audit_app.command("verify")
def verify(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data folder")] = None,
) -> None:
    """Exit 1 and name the first broken link when any row was changed, removed or forged."""
    checked, broken, head = asyncio.run(verify_database(database_url(data_dir)))
    if broken is not None:
        console.print(f"[red]audit chain broken at row {broken.seq}: {broken.reason}[/red]")
        console.print(f"{checked} rows verified before it")
        raise typer.Exit(1)
    typer.echo(f"audit chain intact: {checked} rows; head {head or '(empty)'}")
