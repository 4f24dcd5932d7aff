"""FHIR `Parameters` building for operation outputs."""

from typing import Any


def parameters(**values: bool | str | int | None) -> dict[str, Any]:
    """Named primitive outputs; None values are left out, as FHIR has no nulls."""
    parameter = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            parameter.append({"name": name, "valueBoolean": value})
        elif isinstance(value, int):
            parameter.append({"name": name, "valueInteger": value})
        else:
            parameter.append({"name": name, "valueString": value})
    return {"resourceType": "Parameters", "parameter": parameter}
