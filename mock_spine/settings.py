"""Mock Spine configuration, from `CCI_SPINE_*` environment variables (pydantic-settings).

Every field is documented in the README's Mock Spine settings table; keep them in step.
"""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PDS_BASE_PATH = "/personal-demographics/FHIR/R4"
# PDS writes the production host into every fullUrl, even in its sandbox.
PDS_FULL_URL_BASE = "https://api.service.nhs.uk/personal-demographics/FHIR/R4"


class SpineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CCI_SPINE_", env_file=None, extra="ignore")

    database_url: str | None = Field(
        default=None, description="postgresql+asyncpg:// URL of the mock Spine's own database"
    )
    host: str = "127.0.0.1"
    port: int = 9000
    base_path: str = PDS_BASE_PATH
    full_url_base: str = PDS_FULL_URL_BASE
    log_level: str = "INFO"
    log_json: bool = False
    db_pool_size: int = 10
    seed_size: int = Field(default=10_000, description="people `cci serve` seeds on first start")
    seed: int = 42
    admin_enabled: bool = Field(default=False, description="expose /_admin developer controls")
    fault_latency_ms: int = Field(default=0, ge=0, description="added to every FHIR response")
    fault_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    rate_limit_tps: float = Field(default=0.0, ge=0.0, description="0 = no rate limiting")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.base_path}"


@lru_cache
def get_settings() -> SpineSettings:
    return SpineSettings()
