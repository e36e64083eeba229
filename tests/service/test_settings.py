"""Configuration loading: defaults, clear errors naming file and key, documentation coverage."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from service.settings import (
    ConfigError,
    Settings,
    SourceConfig,
    UnitConfig,
    load_config,
)

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """
[[unit]]
id = "u1"
name = "示例区人民政府"
jurisdiction = "示例市示例区"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "yuqing.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_gets_every_default(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), env={})
    [unit] = config.units()
    assert unit.plan == "unit_default"
    assert unit.kind == "territorial"  # inferred from 人民政府
    assert config.database_url == f"sqlite:///{tmp_path / 'var' / 'yuqing.db'}"
    assert config.file.settings.escalation.warn_fractions == (0.5, 0.8)


def test_environment_database_url_wins(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), env={"YUQING_DATABASE_URL": "postgresql://x@h/db"})
    assert config.database_url == "postgresql://x@h/db"


def test_missing_file_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: 配置文件不存在"):
        load_config(tmp_path / "nope.toml", env={})


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "\n[settings.crawl]\ntimeout_s = \"fast\"\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert f"{path}: settings.crawl.timeout_s:" in str(info.value)
    assert "'fast'" in str(info.value)


def test_unknown_key_named(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "jursdiction = 'x'\n")
    with pytest.raises(ConfigError, match=r"unit\[0\]\.jursdiction: 未知的配置项"):
        load_config(path, env={})


def test_missing_required_key_named(tmp_path: Path) -> None:
    path = write(tmp_path, "[[unit]]\nid = 'u1'\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"unit\[0\]\.jurisdiction: 缺少必填项"):
        load_config(path, env={})


def test_toml_syntax_error_named(tmp_path: Path) -> None:
    path = write(tmp_path, "[[unit]\nid=")
    with pytest.raises(ConfigError, match="TOML 语法错误"):
        load_config(path, env={})


def test_not_utf8_named(tmp_path: Path) -> None:
    path = tmp_path / "yuqing.toml"
    path.write_bytes(MINIMAL.encode("gbk"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(path, env={})


def test_password_in_file_refused(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "\n[settings]\ndatabase_url = 'postgresql://u:secret@h/db'\n")
    with pytest.raises(ConfigError, match="YUQING_DATABASE_URL"):
        load_config(path, env={})


def test_duplicate_ids_and_unknown_unit_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unit\[1\]\.id: 编号 'u1' 重复"):
        load_config(write(tmp_path, MINIMAL + MINIMAL), env={})
    source = "\n[[source]]\nid='s'\nname='s'\nurl='http://127.0.0.1/f.xml'\nunits=['zz']\n"
    with pytest.raises(ConfigError, match=r"source\[0\]\.units: 未知单位 'zz'"):
        load_config(write(tmp_path, MINIMAL + source), env={})


def test_rsshub_needs_route(tmp_path: Path) -> None:
    source = "\n[[source]]\nid='w'\nname='w'\nkind='rsshub'\nurl='http://127.0.0.1:1200'\n"
    with pytest.raises(ConfigError, match="route"):
        load_config(write(tmp_path, MINIMAL + source), env={})


def test_example_config_is_valid() -> None:
    config = load_config(ROOT / "config" / "yuqing.example.toml", env={})
    assert {u.id for u in config.units()} >= {"shili-gov"}


def _keys(model: type[BaseModel], prefix: str) -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += _keys(annotation, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    keys = _keys(Settings, "settings.") + _keys(UnitConfig, "unit.") + _keys(SourceConfig, "source.")
    missing = [key for key in keys if f"`{key}`" not in doc]
    assert not missing, f"undocumented settings: {missing}"
