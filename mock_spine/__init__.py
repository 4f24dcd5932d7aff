"""Mock Spine: a PDS FHIR API-compatible service over a synthetic population.

It never imports the gateway (`app`); shared rules live in `cci_common`.
"""

__version__ = "0.1.0"
