"""Request and response bodies of the /_admin developer controls."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class NewPatient(BaseModel):
    nhs_number: str | None = Field(
        default=None, description="allocated from the 999 range if unset"
    )
    given: list[str] = Field(min_length=1, max_length=5)
    family: str
    gender: Literal["male", "female", "other", "unknown"]
    birth_date: date
    address_lines: list[str] = Field(default_factory=list)
    postcode: str | None = None
    general_practitioner: str | None = None
    phone: str | None = None
    email: str | None = None
    security: Literal["U", "R", "V"] = "U"
    parents: list[str] = Field(default_factory=list, description="NHS numbers of parents")


class Merge(BaseModel):
    into: str = Field(description="the surviving NHS number")


class Restrict(BaseModel):
    security: Literal["U", "R", "V"] = "R"


class Deceased(BaseModel):
    death_date: date
    notification: Literal["1", "2"] = "2"


class NameChange(BaseModel):
    given: list[str] = Field(min_length=1, max_length=5)
    family: str


class AddressChange(BaseModel):
    lines: list[str] = Field(min_length=1, max_length=5)
    postcode: str | None = None


class PatientState(BaseModel):
    nhs_number: str
    status: str
    superseded_by: str | None
    security: str
    version_id: int


class FaultSettings(BaseModel):
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: Literal[500, 502, 503, 504] = 500
    rate_limit_tps: float = Field(default=0.0, ge=0.0, description="0 = off; PDS default is 5")
