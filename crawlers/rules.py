"""Load and validate crawlers/rules.toml (URL tracking parameters, mobile hosts, import columns)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from crawlers.errors import RulesError

RULES_PATH = Path(__file__).with_name("rules.toml")

IMPORT_FIELDS = (
    "title", "text", "url", "author", "published_at", "guid", "reposts", "comments", "likes",
)


@dataclass(frozen=True, slots=True)
class UrlRules:
    """Query parameters to drop and mobile hosts to fold, as read from rules.toml."""

    tracking_params: frozenset[str]
    tracking_prefixes: tuple[str, ...]
    mobile_hosts: dict[str, str]


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything rules.toml holds."""

    urls: UrlRules
    import_columns: dict[str, tuple[str, ...]]


def _str_list(table: dict[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RulesError(f"{RULES_PATH}: [{where}] {key} 必须是非空字符串列表 must be a list of non-empty strings")
    return value


def _table(doc: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = doc.get(key)
    if not isinstance(value, dict):
        raise RulesError(f"{RULES_PATH}: [{where}] 缺少表 missing table '{key}'")
    return value


def parse_rules(doc: dict[str, Any]) -> Rules:
    """Validate a parsed rules document; errors name the file and the key."""
    urls = _table(doc, "urls", "urls")
    params = _str_list(urls, "tracking_params", "urls")
    prefixes = _str_list(urls, "tracking_prefixes", "urls")
    mobile = _table(urls, "mobile_hosts", "urls")
    for host, target in mobile.items():
        if not isinstance(target, str) or not target or host != host.lower():
            raise RulesError(f"{RULES_PATH}: [urls.mobile_hosts] {host!r} 必须映射到小写主机名 must map to a host")
    imports = _table(doc, "imports", "imports")
    columns = _table(imports, "columns", "imports")
    unknown = set(columns) - set(IMPORT_FIELDS)
    if unknown:
        raise RulesError(f"{RULES_PATH}: [imports.columns] 未知字段 unknown field(s): {sorted(unknown)}")
    cols = {f: tuple(_str_list(columns, f, "imports.columns")) for f in IMPORT_FIELDS if f in columns}
    for f in ("title", "text"):
        if f not in cols:
            raise RulesError(f"{RULES_PATH}: [imports.columns] 缺少 missing '{f}'")
    return Rules(
        urls=UrlRules(
            tracking_params=frozenset(p.lower() for p in params),
            tracking_prefixes=tuple(p.lower() for p in prefixes),
            mobile_hosts={h: str(t).lower() for h, t in mobile.items()},
        ),
        import_columns=cols,
    )


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    """Read rules.toml once (cached); raises RulesError naming file and key when it is wrong."""
    try:
        doc = tomllib.loads(RULES_PATH.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"{RULES_PATH}: 无法读取 cannot read: {exc}") from exc
    return parse_rules(doc)
