"""The APScheduler set-up: one job per source, the classification queue, the deadline sweep.

Jobs are plain module-level functions taking ids (`poll_job("demo-news")`), referenced by name so the
SQLAlchemy job store can persist them; they find the process's AppContext in `_CONTEXT`. Only the
process that holds the database lease "scheduler" runs jobs, so a second `yuqing run` on the same
database stands by instead of doubling the work. The sweep has its own executor: it never waits
behind classification or polling.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from service.clock import now as clock_now
from service.context import AppContext

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from classifier.assess import Classifier

log = logging.getLogger("yuqing.scheduler")

LEASE_NAME = "scheduler"
HEARTBEAT_KEY = "scheduler_heartbeat"
_CONTEXT: AppContext | None = None
_CLASSIFIER: Classifier | None = None


def _context() -> AppContext:
    if _CONTEXT is None:
        raise RuntimeError("scheduler jobs run only inside `yuqing run`")
    return _CONTEXT


def poll_job(source_id: str) -> None:
    """Scheduled: poll one source."""
    from service.jobs import poll_source

    poll_source(_context(), source_id, clock_now())


def classify_job() -> None:
    """Scheduled: work off the classification queue in batches until it is empty."""
    from service.jobs import build_classifier, classify_pending

    global _CLASSIFIER
    context = _context()
    if _CLASSIFIER is None:
        _CLASSIFIER = build_classifier(context)
    batch = context.config.file.settings.scheduler.classify_batch
    while True:
        report = classify_pending(context, _CLASSIFIER, limit=batch, clock=clock_now)
        if report.items or report.failed:
            log.info("研判 %d 条，失败 %d，处置单变动 %d，队列剩余 %d", report.items, report.failed,
                     report.cases_changed, report.remaining)
        if report.remaining == 0 or (report.items == 0 and report.failed == 0):
            return


def sweep_job() -> None:
    """Scheduled: one escalation sweep."""
    from service.jobs import sweep_deadlines

    report = sweep_deadlines(_context(), clock_now())
    if report.notices or report.breached:
        log.info("巡检：%d 个时限，新超时 %d，提醒 %d（成功 %d，失败 %d）", report.clocks, report.breached,
                 report.notices, report.sent, report.failed)


class Runner:
    """Holds the lease and runs the scheduler while it does; stands by while another process holds it."""

    def __init__(self, context: AppContext) -> None:
        global _CONTEXT
        _CONTEXT = context
        self.context = context
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.scheduler: BackgroundScheduler | None = None
        self.leader = False
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # ---------------------------------------------------------- lease

    def try_lead(self) -> bool:
        """Acquire or renew the scheduler lease; start or stop the jobs to match."""
        from storage.repositories.state import LeaseRepository, StateRepository

        settings = self.context.config.file.settings.scheduler
        moment = clock_now_real()  # leases live in real time even when the service clock is scaled
        with self.context.session() as session:
            held = LeaseRepository(session).acquire(LEASE_NAME, self.holder, timedelta(seconds=settings.lease_ttl_s),
                                                    moment)
            if held:
                StateRepository(session).set(
                    HEARTBEAT_KEY, {"holder": self.holder, "pid": os.getpid(), "at": moment.isoformat()}, moment
                )
        with self._lock:
            if held and not self.leader:
                log.info("取得调度租约，开始调度 (%s)", self.holder)
                self.leader = True
                self._start_jobs()
            elif not held and self.leader:
                log.warning("调度租约已被其他进程取得，停止本进程的调度")
                self.leader = False
                self._stop_jobs()
            elif not held:
                log.info("另一个 yuqing run 正在调度（同一数据库），本进程待命 / standing by")
        return held

    def release(self) -> None:
        """Give up the lease (clean shutdown)."""
        from storage.repositories.state import LeaseRepository

        try:
            with self.context.session() as session:
                LeaseRepository(session).release(LEASE_NAME, self.holder)
        except Exception:  # shutting down: the lease expires by itself
            log.exception("释放调度租约失败")

    # ---------------------------------------------------------- jobs

    def _start_jobs(self) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        settings = self.context.config.file.settings.scheduler
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.context.engine, tablename="apscheduler_jobs")},
            executors={
                "default": ThreadPoolExecutor(4),
                "classify": ThreadPoolExecutor(1),
                "sweep": ThreadPoolExecutor(1),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.misfire_grace_s},
            timezone="UTC",
        )
        self.sync_jobs()
        self.scheduler.start()

    def sync_jobs(self) -> None:
        """Make the persisted jobs match the config: one per enabled source, plus classify and sweep."""
        from crawlers.types import SourceKind

        if self.scheduler is None:
            return
        settings = self.context.config.file.settings.scheduler
        wanted: dict[str, dict[str, Any]] = {
            "classify": {"func": "service.scheduler:classify_job", "seconds": settings.classify_interval_s,
                         "executor": "classify", "args": []},
            "sweep": {"func": "service.scheduler:sweep_job", "seconds": settings.sweep_interval_s,
                      "executor": "sweep", "args": []},
        }
        for spec in self.context.config.sources():
            if spec.enabled and spec.kind is not SourceKind.IMPORT:
                wanted[f"poll:{spec.id}"] = {"func": "service.scheduler:poll_job", "seconds": spec.poll_interval_s,
                                             "executor": "default", "args": [spec.id]}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
                log.info("已移除作业 %s（配置中已没有）", job.id)
        for job_id, job in wanted.items():
            self.scheduler.add_job(
                job["func"], "interval", seconds=job["seconds"], id=job_id, args=job["args"],
                executor=job["executor"], replace_existing=True, next_run_time=clock_now_real(),
            )

    def _stop_jobs(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None

    def reload(self, context: AppContext) -> None:
        """Take a re-read config: sync units/sources and add/remove jobs."""
        from service.sync import sync_config

        global _CONTEXT, _CLASSIFIER
        with context.session() as session:
            sync_config(session, context.config, clock_now())
        self.context = context
        _CONTEXT = context
        _CLASSIFIER = None  # units may have changed
        with self._lock:
            self.sync_jobs()
        log.info("配置已重新载入")

    def run_until_stopped(self) -> None:
        """Renew the lease every third of its TTL until stop() is called."""
        interval = max(1.0, self.context.config.file.settings.scheduler.lease_ttl_s / 3)
        while not self._stop.is_set():
            try:
                self.try_lead()
            except Exception:
                log.exception("续约调度租约失败（将重试）")
            self._stop.wait(interval)
        with self._lock:
            self._stop_jobs()
        if self.leader:
            self.release()

    def stop(self) -> None:
        """Ask the loop to end (signal handlers call this)."""
        self._stop.set()


def clock_now_real() -> Any:
    """APScheduler schedules in real time even when the service clock is scaled."""
    from datetime import UTC, datetime

    return datetime.now(UTC)
