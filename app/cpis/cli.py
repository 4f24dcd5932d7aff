"""CP-IS commands: `cci flags upload`, `cci flags recheck` and `cci worker`."""

import asyncio
import contextlib
import csv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.auth.context import END_USER_ID, END_USER_NAME, END_USER_ROLE
from app.cpis import upload
from app.cpis.recheck import RecheckReport, recheck
from app.cpis.worker import Policy, run_worker
from app.db import create_engine, create_sessionmaker
from app.settings import Settings, get_settings
from app.trace.spine_client import SpineClient
from cci.database import resolve_databases
from cci.serve import BackgroundTask
from cci_common.logging import configure_logging

flags_app = typer.Typer(no_args_is_help=True, help="CP-IS child protection flags.")
console = Console(stderr=True)
log = structlog.get_logger("app.cpis")


def _database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    targets = asyncio.run(resolve_databases(None, None, settings.data_dir))
    return targets.gateway_url


@flags_app.command("upload")
def upload_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The LA's CSV")],
    client: Annotated[str, typer.Option("--client", help="Your client id")],
    key: Annotated[Path, typer.Option("--key", exists=True, help="Your private JWK (JSON)")],
    user_id: Annotated[str, typer.Option(envvar="CCI_USER_ID", help="Who is uploading: id")],
    user_name: Annotated[str, typer.Option(envvar="CCI_USER_NAME", help="... full name")],
    user_role: Annotated[str, typer.Option(envvar="CCI_USER_ROLE", help="... job title")],
    url: Annotated[str, typer.Option(help="Gateway base URL")] = "http://127.0.0.1:8000",
    chunk: Annotated[int, typer.Option(min=1, max=5000, help="Rows per batch request")] = 500,
    report: Annotated[Path | None, typer.Option(help="Results CSV [FILE.results.csv]")] = None,
) -> None:
    """Upload plans from CSV; every row's result goes to the report, nothing is dropped.

    Exits 2 if any row was refused; 1 if the upload stopped, with the rows it could not
    confirm reported as such (rows are idempotent: send the file again)."""
    end_user = {END_USER_ID: user_id, END_USER_NAME: user_name, END_USER_ROLE: user_role}
    report = report or file.with_suffix(".results.csv")
    counts: Counter[str] = Counter()
    try:
        rows = upload.read_rows(file)
        with upload.Uploader(url, client, upload.load_key(key), end_user) as uploader:
            uploader.authenticate()
            with report.open("w", newline="") as handle:
                writer = csv.DictWriter(handle, upload.REPORT_COLUMNS)
                writer.writeheader()
                stopped = _upload_chunks(uploader, rows, chunk, writer, counts)
    except upload.UploadError as exc:
        # Nothing was sent: a file, key or credential problem.
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    applied, refused = counts["applied"], counts["refused"]
    if stopped:
        unconfirmed = counts[upload.NOT_CONFIRMED]
        console.print(f"[red]{stopped}[/red]")
        console.print(
            f"[red]{applied} applied, {refused} refused, {unconfirmed} not confirmed[/red]; "
            f"details in {report}. Rows are idempotent: send the file again."
        )
        raise typer.Exit(1)
    colour = "green" if not refused else "yellow"
    console.print(f"[{colour}]{applied} applied, {refused} refused[/{colour}]; details in {report}")
    if refused:
        raise typer.Exit(2)


def _upload_chunks(
    uploader: upload.Uploader,
    rows: list[upload.Row],
    chunk: int,
    writer: "csv.DictWriter[str]",
    counts: Counter[str],
) -> str | None:
    """Posts the rows chunk by chunk, writing each row's result; the reason it stopped early."""
    columns = TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("Uploading plans", total=len(rows))
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            try:
                entries = uploader.post(part)
            except upload.UploadError as exc:
                # This chunk may have been applied (e.g. a timeout); later ones were not sent.
                for row in rows[start:]:
                    writer.writerow(upload.not_confirmed_row(row, str(exc)))
                    counts[upload.NOT_CONFIRMED] += 1
                return str(exc)
            for row, entry in zip(part, entries, strict=True):
                result = upload.result_row(row, entry)
                writer.writerow(result)
                counts["applied" if result["status"].startswith(("200", "201")) else "refused"] += 1
            progress.advance(task, len(part))
    return None


async def _recheck_once(settings: Settings, database_url: str) -> RecheckReport:
    engine = create_engine(database_url, pool_size=2, max_overflow=2)
    spine = SpineClient.from_settings(settings)
    try:
        return await recheck(create_sessionmaker(engine), spine, now=datetime.now(UTC))
    finally:
        await spine.aclose()
        await engine.dispose()


@flags_app.command("recheck")
def recheck_command() -> None:
    """End plans at 18 and notify LAs of flagged NHS numbers now inactive in the Spine."""
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    console.print(asyncio.run(_recheck_once(settings, _database_url(settings))))


def recheck_task(settings: Settings, database_url: str) -> BackgroundTask:
    """`cci flags recheck` on a schedule, as a `serve_all` background task (`cci serve`).

    Until a merge is re-checked, a read by the surviving number does not find plans
    uploaded under the old one, so the interval bounds that window."""
    interval = settings.cpis_recheck_interval_minutes * 60

    async def run(stopping: asyncio.Event) -> None:
        while interval and not stopping.is_set():
            try:
                await _recheck_once(settings, database_url)
            except Exception as exc:
                # The next round retries; the type only, as messages can quote data.
                log.error("cpis.recheck_failed", error=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), interval)

    return run


def worker_task(settings: Settings, database_url: str) -> BackgroundTask:
    """The delivery worker as a `serve_all` background task (`cci serve`)."""

    async def run(stopping: asyncio.Event) -> None:
        engine = create_engine(database_url, pool_size=2, max_overflow=2)
        try:
            await run_worker(create_sessionmaker(engine), Policy.from_settings(settings), stopping)
        finally:
            await engine.dispose()

    return run


def worker_command() -> None:
    """Deliver notifications to LA endpoints until interrupted (any number may run)."""
    import signal

    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    task = worker_task(settings, _database_url(settings))

    async def run() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        await task(stopping)

    asyncio.run(run())
