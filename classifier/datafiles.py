"""Loading the package's TOML data files, with errors that name the file and the key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from classifier.errors import DataFileError

DATA_DIR = Path(__file__).resolve().parent / "data"


def load_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file; a missing or malformed file raises DataFileError naming it."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise DataFileError(str(path), "-", "文件不存在 (file not found)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(str(path), "-", f"TOML 格式错误: {exc}") from exc


def req(table: dict[str, Any], key: str, kind: type | tuple[type, ...], file: str, where: str) -> Any:
    """Fetch a required key of the given type, or raise DataFileError naming file and key."""
    if key not in table:
        raise DataFileError(file, f"{where}.{key}" if where else key, "缺少必填项 (missing)")
    value = table[key]
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise DataFileError(file, f"{where}.{key}" if where else key, f"类型错误: {value!r}")
    if not isinstance(value, kind):
        raise DataFileError(file, f"{where}.{key}" if where else key, f"类型错误 (wrong type): {value!r}")
    return value


def str_list(table: dict[str, Any], key: str, file: str, where: str, default: list[str] | None = None) -> tuple[str, ...]:
    """Fetch a list of strings (optional when default is given)."""
    if key not in table and default is not None:
        return tuple(default)
    value = req(table, key, list, file, where)
    if not all(isinstance(v, str) and v for v in value):
        raise DataFileError(file, f"{where}.{key}", "应为非空字符串列表 (list of non-empty strings)")
    return tuple(value)
