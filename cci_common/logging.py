"""structlog configuration for both services: request-scoped ids on every line, personal
data never.

Log events are constant names with id fields (`log.info("trace.completed",
outcome="certain")`). The redaction processor is a safety net for the day someone
passes a demographic field anyway: such keys are replaced, never printed.
"""

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Keys that could carry personal data about a child or a professional.
PERSONAL_DATA_KEYS = frozenset(
    {
        "nhs_number", "name", "given", "family", "birthdate", "birth_date", "dob",
        "address", "postcode", "postalcode", "address_postalcode", "phone", "email",
        "telecom", "patient", "user_name", "end_user_name", "job_title", "upn", "uln",
        "identifier", "value", "body", "query", "query_string", "authorization",
        "client_assertion", "access_token", "token", "justification",
    }
)  # fmt: skip
REDACTED = "[redacted]"


def redact_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in event_dict.keys() & PERSONAL_DATA_KEYS:
        event_dict[key] = REDACTED
    return event_dict


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    # Resolved per logger, not at configure time, so redirected stderr is honoured.
    return structlog.PrintLogger(file=sys.stderr)


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_personal_data,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    # uvicorn's access log prints query strings, which carry demographics on searches;
    # httpx and httpcore log each request's URL (an NHS number in the path) at INFO and
    # DEBUG, whatever a deployment later does to the root logger.
    logging.getLogger("uvicorn.access").disabled = True
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
