"""The mock Spine's schema: its own Alembic environment, run programmatically."""

from pathlib import Path

from alembic.config import Config

from alembic import command

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_schema(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
