"""`cci spine`: serve the mock Spine alone, seed its population, write an LA extract."""

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from mock_spine.settings import SpineSettings, get_settings

spine_app = typer.Typer(no_args_is_help=True, help="Mock Spine (PDS FHIR API) commands.")
console = Console(stderr=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Embedded database folder [env: CCI_DATA_DIR]")
]
Seed = Annotated[int | None, typer.Option(help="Generator seed [env: CCI_SPINE_SEED]")]


def spine_database_url(settings: SpineSettings, data_dir: Path | None) -> str:
    """CCI_SPINE_DATABASE_URL, else the `cci_spine` database beside the gateway's."""
    if settings.database_url:
        return settings.database_url
    from cci.database import resolve_databases

    folder = data_dir or Path(os.environ.get("CCI_DATA_DIR", ".cci"))
    targets = asyncio.run(resolve_databases(os.environ.get("CCI_DATABASE_URL"), None, folder))
    return targets.spine_url


def prepare(settings: SpineSettings, database_url: str) -> uvicorn.Config:
    """Migrate and (on first start) seed the Spine database; the server config to run it."""
    from mock_spine.generator.seed import seed_population
    from mock_spine.main import create_app

    result = asyncio.run(seed_population(database_url, size=settings.seed_size, seed=settings.seed))
    if not result.skipped:
        console.print(f"seeded {result.people:,} people in {result.seconds:.1f} s")
    app = create_app(settings.model_copy(update={"database_url": database_url}))
    return uvicorn.Config(
        app, host=settings.host, port=settings.port, log_config=None, access_log=False
    )


@spine_app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="[env: CCI_SPINE_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="[env: CCI_SPINE_PORT]")] = None,
    size: Annotated[int | None, typer.Option(help="People to seed on first start")] = None,
    seed: Seed = None,
    admin: Annotated[bool, typer.Option(help="Enable /_admin developer controls")] = False,
    data_dir: DataDir = None,
) -> None:
    """Run the mock Spine alone (seeding it on first start)."""
    from cci.serve import serve_all

    updates: dict[str, object] = {"host": host, "port": port, "seed_size": size, "seed": seed}
    settings = get_settings().model_copy(
        update={key: value for key, value in updates.items() if value is not None}
    )
    if admin:
        settings = settings.model_copy(update={"admin_enabled": True})
    config = prepare(settings, spine_database_url(settings, data_dir))
    console.print(f"[bold]Mock Spine[/bold] on {settings.url}")
    asyncio.run(serve_all([config]))


@spine_app.command()
def seed(
    size: Annotated[int, typer.Option(help="Synthetic people")] = 10_000,
    seed: Annotated[int, typer.Option(help="Generator seed")] = 42,
    force: Annotated[bool, typer.Option(help="Replace an existing population")] = False,
    workers: Annotated[int, typer.Option(help="Generator processes")] = 2,
    data_dir: DataDir = None,
) -> None:
    """Seed the population (deterministic per seed) and the sandbox test patients."""
    from mock_spine.generator.seed import seed_population

    url = spine_database_url(get_settings(), data_dir)
    result = asyncio.run(seed_population(url, size=size, seed=seed, workers=workers, force=force))
    if result.skipped:
        console.print("already seeded; use --force to replace the population")
        return
    console.print(
        f"seeded {result.people:,} people ({result.records:,} records) in {result.seconds:.1f} s"
    )


@spine_app.command()
def extract(
    children: Annotated[int, typer.Option(help="Distinct children in the extract")] = 1_000,
    seed: Annotated[int, typer.Option(help="Seed of the Spine population")] = 42,
    size: Annotated[int, typer.Option(help="Size of the Spine population")] = 10_000,
    out: Annotated[Path, typer.Option(help="Output folder")] = Path("la-extract"),
) -> None:
    """Write an LA case-system extract (la_extract.csv) and its truth file."""
    from mock_spine.generator.extract import generate_extract, naive_exact_match_rate, write_extract

    result = generate_extract(children, seed, size)
    rows_path, truth_path = write_extract(result, out)
    rate = naive_exact_match_rate(result, seed, size)
    console.print(f"wrote {len(result.rows):,} rows to {rows_path} and the truth to {truth_path}")
    console.print(f"a naive exact match finds {rate:.1%} of rows")
