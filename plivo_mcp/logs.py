"""structlog JSON lines on stderr; stdout belongs to JSON-RPC under stdio."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

from plivo_mcp.secrets import mask_secrets


def _mask_processor(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> Any:
    return mask_secrets(event_dict)


def configure_logging(level: str = "info") -> None:
    """Route structlog and the stdlib (SDK, uvicorn) to stderr as JSON lines, secrets masked."""
    import structlog

    numeric = getattr(logging, level.upper(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        # Tracebacks are rendered before masking, so a secret inside an exception message is masked too.
        processors=[*shared, structlog.processors.format_exc_info, _mask_processor,
                    structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # The SDK's own logging.basicConfig is a no-op once the root logger has a handler, so this wins.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, _mask_processor, structlog.processors.JSONRenderer()],
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
    ))
    root = logging.getLogger()
    # httpx logs every request at INFO, and the SDK's streamable HTTP transport one "Terminating session: None"
    # per stateless request (most of an HTTP server's log); the server logs one line per tool call instead.
    for noisy in ("httpx", "httpcore", "mcp.server.streamable_http"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    root.handlers[:] = [handler]
    root.setLevel(max(numeric, logging.INFO))


def get_logger(name: str = "plivo_mcp") -> Any:
    import structlog

    return structlog.get_logger(name)
