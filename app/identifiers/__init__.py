"""Identifier validation exposed as the FHIR operation `$validate-identifier`."""
