"""Gateway configuration, from `CCI_*` environment variables (pydantic-settings).

Every field is documented in the README's configuration table; keep them in step.
"""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.auth.rate_limit import RateLimit
from app.auth.scopes import AgencyRole


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
    spine_access_token: SecretStr | None = Field(
        default=None, description="Static bearer token for the Spine; unset sends none (mock)"
    )
    spine_connect_timeout_seconds: float = 2.0
    spine_read_timeout_seconds: float = 5.0
    spine_deadline_seconds: float = Field(
        default=8.0, description="Upper bound on one Spine call, retries and waits included"
    )
    spine_max_retries: int = Field(default=2, ge=0, le=5)
    spine_backoff_base_seconds: float = 0.1
    spine_backoff_max_seconds: float = 2.0
    spine_breaker_failure_threshold: int = Field(default=5, ge=1)
    spine_breaker_reset_seconds: float = 10.0
    spine_max_concurrency: int = Field(default=10, ge=1)
    spine_rate_limit_tps: float = Field(
        default=5.0, ge=0, description="Outbound requests per second to the Spine; 0 = unlimited"
    )
    trace_deadline_seconds: float = Field(
        default=20.0, description="Upper bound on one $match, all of its Spine calls included"
    )
    trace_max_spine_calls: int = Field(default=10, ge=1, le=30)

    # Auth (app/auth): token-bucket overrides per agency role (JSON), e.g.
    # CCI_RATE_LIMITS='{"police": {"per_second": 5, "burst": 10}}'
    rate_limits: dict[AgencyRole, RateLimit] = Field(
        default_factory=dict, description="Per-role rate limit overrides of the defaults"
    )
    client_status_cache_seconds: float = Field(
        default=5.0, ge=0, description="How long a suspension may take to reach an instance"
    )

    # CP-IS flags (app/cpis): notification window, rest-hook delivery and its retries.
    cpis_notification_window_hours: float = Field(
        default=24.0,
        gt=0,
        description="At most one access notification per child per org per window",
    )
    cpis_delivery_max_attempts: int = Field(
        default=8, ge=1, description="Rest-hook attempts before a delivery is dead-lettered"
    )
    cpis_delivery_backoff_base_seconds: float = Field(default=2.0, gt=0)
    cpis_delivery_backoff_max_seconds: float = Field(default=900.0, gt=0)
    cpis_delivery_timeout_seconds: float = Field(default=10.0, gt=0)
    cpis_delivery_lease_seconds: float = Field(
        default=60.0, gt=0, description="A claimed delivery is retried by any worker after this"
    )
    cpis_worker_poll_seconds: float = Field(default=1.0, gt=0)
    cpis_recheck_interval_minutes: float = Field(
        default=60.0,
        ge=0,
        description="How often `cci serve` re-checks flagged numbers in the Spine (0: never)",
    )
    cpis_worker_batch_size: int = Field(default=50, ge=1)
    cpis_batch_max_entries: int = Field(default=20000, ge=1)
    cpis_batch_spine_concurrency: int = Field(default=8, ge=1)
    cpis_batch_commit_every: int = Field(
        default=200,
        ge=1,
        description="Applied batch entries per commit; each commit briefly holds the audit "
        "chain head that every audited read waits for",
    )
    cpis_record_reads: bool = Field(
        default=True,
        description="Benchmark switch only: false skips access events, notifications and "
        "read audit; refused in production",
    )

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()
