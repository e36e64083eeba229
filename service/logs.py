"""Logging to stdout and a rotating file; every line carries the item/case/source ids it concerns."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s [source=%(source_id)s item=%(item_id)s case=%(case_id)s] %(message)s"
_IDS = ("source_id", "item_id", "case_id")


class _IdDefaults(logging.Filter):
    """Fill in '-' for ids a record does not carry, so the format never fails."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name in _IDS:
            if not hasattr(record, name):
                setattr(record, name, "-")
        return True


def setup_logging(log_file: Path | None, *, level: int = logging.INFO, stdout: bool = True) -> None:
    """Configure the root logger once: stdout and/or a 10 MB × 5 rotating file."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(level)
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = []
    if stdout:
        handlers.append(logging.StreamHandler(sys.stdout))
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(log_file, maxBytes=10_000_000, backupCount=5, encoding="utf-8")
        )
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(_IdDefaults())
        root.addHandler(handler)
    # Libraries that chatter at INFO on every poll.
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def ids(*, source_id: object = "-", item_id: object = "-", case_id: object = "-") -> dict[str, object]:
    """The `extra=` mapping for a log call that concerns these ids."""
    return {"source_id": source_id, "item_id": item_id, "case_id": case_id}
