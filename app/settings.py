"""Gateway configuration, from `CCI_*` environment variables (pydantic-settings).

Every field is documented in the README's configuration table; keep them in step.
"""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CCI_", env_file=None, extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str | None = Field(
        default=None,
        description="postgresql+asyncpg:// URL; unset means the CLI starts embedded PostgreSQL",
    )
    data_dir: Path = Path(".cci")
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str | None = Field(
        default=None, description="Absolute base URL clients use; defaults to http://host:port"
    )
    log_level: str = "INFO"
    log_json: bool = False
    db_pool_size: int = 10
    db_max_overflow: int = 10
    spine_base_url: str = "http://127.0.0.1:9000/personal-demographics/FHIR/R4"

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()
