"""The mock Spine's tables: one row per NHS number, plus search tables built from it.

`patient.record` holds the FHIR-shaped lists (names, addresses, telecom, contacts,
extensions) the service renders; `search_*` hold normalised copies of the same
data, one row per name/address/telecom, current and historic, for matching.
Secondary indexes are listed in SEARCH_INDEXES so a bulk load can drop them and
build them once after COPY.
"""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cci_common.database import conventional_metadata


class Base(DeclarativeBase):
    metadata = conventional_metadata()


class Patient(Base):
    __tablename__ = "patient"

    nhs_number: Mapped[str] = mapped_column(String(10), primary_key=True)
    # active | superseded (merged into superseded_by) | invalidated
    status: Mapped[str] = mapped_column(String(12), default="active")
    superseded_by: Mapped[str | None] = mapped_column(String(10))
    security: Mapped[str] = mapped_column(String(1), default="U")
    version_id: Mapped[int] = mapped_column(Integer, default=1)
    gender: Mapped[str | None] = mapped_column(String(7))
    birth_date: Mapped[date | None] = mapped_column(Date)
    death_date: Mapped[date | None] = mapped_column(Date)
    # 1 informal, 2 formal (registrar), as the DeathNotificationStatus code system
    death_notification: Mapped[str | None] = mapped_column(String(1))
    multiple_birth: Mapped[int | None] = mapped_column(SmallInteger)
    gp_ods: Mapped[str | None] = mapped_column(String(10))
    household_id: Mapped[int | None] = mapped_column(Integer)
    record: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict)


class SearchName(Base):
    __tablename__ = "search_name"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    nhs_number: Mapped[str] = mapped_column(String(10))
    use: Mapped[str] = mapped_column(String(8))
    current: Mapped[bool] = mapped_column(Boolean)
    family: Mapped[str | None] = mapped_column(Text)
    given: Mapped[str | None] = mapped_column(Text)
    given_rest: Mapped[str | None] = mapped_column(Text)
    birth_date: Mapped[date | None] = mapped_column(Date)


class SearchAddress(Base):
    __tablename__ = "search_address"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    nhs_number: Mapped[str] = mapped_column(String(10))
    current: Mapped[bool] = mapped_column(Boolean)
    postcode: Mapped[str] = mapped_column(Text)


class SearchTelecom(Base):
    __tablename__ = "search_telecom"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    nhs_number: Mapped[str] = mapped_column(String(10))
    system: Mapped[str] = mapped_column(String(5))
    current: Mapped[bool] = mapped_column(Boolean)
    value: Mapped[str] = mapped_column(Text)


class RelatedPerson(Base):
    __tablename__ = "related_person"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    patient_nhs_number: Mapped[str] = mapped_column(String(10))
    related_nhs_number: Mapped[str | None] = mapped_column(String(10))
    rank: Mapped[int] = mapped_column(SmallInteger, default=1)
    record: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict)


class SeedRun(Base):
    __tablename__ = "seed_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seed: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float | None] = mapped_column()
    seeded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


SEARCH_INDEXES = [
    # text_pattern_ops serves both `family = X` and the `family LIKE 'SM%'` of wildcards.
    Index(
        "ix_search_name_family_birth",
        SearchName.family,
        SearchName.birth_date,
        postgresql_ops={"family": "text_pattern_ops"},
    ),
    # Fuzzy search always has a birth date: candidates come from it, then are scored.
    Index("ix_search_name_birth_date", SearchName.birth_date),
    Index("ix_search_name_nhs_number", SearchName.nhs_number),
    Index("ix_search_address_nhs_number", SearchAddress.nhs_number, SearchAddress.postcode),
    Index("ix_search_telecom_nhs_number", SearchTelecom.nhs_number),
    Index("ix_related_person_patient", RelatedPerson.patient_nhs_number),
    Index("ix_patient_superseded_by", Patient.superseded_by),
]
