"""`cci`: start the service and run its operational tasks."""

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from app import __version__
from app.audit.cli import audit_app
from app.auth.cli import announce_demo_clients, clients_app, signing_keys_app
from app.cpis.cli import flags_app, recheck_task, worker_command, worker_task
from app.main import create_app
from app.migrations import upgrade_database
from app.settings import Environment, Settings, get_settings
from cci.database import DatabaseTargets, resolve_databases
from cci.serve import serve_all
from mock_spine.cli import prepare as prepare_spine
from mock_spine.cli import spine_app
from mock_spine.settings import get_settings as get_spine_settings

app = typer.Typer(no_args_is_help=True, help="CCI Gateway command line.")
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
app.add_typer(db_app, name="db")
app.add_typer(spine_app, name="spine")
app.add_typer(clients_app, name="clients")
app.add_typer(signing_keys_app, name="signing-keys")
app.add_typer(audit_app, name="audit")
app.add_typer(flags_app, name="flags")
app.command("worker")(worker_command)
console = Console(stderr=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder for the embedded database [env: CCI_DATA_DIR]"),
]


def load_settings(data_dir: Path | None = None) -> Settings:
    settings = get_settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings


def databases(settings: Settings) -> DatabaseTargets:
    """The gateway and Spine database URLs, starting the embedded server when needed."""
    import os

    return asyncio.run(
        resolve_databases(
            settings.database_url, os.environ.get("CCI_SPINE_DATABASE_URL"), settings.data_dir
        )
    )


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDirOption = None) -> None:
    """Apply every database migration (gateway database)."""
    targets = databases(load_settings(data_dir))
    upgrade_database(targets.gateway_url)
    console.print("[green]gateway database is at the latest revision[/green]")


@app.command()
def openapi(
    check: Annotated[bool, typer.Option(help="Fail if the committed file is out of date")] = False,
) -> None:
    """Write openapi/gateway.json from the application's routes."""
    from app.openapi import OPENAPI_PATH, render_openapi

    rendered = render_openapi()
    if check:
        if not OPENAPI_PATH.exists() or OPENAPI_PATH.read_text() != rendered:
            console.print(f"[red]{OPENAPI_PATH} is out of date: run `cci openapi`[/red]")
            raise typer.Exit(1)
        return
    OPENAPI_PATH.write_text(rendered)
    console.print(f"wrote {OPENAPI_PATH}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on [env: CCI_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Gateway port [env: CCI_PORT]")] = None,
    spine_port: Annotated[
        int | None, typer.Option("--spine-port", help="Mock Spine port [env: CCI_SPINE_PORT]")
    ] = None,
    with_spine: Annotated[
        bool | None,
        typer.Option(
            "--spine/--no-spine",
            help="Also run the bundled mock Spine [default: on unless CCI_SPINE_BASE_URL is set]",
        ),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Start the gateway, the mock Spine and the notification worker, migrating first
    (embedded PostgreSQL unless CCI_DATABASE_URL is set)."""
    started = time.perf_counter()
    settings = load_settings(data_dir)
    updates: dict[str, object] = {}
    if host is not None:
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    settings = settings.model_copy(update=updates)
    targets = databases(settings)
    upgrade_database(targets.gateway_url)
    settings = settings.model_copy(update={"database_url": targets.gateway_url})
    spine = get_spine_settings()
    if spine_port is not None:
        spine = spine.model_copy(update={"port": spine_port})
    spine_configured = "spine_base_url" in settings.model_fields_set
    if with_spine is None:
        with_spine = not spine_configured
    if with_spine and not spine_configured:
        # The gateway talks to the Spine started here, wherever --spine-port put it.
        settings = settings.model_copy(update={"spine_base_url": spine.url})
    if settings.environment is Environment.DEVELOPMENT:
        announce_demo_clients(targets.gateway_url, settings.data_dir, settings.base_url)
    gateway = create_app(settings)
    configs = [
        uvicorn.Config(
            gateway, host=settings.host, port=settings.port, log_config=None, access_log=False
        )
    ]
    if with_spine:
        # Seeded with 10,000 people on first start.
        configs.append(prepare_spine(spine, targets.spine_url))
    where = (
        "embedded PostgreSQL in " + str(settings.data_dir)
        if targets.embedded
        else "CCI_DATABASE_URL"
    )
    console.print(
        f"[bold]CCI Gateway[/bold] {__version__} on {settings.base_url}, Spine at "
        f"{settings.spine_base_url}{' (mock, started here)' if with_spine else ''} "
        f"(database: {where}; ready in {time.perf_counter() - started:.1f} s)"
    )
    # The notification worker and the scheduled Spine re-check run in the same loop;
    # more workers can run as `cci worker`.
    background = [
        worker_task(settings, targets.gateway_url),
        recheck_task(settings, targets.gateway_url),
    ]
    asyncio.run(serve_all(configs, background=background))


if __name__ == "__main__":
    app()
