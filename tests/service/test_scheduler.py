"""The scheduler: one job per enabled source with stable ids, reload adds/removes jobs, one leader."""

from __future__ import annotations

from pathlib import Path

from service.context import AppContext
from service.scheduler import Runner
from service.settings import load_config
from service.sync import sync_config

BASE = """
[settings.scheduler]
lease_ttl_s = 30

[[unit]]
id = "u"
name = "示例区人民政府"
jurisdiction = "示例市示例区"
"""


def source(ident: str, enabled: bool = True) -> str:
    return (f'\n[[source]]\nid = "{ident}"\nname = "{ident}"\nurl = "http://127.0.0.1:9/{ident}.xml"\n'
            f"poll_interval_s = 3600\nenabled = {str(enabled).lower()}\n")


def context_for(tmp_path: Path, db_url: str, text: str) -> AppContext:
    path = tmp_path / "yuqing.toml"
    path.write_text(text, encoding="utf-8")
    context = AppContext(load_config(path, env={"YUQING_DATABASE_URL": db_url}))
    with context.session() as session:
        sync_config(session, context.config)
    return context


def job_ids(runner: Runner) -> set[str]:
    assert runner.scheduler is not None
    return {job.id for job in runner.scheduler.get_jobs()}


def test_jobs_follow_the_config_and_only_one_runner_leads(tmp_path: Path, sqlite_url: str) -> None:
    context = context_for(tmp_path, sqlite_url, BASE + source("a") + source("b") + source("off", enabled=False))
    runner = Runner(context)
    second = Runner(AppContext(context.config))
    try:
        assert runner.try_lead()
        assert job_ids(runner) == {"classify", "sweep", "poll:a", "poll:b"}
        assert not second.try_lead()  # the lease is held: the second process stands by
        assert second.scheduler is None
        runner.reload(context_for(tmp_path, sqlite_url, BASE + source("b") + source("c")))
        assert job_ids(runner) == {"classify", "sweep", "poll:b", "poll:c"}
        assert runner.try_lead()  # renewing keeps the jobs
        assert job_ids(runner) == {"classify", "sweep", "poll:b", "poll:c"}
    finally:
        runner.stop()
        runner._stop_jobs()
        runner.release()
    assert second.try_lead()  # released: the stand-by takes over
    second._stop_jobs()
    second.release()
