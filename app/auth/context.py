"""End-user context headers: who is at the client system and why they are looking.

Values are percent-decoded (RFC 3986), so non-ASCII names travel as
`Zo%C3%AB`. Missing required context is 400 MISSING_VALUE; an unknown purpose
code is 400 INVALID_VALUE.
"""

from urllib.parse import unquote

from app.auth.principal import EndUser, Purpose, PurposeOfUse
from app.auth.scopes import PURPOSE_REQUIRED_ROLES, AgencyRole
from app.fhir.errors import InvalidValue, MissingValue

END_USER_ID = "X-End-User-Id"
END_USER_NAME = "X-End-User-Name"
END_USER_ROLE = "X-End-User-Role"
PURPOSE_OF_USE = "X-Purpose-Of-Use"
PURPOSE_JUSTIFICATION = "X-Purpose-Justification"

END_USER_HEADERS = (END_USER_ID, END_USER_NAME, END_USER_ROLE)


MAX_LENGTH = 200
MAX_JUSTIFICATION_LENGTH = 1000


def _clean(value: str | None, header: str, limit: int = MAX_LENGTH) -> str | None:
    if value is None:
        return None
    decoded = unquote(value).strip()
    if len(decoded) > limit:
        raise InvalidValue(
            f"Invalid value - '{header}' header is longer than {limit} characters",
            expression=[f"header.{header}"],
        )
    return decoded or None


def _missing(header: str, why: str) -> MissingValue:
    return MissingValue(
        f"Missing value - '{header}' header ({why})", expression=[f"header.{header}"]
    )


def end_user_context(
    role: AgencyRole,
    *,
    user_id: str | None,
    name: str | None,
    job_role: str | None,
    purpose_code: str | None,
    justification: str | None,
    required: bool,
) -> tuple[EndUser | None, Purpose | None]:
    """The end user and purpose from the headers; raises when required context is absent."""
    values = {END_USER_ID: _clean(user_id, END_USER_ID), END_USER_NAME: _clean(name, END_USER_NAME)}
    values[END_USER_ROLE] = _clean(job_role, END_USER_ROLE)
    code = _clean(purpose_code, PURPOSE_OF_USE)
    reason = _clean(justification, PURPOSE_JUSTIFICATION, MAX_JUSTIFICATION_LENGTH)
    if required:
        for header, value in values.items():
            if value is None:
                raise _missing(header, "calls about a child must name the person making them")
        if role in PURPOSE_REQUIRED_ROLES:
            if code is None:
                raise _missing(PURPOSE_OF_USE, f"required for the {role} role")
            if reason is None:
                raise _missing(PURPOSE_JUSTIFICATION, f"required for the {role} role")
    user = None
    if all(values.values()):
        user = EndUser(
            id=str(values[END_USER_ID]),
            name=str(values[END_USER_NAME]),
            role=str(values[END_USER_ROLE]),
        )
    purpose = None
    if code is not None:
        try:
            purpose = Purpose(PurposeOfUse(code), reason)
        except ValueError:
            raise InvalidValue(
                f"Invalid value - '{code[:20]}' in header '{PURPOSE_OF_USE}'",
                expression=[f"header.{PURPOSE_OF_USE}"],
            ) from None
    return user, purpose
