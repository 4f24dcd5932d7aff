"""structlog for the mock Spine: constant event names with id fields, personal data never.

The redaction processor drops demographic keys as a safety net; the Spine's
synthetic people are still treated as if they were real.
"""

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

PERSONAL_DATA_KEYS = frozenset(
    {
        "nhs_number", "name", "given", "family", "birthdate", "birth_date", "address",
        "postcode", "phone", "email", "telecom", "query", "query_string", "body",
    }
)  # fmt: skip


def redact_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in event_dict.keys() & PERSONAL_DATA_KEYS:
        event_dict[key] = "[redacted]"
    return event_dict


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
        logger_factory=lambda *_: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
