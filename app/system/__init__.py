"""Service endpoints: CapabilityStatement, liveness and readiness."""
