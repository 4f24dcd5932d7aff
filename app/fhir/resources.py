"""The only import point for fhir.resources models: R4B, which is wire-compatible with R4.

Top-level `fhir.resources.X` modules are R5 and are banned by ruff (TID251).
"""

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.parameters import Parameters

__all__ = ["Bundle", "CapabilityStatement", "OperationOutcome", "Parameters"]
