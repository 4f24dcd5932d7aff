"""Pure validation, normalisation and generation of child identifiers."""

from cci_common.identifiers.result import ValidationResult

__all__ = ["ValidationResult"]
