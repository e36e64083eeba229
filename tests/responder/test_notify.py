"""Notifications through apprise to a real SMTP server and a real webhook receiver on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from classifier.types import Grade
from responder.escalation import EscalationPolicy, evaluate
from responder.notify import send
from responder.types import CaseState, ClockKind, ClockState, ClockView, Notice

from .conftest import sh
from .servers import SilentServer, SMTPServer, WebhookServer, closed_port


def notice() -> Notice:
    v = ClockView(
        case_id=3,
        clock_id=9,
        unit_id="U1",
        case_title="某县化工厂爆炸",
        case_state=CaseState.NEW,
        grade=Grade.MAJOR,
        kind=ClockKind.FACTS,
        state=ClockState.RUNNING,
        started_at=sh(2026, 11, 22, 13, 0),
        due_at=sh(2026, 11, 22, 14, 0),
    )
    [n] = evaluate([v], sh(2026, 11, 22, 13, 48), EscalationPolicy())
    return n


def test_email_arrives_with_chinese_text() -> None:
    n = notice()
    with SMTPServer() as smtp:
        url = f"mailto://127.0.0.1:{smtp.port}?mode=insecure&from=duty@example.org&to=office@example.org"
        result = send(n, [url], timeout=10)
        assert result.ok, result.error
        assert smtp.inbox.event.wait(5)
    [mail] = smtp.inbox.messages
    assert mail["to"] == ["office@example.org"] and mail["from"] == "duty@example.org"
    msg = mail["message"]
    assert msg["Subject"] == "【预警】某县化工厂爆炸 · 发布事实信息"
    body = msg.get_body(("plain", "html")).get_content()
    assert "距时限还剩 12 分钟（截止 2026-11-22 14:00）" in body and "某县化工厂爆炸" in body
    assert result.attempts == 1


def test_webhook_arrives_with_chinese_text() -> None:
    n = notice()
    with WebhookServer() as hook:
        result = send(n, [f"json://127.0.0.1:{hook.port}/yuqing/hook"])
        assert result.ok, result.error
    [req] = hook.inbox.messages
    assert req["path"] == "/yuqing/hook"
    assert req["json"]["title"] == n.title and req["json"]["message"] == n.body
    assert "距时限还剩 12 分钟" in req["json"]["message"]


def test_both_urls_and_retry_after_a_failure() -> None:
    n = notice()
    with SMTPServer() as smtp, WebhookServer(500, 200) as hook:
        urls = [
            f"json://127.0.0.1:{hook.port}/h",
            f"mailto://127.0.0.1:{smtp.port}?mode=insecure&from=duty@example.org&to=a@example.org",
        ]
        result = send(n, urls, retries=2, retry_delay=0.05)
        assert result.ok, result.error
        assert result.attempts == 3  # webhook: 500 then 200; mail: once
        assert smtp.inbox.event.wait(5)
    assert len(hook.inbox.messages) == 2 and len(smtp.inbox.messages) == 1


def test_dead_endpoint_fails_fast_with_one_line_error() -> None:
    port = closed_port()
    began = time.monotonic()
    result = send(notice(), [f"json://127.0.0.1:{port}/h"], retries=2, retry_delay=0.05)
    elapsed = time.monotonic() - began
    assert not result.ok and result.attempts == 3 and elapsed < 3
    assert "\n" not in result.error and f"127.0.0.1:{port}" in result.error
    assert result.failed_urls == (f"json://127.0.0.1:{port}/h",)


def test_dead_smtp_hides_password() -> None:
    port = closed_port()
    result = send(
        notice(),
        [f"mailto://duty:s3cret@127.0.0.1:{port}?mode=insecure&from=d@example.org&to=o@example.org"],
        retries=1,
        retry_delay=0.05,
    )
    assert not result.ok and "s3cret" not in result.error and "s3cret" not in "".join(result.failed_urls)


def test_server_error_status_is_a_failure() -> None:
    with WebhookServer(500) as hook:
        result = send(notice(), [f"json://127.0.0.1:{hook.port}/h"], retries=1, retry_delay=0.05)
    assert not result.ok and result.attempts == 2 and len(hook.inbox.messages) == 2
    assert "500" in result.error or "error" in result.error.lower()


def test_hung_endpoint_bounded_by_total_timeout() -> None:
    with SilentServer() as silent:
        began = time.monotonic()
        result = send(notice(), [f"json://127.0.0.1:{silent.port}/h"], retries=5, timeout=1.5)
        elapsed = time.monotonic() - began
    assert not result.ok and elapsed < 3.0, (elapsed, result)
    assert "\n" not in result.error


def test_bad_or_missing_urls() -> None:
    result = send(notice(), ["nonsense-url"])
    assert not result.ok and "无法识别的通知地址" in result.error and result.attempts == 0
    result = send(notice(), [])
    assert not result.ok and "未配置通知地址" in result.error


def test_timeout_leaves_no_budget_for_a_second_url() -> None:
    with SilentServer() as silent, WebhookServer() as hook:
        result = send(
            notice(), [f"json://127.0.0.1:{silent.port}/h", f"json://127.0.0.1:{hook.port}/h"], timeout=1.0
        )
    assert not result.ok and len(result.failed_urls) == 2 and "总超时" in result.error
    assert hook.inbox.messages == []


@pytest.mark.parametrize(
    "url",
    [
        "mailtos://user:password@smtp.example.gov.cn?to=duty@example.gov.cn&from=yuqing@example.gov.cn",
        "mailtos://user:password@smtp.example.gov.cn:465?mode=ssl&to=duty@example.gov.cn&from=yuqing@example.gov.cn",
        "mailto://relay.intra:25?mode=insecure&from=yuqing@example.gov.cn&to=duty@example.gov.cn",
        "json://hooks.intra:8080/yuqing",
        "jsons://hooks.example.gov.cn/yuqing",
        "form://hooks.intra/yuqing",
        "xml://hooks.intra/yuqing",
        "dingtalk://0123456789abcdef0123456789abcdef/",
        "dingtalk://SECabcdef@0123456789abcdef0123456789abcdef/",
        "wecombot://693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
        "feishu://abcdef0123456789",
    ],
)
def test_documented_url_forms_parse(url: str) -> None:
    """The URL forms in responder/NOTIFY.md are understood by apprise (no network: parse only)."""
    import apprise

    assert apprise.Apprise.instantiate(url) is not None
