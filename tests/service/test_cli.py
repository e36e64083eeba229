"""The `yuqing` CLI: config errors, init/upgrade/schema checks, imports, case handling, users, classify."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli import main
from service.replay import ReplayFeed, ReplayItem, ReplayServer
from storage.db import downgrade, make_engine

CONFIG = """
[settings]
var_dir = "var"

[[unit]]
id = "shili-gov"
name = "示例市示例区人民政府"
jurisdiction = "示例市示例区"

[[unit]]
id = "shili-jtj"
name = "示例区交通运输局"
jurisdiction = "示例市示例区"
duties = ["交通运输", "道路", "公交"]
"""

ITEMS = [
    {"title": "网友投诉示例区12路公交车频繁脱班", "text": "网友反映示例区12路公交车频繁脱班，候车一小时不见车，希望示例区交通运输局尽快解决。",
     "url": "http://127.0.0.1/a/1", "published_at": "2026-11-20T08:00:00+08:00"},
    {"title": "示例区举办职工运动会", "text": "示例区总工会举办秋季职工运动会。", "url": "http://127.0.0.1/a/2"},
]


@pytest.fixture
def config_file(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "yuqing.toml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("YUQING_DATABASE_URL", db_url)
    monkeypatch.delenv("YUQING_CONFIG", raising=False)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "version")
    assert code == 0 and out.startswith("yuqing ")
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "子命令" in capsys.readouterr().out


def test_broken_config_exits_without_touching_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YUQING_DATABASE_URL", raising=False)
    bad = tmp_path / "yuqing.toml"
    bad.write_text(CONFIG.replace('jurisdiction = "示例市示例区"\n\n[[unit]]', 'jurisdiction = 3\n\n[[unit]]'),
                   encoding="utf-8")
    code, _, err = run(capsys, "--config", str(bad), "init")
    assert code == 1
    assert f"{bad}: unit[0].jurisdiction:" in err
    assert "Traceback" not in err
    assert not (tmp_path / "var").exists()  # nothing created
    code, _, err = run(capsys, "--config", str(tmp_path / "missing.toml"), "config", "check")
    assert code == 1 and "配置文件不存在" in err


def test_unknown_plan_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "yuqing.toml"
    path.write_text(CONFIG + 'plan = "no_such_plan"\n', encoding="utf-8")
    code, _, err = run(capsys, "config", "check", "--config", str(path))
    assert code == 1 and "unit[1].plan: 未知预案 'no_such_plan'" in err


def test_init_upgrade_and_refusing_an_old_schema(config_file: Path, db_url: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--config", str(config_file), "init")[0] == 0
    assert run(capsys, "--config", str(config_file), "db", "upgrade")[0] == 0
    code, out, _ = run(capsys, "--config", str(config_file), "case", "list")
    assert code == 0 and "共 0 件" in out
    downgrade(db_url, "0001")
    code, _, err = run(capsys, "--config", str(config_file), "case", "list")
    assert code == 1 and "yuqing db upgrade" in err
    assert run(capsys, "--config", str(config_file), "db", "upgrade")[0] == 0
    assert run(capsys, "--config", str(config_file), "case", "list")[0] == 0


def test_import_then_handle_a_case_by_cli(config_file: Path, tmp_path: Path, db_url: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    cfg = ["--config", str(config_file)]
    assert run(capsys, *cfg, "init")[0] == 0
    export = tmp_path / "export.jsonl"
    export.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS) + "\n{broken\n", encoding="utf-8")
    code, out, err = run(capsys, *cfg, "import", str(export))
    assert code == 0 and "新 2" in out and "export.jsonl:3" in err
    code, out, _ = run(capsys, *cfg, "import", str(export))
    assert "新 0，重复 2" in out  # re-import adds nothing

    # Classify the queue the way the scheduler does, then work the case from the CLI.
    from service import jobs
    from service.context import AppContext
    from service.settings import load_config

    context = AppContext(load_config(config_file))
    jobs.classify_pending(context, jobs.build_classifier(context))
    code, out, _ = run(capsys, *cfg, "case", "list", "--json", "--unit", "shili-jtj")
    [case] = [json.loads(line) for line in out.splitlines()]
    assert case["trigger"] == "其他政务舆情" and case["clocks"][0]["kind"] == "回应"
    case_id = str(case["id"])

    code, _, err = run(capsys, *cfg, "case", "close", case_id)
    assert code == 1 and "只有" in err  # 待确认 cannot be closed
    assert run(capsys, *cfg, "case", "ack", case_id, "--actor", "张三")[0] == 0
    code, _, err = run(capsys, *cfg, "case", "respond", case_id, "--method", "网上回应/答复", "--channel", "政务微博")
    assert code == 1 and "--link" in err
    code, out, _ = run(capsys, *cfg, "case", "respond", case_id, "--method", "网上回应/答复", "--channel", "政务微博",
                       "--link", "https://weibo.example/post/1", "--text", "已协调公交公司加密班次", "--actor", "张三")
    assert code == 0 and "回应于" in out
    code, out, _ = run(capsys, *cfg, "case", "show", case_id, "--json")
    shown = json.loads(out)
    assert shown["state"] == "已回应"
    assert shown["clocks"][0]["state"] in ("met", "met_late")
    assert shown["responses"][0]["actor"] == "张三"
    actions = [a["action"] for a in shown["audit"]]
    assert actions[0] == "case_opened" and "case_acknowledged" in actions and "response_recorded" in actions
    assert run(capsys, *cfg, "case", "close", case_id)[0] == 0
    code, _, err = run(capsys, *cfg, "case", "respond", case_id, "--method", "澄清", "--channel", "政府网站",
                       "--text", "x")
    assert code == 1 and "已办结" in err

    # The other unit's case: dismissed with a reason, kept as a training label.
    code, out, _ = run(capsys, *cfg, "case", "list", "--json", "--unit", "shili-gov")
    other = json.loads(out.splitlines()[0])
    code, _, err = run(capsys, *cfg, "case", "dismiss", str(other["id"]), "--reason", "")
    assert code == 1 and "理由" in err
    assert run(capsys, *cfg, "case", "dismiss", str(other["id"]), "--reason", "属交通局职责", "--false-positive")[0] == 0
    from storage.repositories.labels import LabelRepository

    with context.session() as session:
        labels = LabelRepository(session).list()
    assert [(label.kind.value, label.case_id) for label in labels] == [("dismiss", other["id"])]


def test_user_add_and_list(config_file: Path, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = ["--config", str(config_file)]
    run(capsys, *cfg, "init")
    monkeypatch.setenv("PW", "correct horse battery")
    assert run(capsys, *cfg, "user", "add", "zhangsan", "--role", "值班员", "--password-env", "PW")[0] == 0
    code, _, err = run(capsys, *cfg, "user", "add", "zhangsan", "--role", "值班员", "--password-env", "PW")
    assert code == 1 and "已存在" in err
    code, _, err = run(capsys, *cfg, "user", "add", "lisi", "--role", "boss", "--password-env", "PW")
    assert code == 1 and "未知角色" in err
    code, out, _ = run(capsys, *cfg, "user", "list")
    assert "zhangsan\t值班员" in out
    from service.context import AppContext
    from service.settings import load_config
    from storage.passwords import verify_password
    from storage.repositories.users import UserRepository

    with AppContext(load_config(config_file)).session() as session:
        user = UserRepository(session).get_by_username("zhangsan")
    assert user is not None and user.password_hash != "correct horse battery"
    assert verify_password(user.password_hash, "correct horse battery")


def test_classify_batch_with_minimal_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "min.toml"
    config.write_text('[[unit]]\nid = "hf"\nname = "合肥市人民政府"\njurisdiction = "合肥市"\n', encoding="utf-8")
    items = tmp_path / "in.jsonl"
    items.write_text(
        json.dumps({"id": 7, "title": "", "text": "肥西县一工厂发生火灾，造成3人死亡"}, ensure_ascii=False)
        + "\nnot json\n",
        encoding="utf-8",
    )
    out_file = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "classify", "--config", str(config), "--in", str(items), "--out", str(out_file))
    assert code == 1 and f"{items}:2:" in err  # the bad line is reported, the rest still ran
    [result] = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert result["id"] == 7
    assert result["units"][0]["unit"] == "hf"
    assert result["severity"]["grade"] == "较大"
    assert result["places"][0]["county"] == "肥西县"


def test_fetch_previews_without_storing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = ReplayServer(ReplayFeed([ReplayItem("x", "标题<script>alert(1)</script>", "正文", 0)])).start()
    try:
        code, out, _ = run(capsys, "fetch", server.feed_url, "--json")
    finally:
        server.stop()
    assert code == 0
    [item] = [json.loads(line) for line in out.splitlines()]
    assert set(item) >= {"id", "url", "title", "text", "author", "published_at", "source"}
    assert item["title"] == "标题"  # the script element is dropped, its content never becomes markup
    assert not (tmp_path / "var").exists()


def test_console_script_one_line_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "--config", str(tmp_path / "nope.toml"), "case", "list"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[0].startswith("错误: ")
    assert "Traceback" not in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "--debug", "--config", str(tmp_path / "nope.toml"), "case", "list"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_schema_missing_names_init(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "yuqing.toml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.delenv("YUQING_DATABASE_URL", raising=False)
    make_engine(f"sqlite:///{tmp_path / 'var' / 'yuqing.db'}").dispose()
    code, _, err = run(capsys, "--config", str(path), "case", "list")
    assert code == 1 and "yuqing init" in err


def test_db_backup_to_var_and_restore_into_a_new_sqlite_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YUQING_DATABASE_URL", raising=False)
    monkeypatch.delenv("YUQING_CONFIG", raising=False)
    config = tmp_path / "yuqing.toml"
    config.write_text(CONFIG, encoding="utf-8")
    assert run(capsys, "--config", str(config), "init")[0] == 0
    code, out, _ = run(capsys, "--config", str(config), "db", "backup")
    [written] = list((tmp_path / "var" / "backups").glob("yuqing-*.db"))
    assert code == 0 and str(written) in out

    restored = tmp_path / "restored.db"
    monkeypatch.setenv("YUQING_DATABASE_URL", f"sqlite:///{restored}")
    code, out, _ = run(capsys, "--config", str(config), "db", "restore", str(written))
    assert code == 0 and "已恢复" in out
    code, _, err = run(capsys, "--config", str(config), "db", "restore", str(written))
    assert code == 1 and "目标数据库已存在" in err  # never over an existing database
    engine = make_engine(f"sqlite:///{restored}")
    try:
        with engine.connect() as connection:
            units = connection.exec_driver_sql("select id from units order by id").scalars().all()
    finally:
        engine.dispose()
    assert units == ["shili-gov", "shili-jtj"]


def test_status_lists_notices_that_reached_no_one(config_file: Path, db_url: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime, timedelta

    from responder.types import Notice, NoticeKind
    from storage.db import session_factory
    from storage.repositories.notices import NoticeRepository

    assert run(capsys, "--config", str(config_file), "init")[0] == 0
    now = datetime.now(UTC)
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session, session.begin():
            repo = NoticeRepository(session)
            for key, title in (("a", "【预警】发送失败的提醒"), ("b", "【超时】发送途中停止的提醒"), ("c", "【预警】刚认领的提醒")):
                notice = Notice(key=key, kind=NoticeKind.WARNING, case_id=None, clock_id=None, unit_id="shili-gov",
                                title=title, body=title, due_at=now, created_for=now)
                repo.claim(notice, now - (timedelta(minutes=1) if key == "c" else timedelta(hours=1)))
            repo.mark_failed("a", "HTTP 502", now)
    finally:
        engine.dispose()
    code, out, _ = run(capsys, "--config", str(config_file), "status")
    assert code == 3  # no scheduler running
    assert "未送达的提醒 undelivered notices: 2" in out
    assert "发送失败的提醒 — 发送失败：HTTP 502" in out and "发送途中停止的提醒 — 状态未知" in out
    assert "刚认领" not in out  # still being sent
    code, out, _ = run(capsys, "--config", str(config_file), "status", "--json")
    assert sorted(n["key"] for n in json.loads(out)["undelivered_notices_24h"]) == ["a", "b"]


def test_missing_holiday_data_is_warned_about_and_a_holiday_file_fills_it(tmp_path: Path) -> None:
    from datetime import date

    from responder.deadlines import configure_default_calendar
    from service.context import AppContext
    from service.settings import load_config

    config = tmp_path / "yuqing.toml"
    config.write_text(CONFIG, encoding="utf-8")
    context = AppContext(load_config(config, env={}))
    warning = context.calendar_warning(date(2031, 12, 1))
    assert warning is not None and "2031 年、2032 年" in warning and "settings.holiday_files" in warning
    assert context.calendar_warning(date(2025, 3, 1)) is None

    holidays = tmp_path / "holidays.toml"
    holidays.write_text(
        "".join(
            f'[year.{y}]\ncitation = "国务院办公厅关于{y}年部分节假日安排的通知（测试数据）"\n'
            f"holidays = [{y}-01-01]\nworkdays = []\n\n"
            for y in (2031, 2032)
        ),
        encoding="utf-8",
    )
    config.write_text(CONFIG.replace('var_dir = "var"', 'var_dir = "var"\nholiday_files = ["holidays.toml"]'),
                      encoding="utf-8")
    try:
        assert AppContext(load_config(config, env={})).calendar_warning(date(2031, 12, 1)) is None
    finally:
        configure_default_calendar([])  # the process-wide calendar goes back to the statutory one
