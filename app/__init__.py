"""CCI Gateway: the FHIR R4 API agencies call to agree who a child is and whether they are
protected."""

__version__ = "0.1.0"
