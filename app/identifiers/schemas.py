"""OpenAPI shape of the FHIR Parameters this package returns."""

from pydantic import BaseModel, ConfigDict, Field


class ParametersParameter(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str
    value_boolean: bool | None = Field(default=None, alias="valueBoolean")
    value_string: str | None = Field(default=None, alias="valueString")


class ValidationParameters(BaseModel):
    """`valid`, `normalised` (when the input could be normalised) and `reason` (when invalid)."""

    model_config = ConfigDict(populate_by_name=True)

    resource_type: str = Field(default="Parameters", alias="resourceType")
    parameter: list[ParametersParameter]
