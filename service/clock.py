"""The service's one clock. Real UTC time, or (for end-to-end tests and demos) a scaled clock.

YUQING_TIME_SCALE=60 makes an hour pass in a minute, counted from YUQING_TIME_ORIGIN (epoch seconds,
default: the first call). Processes that share both variables (`yuqing run` and a `yuqing case
respond` in the same test) agree on the time. Never set them in production.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

ENV_SCALE = "YUQING_TIME_SCALE"
ENV_ORIGIN = "YUQING_TIME_ORIGIN"
_origin: float | None = None


def now() -> datetime:
    """The current time in UTC (scaled if YUQING_TIME_SCALE is set)."""
    global _origin
    real = time.time()
    scale = float(os.environ.get(ENV_SCALE, "1") or 1)
    if scale == 1:
        return datetime.fromtimestamp(real, UTC)
    if _origin is None:
        _origin = float(os.environ.get(ENV_ORIGIN) or real)
    return datetime.fromtimestamp(_origin + (real - _origin) * scale, UTC)
