"""Send a notice through apprise URLs (SMTP, webhooks, 钉钉, 企业微信, 飞书 …); bounded retries and time.

`send` never raises for a delivery problem and never blocks longer than `timeout` seconds in total: it
returns SendResult(ok=False, error="<one line>") and the caller records the failure and retries on a
later sweep. URL forms are documented in responder/NOTIFY.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from responder.types import Notice

_APPRISE_LOGGER = "apprise"


@dataclass(frozen=True, slots=True)
class SendResult:
    """Outcome of sending one notice to all its URLs: ok only if every URL accepted it."""

    ok: bool
    error: str = ""  # one line, secrets redacted; "" when ok
    attempts: int = 0  # total delivery attempts over all URLs
    failed_urls: tuple[str, ...] = ()  # redacted (privacy) forms of the URLs that failed


class _ThreadLogCollector(logging.Handler):
    """Collect apprise's warnings/errors of one worker thread (apprise reports failures only by logging)."""

    def __init__(self, thread_id: int) -> None:
        super().__init__(level=logging.WARNING)
        self.thread_id = thread_id
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread_id:
            self.messages.append(record.getMessage())


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _attempt(plugin: Any, title: str, body: str, budget: float) -> tuple[bool, str]:
    """One delivery attempt in a daemon thread, abandoned (not awaited) when the budget runs out."""
    # apprise throttles successive sends per plugin (seconds of sleep); our caller paces retries itself.
    if hasattr(plugin, "request_rate_per_sec"):
        plugin.request_rate_per_sec = 0
    # Per-socket timeouts bound each network step; the thread join bounds the whole attempt.
    for attr in ("socket_connect_timeout", "socket_read_timeout"):
        if hasattr(plugin, attr):
            setattr(plugin, attr, max(0.5, min(float(getattr(plugin, attr) or budget), budget)))
    result: dict[str, Any] = {"ok": False, "messages": []}

    def run() -> None:
        logger = logging.getLogger(_APPRISE_LOGGER)
        collector = _ThreadLogCollector(threading.get_ident())
        logger.addHandler(collector)
        try:
            result["ok"] = bool(plugin.notify(body=body, title=title))
        except Exception as exc:  # a plugin bug must not kill the sweep
            collector.messages.append(f"{type(exc).__name__}: {exc}")
        finally:
            logger.removeHandler(collector)
            result["messages"] = collector.messages

    worker = threading.Thread(target=run, name="yuqing-notify", daemon=True)
    worker.start()
    worker.join(budget)
    if worker.is_alive():
        return False, f"超时（{budget:.1f} 秒内未完成）"
    messages: list[str] = result["messages"]
    if result["ok"]:
        return True, ""
    return False, messages[-1] if messages else "发送失败（apprise 未给出原因）"


def send(
    notice: Notice,
    urls: Sequence[str],
    *,
    retries: int = 2,
    timeout: float = 10.0,
    retry_delay: float = 0.2,
) -> SendResult:
    """Send `notice` to every URL with up to `retries` retries each, within `timeout` seconds in total."""
    if not urls:
        return SendResult(ok=False, error="未配置通知地址 (no notification URL configured)")
    import apprise  # imported on use: no work at import time

    deadline = time.monotonic() + timeout
    attempts = 0
    failures: list[str] = []
    failed: list[str] = []
    for url in urls:
        plugin: Any = apprise.Apprise.instantiate(url)
        if plugin is None:
            shown = url.split("://", 1)[0] + "://…" if "://" in url else "…"
            failed.append(shown)
            failures.append(f"{shown}: 无法识别的通知地址 (unsupported or malformed URL)")
            continue
        # Redacted (privacy=True hides passwords/tokens) and without the query string, for a short line.
        shown = str(plugin.url(privacy=True)).split("?", 1)[0]
        error = ""
        for attempt in range(retries + 1):
            budget = deadline - time.monotonic()
            if budget <= 0:
                error = error or "总超时，未尝试"
                break
            attempts += 1
            ok, error = _attempt(plugin, notice.title, notice.body, budget)
            if ok:
                error = ""
                break
            if attempt < retries:
                time.sleep(max(0.0, min(retry_delay, deadline - time.monotonic())))
        if error:
            failed.append(shown)
            failures.append(f"{shown}: {error}")
    if failures:
        return SendResult(
            ok=False, error=_one_line("; ".join(failures)), attempts=attempts, failed_urls=tuple(failed)
        )
    return SendResult(ok=True, attempts=attempts)
