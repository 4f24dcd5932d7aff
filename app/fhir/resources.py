"""The only import point for fhir.resources models: R4B, which is wire-compatible with R4.

Top-level `fhir.resources.X` modules are R5 and are banned by ruff (TID251).
"""

from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.parameters import Parameters
from fhir.resources.R4B.subscription import Subscription

__all__ = [
    "AuditEvent",
    "Bundle",
    "CapabilityStatement",
    "Flag",
    "OperationOutcome",
    "Parameters",
    "Subscription",
]
