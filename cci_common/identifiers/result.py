"""The outcome of checking an identifier, shared by every identifier scheme."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """`normalised` is the canonical form when the input could be normalised at all."""

    valid: bool
    normalised: str | None
    reason: str | None = None

    @classmethod
    def ok(cls, normalised: str) -> "ValidationResult":
        return cls(valid=True, normalised=normalised)

    @classmethod
    def invalid(cls, reason: str, normalised: str | None = None) -> "ValidationResult":
        return cls(valid=False, normalised=normalised, reason=reason)
