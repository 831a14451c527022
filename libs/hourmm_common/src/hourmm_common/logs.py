"""JSON logs: one line per event, past-tense event names, stable keys, secrets redacted.

`configure_logging()` is called once by each entry point. Components take a logger with
`get_logger("component")`. Hot paths count instead of logging.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from hourmm_common.config import Secret

_SECRET_KEYS = re.compile(r"(secret|passphrase|private_key|api_key|password|bearer|auth_token|control_token|^token$)", re.I)


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if isinstance(value, Secret) or (_SECRET_KEYS.search(key) and value not in (None, "", 0)):
            event_dict[key] = "***"
    return event_dict


def configure_logging(level: str = "INFO", *, service: str, stream: TextIO | None = None) -> None:
    lvl = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    logging.basicConfig(level=lvl, stream=stream or sys.stderr, format="%(message)s", force=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
            _redact,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.WriteLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(component: str) -> Any:
    return structlog.get_logger(component=component)
