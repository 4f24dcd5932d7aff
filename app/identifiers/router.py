"""`GET /$validate-identifier`: check an NHS number, UPN or ULN without looking anyone up."""

from typing import Annotated, Any

from fastapi import Query

from app.fhir.parameters import parameters
from app.fhir.routing import fhir_operation, fhir_router
from app.fhir.schemas import error_responses
from app.identifiers.schemas import ValidationParameters
from app.identifiers.service import validate_identifier

router = fhir_router(tags=["Identifiers"])

OPERATION_DEFINITION = "https://cci-gateway.example.org/OperationDefinition/validate-identifier"


@router.get(
    "/$validate-identifier",
    response_model=ValidationParameters,
    response_model_by_alias=True,
    response_model_exclude_none=True,
    summary="Validate an identifier",
    responses=error_responses(400, 406),
    openapi_extra=fhir_operation("validate-identifier", OPERATION_DEFINITION),
)
async def validate(
    system: Annotated[str, Query(max_length=200, description="Identifier system URI")],
    value: Annotated[str, Query(max_length=64, description="The identifier as typed")],
) -> dict[str, Any]:
    """Whether an NHS number, UPN or ULN is well formed with a correct check character.

    A valid identifier is not proof that it belongs to anyone; trace it to know that.
    """
    result = validate_identifier(system, value)
    return parameters(valid=result.valid, normalised=result.normalised, reason=result.reason)
