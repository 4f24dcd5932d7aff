"""SMART on FHIR v2 scopes (`system/Flag.rs`) and the agency role → scope table.

Scope syntax and semantics follow SMART App Launch v2 §Scopes: `context/Resource.perms`
where `perms` is an ordered subset of `cruds`. A granted scope satisfies a
required one when the context and resource match (or the grant is `*`) and the
granted permissions include every required permission, so `system/Flag.cruds`
satisfies a route that needs `system/Flag.rs`.

The table is deliberately narrow (minimal disclosure; see the README):
each role gets only the resources its statutory job needs.
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class AgencyRole(StrEnum):
    SOCIAL_CARE = "social-care"
    HEALTH_UNSCHEDULED = "health-unscheduled"
    HEALTH_SCHEDULED = "health-scheduled"
    EDUCATION = "education"
    POLICE = "police"
    ADMIN = "admin"


class Scope(StrEnum):
    """Every scope a route can require, and the broadest forms roles are granted."""

    PATIENT_READ = "system/Patient.rs"
    FLAG_READ = "system/Flag.rs"
    FLAG_WRITE = "system/Flag.cud"
    FLAG_ALL = "system/Flag.cruds"
    SUBSCRIPTION_READ = "system/Subscription.rs"
    SUBSCRIPTION_WRITE = "system/Subscription.cud"
    SUBSCRIPTION_ALL = "system/Subscription.cruds"
    AUDIT_READ = "system/AuditEvent.rs"


ROLE_SCOPES: dict[AgencyRole, frozenset[Scope]] = {
    AgencyRole.SOCIAL_CARE: frozenset(
        {Scope.PATIENT_READ, Scope.FLAG_ALL, Scope.SUBSCRIPTION_ALL, Scope.AUDIT_READ}
    ),
    AgencyRole.HEALTH_UNSCHEDULED: frozenset({Scope.PATIENT_READ, Scope.FLAG_READ}),
    AgencyRole.HEALTH_SCHEDULED: frozenset({Scope.PATIENT_READ, Scope.FLAG_READ}),
    AgencyRole.EDUCATION: frozenset({Scope.PATIENT_READ}),
    AgencyRole.POLICE: frozenset({Scope.PATIENT_READ, Scope.FLAG_READ}),
    AgencyRole.ADMIN: frozenset({Scope.AUDIT_READ}),
}

# Roles that must state a purpose of use (code and justification) on every call
# that touches a child's data; for the others the purpose is optional.
PURPOSE_REQUIRED_ROLES: frozenset[AgencyRole] = frozenset({AgencyRole.POLICE})

# Resources whose every route reads or writes a child's data: a scope on one of
# them means the route needs end-user context (who, and why) and an audit record.
PATIENT_DATA_RESOURCES: frozenset[str] = frozenset({"Patient", "Flag", "CareTeam", "AuditEvent"})

_PERMISSIONS = "cruds"
_SCOPE = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]+)\.([cruds]+)$")


@dataclass(frozen=True, slots=True)
class SmartScope:
    context: str
    resource: str
    permissions: frozenset[str]

    @classmethod
    def parse(cls, value: str) -> "SmartScope | None":
        """The scope, or None when it is not SMART v2 with permissions in `cruds` order."""
        match = _SCOPE.match(value)
        if match is None:
            return None
        perms = match.group(3)
        # SMART v2: permissions appear at most once each, in the order c, r, u, d, s.
        if "".join(p for p in _PERMISSIONS if p in perms) != perms:
            return None
        return cls(match.group(1), match.group(2), frozenset(perms))

    def covers(self, required: "SmartScope") -> bool:
        return (
            self.context == required.context
            and self.resource in ("*", required.resource)
            and required.permissions <= self.permissions
        )


def satisfies(granted: frozenset[str], required: str) -> bool:
    """Whether the granted scopes include the permissions `required` asks for."""
    if required in granted:
        return True
    need = SmartScope.parse(required)
    if need is None:
        return False
    for value in granted:
        have = SmartScope.parse(value)
        if have is not None and have.covers(need):
            return True
    return False


def grant(requested: str | None, allowed: frozenset[str]) -> frozenset[str]:
    """Scopes to grant: everything allowed when none is requested, else requested ∩ allowed.

    A requested scope narrower than an allowed one (`system/Flag.rs` under
    `system/Flag.cruds`) is granted as requested, so clients can ask for less.
    """
    if requested is None or not requested.strip():
        return allowed
    return frozenset(scope for scope in requested.split() if satisfies(allowed, scope))


@cache  # a route's few scope strings, asked about on every request
def touches_patient_data(scope: str) -> bool:
    parsed = SmartScope.parse(scope)
    return parsed is not None and parsed.resource in PATIENT_DATA_RESOURCES
