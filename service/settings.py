"""The configuration file (yuqing.toml): load, validate, and turn into domain objects.

Every key except `[[unit]]` id/name/jurisdiction has a default, documented in docs/configuration.md
(tests/service/test_settings_documented.py checks that every field is documented there).
Secrets come only from the environment: YUQING_DATABASE_URL, YUQING_NOTIFY_URLS.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from classifier.types import UnitKind, UnitProfile
from crawlers.types import Selectors, SourceKind, SourceSpec

ENV_CONFIG = "YUQING_CONFIG"
ENV_DATABASE_URL = "YUQING_DATABASE_URL"
ENV_NOTIFY_URLS = "YUQING_NOTIFY_URLS"
DEFAULT_CONFIG_NAME = "yuqing.toml"

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message names file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EscalationSettings(_Strict):
    """When warnings go out before a deadline, and how often breaches are repeated."""

    warn_fractions: tuple[float, ...] = Field(default=(0.5, 0.8), description="预警点：时限已过的比例")
    repeat_minutes: float = Field(default=30.0, gt=0, description="超时后重复提醒的间隔（分钟），直到确认")

    @field_validator("warn_fractions")
    @classmethod
    def _fractions_in_range(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        for fraction in value:
            if not 0 < fraction < 1:
                raise ValueError(f"每个比例必须在 0 与 1 之间（不含），得到 {fraction}")
        return tuple(sorted(value))


class NotifySettings(_Strict):
    """Where notices go; URLs with secrets belong in YUQING_NOTIFY_URLS instead."""

    urls: tuple[str, ...] = Field(default=(), description="通知地址（apprise URL，不含密钥的）")
    timeout_s: float = Field(default=10.0, gt=0, description="单次发送的总超时（秒）")
    max_attempts: int = Field(default=5, ge=1, description="发送失败后的最多尝试次数")


class CrawlSettings(_Strict):
    """Politeness and source-health policy for collection."""

    default_poll_interval_s: int = Field(default=600, ge=1, description="信息源默认轮询间隔（秒）")
    timeout_s: float = Field(default=20.0, gt=0, description="单次抓取超时（秒）")
    max_bytes: int = Field(default=10_000_000, gt=0, description="单次响应大小上限（字节）")
    download_delay_s: float = Field(default=1.0, ge=0, description="同一站点两次请求的间隔（秒）")
    backoff_factor: float = Field(default=2.0, ge=1, description="连续失败时轮询间隔的放大倍数（退避）")
    backoff_max_s: int = Field(default=3600, ge=1, description="退避的最长时长（秒）")
    alert_after_failures: int = Field(default=5, ge=1, description="连续失败多少次后发出信息源告警")
    near_duplicate_distance: int | None = Field(
        default=None, ge=0, le=7,
        description="近重复判定的 SimHash 汉明距离上限；空 = 按文本长度自动（40 字以下 3，40–59 字 4，60–99 字 7，"
        "100–299 字 6，300 字以上 5）；填写时只会降低距离（3 = 旧的固定距离，0 = 只合并指纹完全相同的条目）",
    )
    user_agent: str = Field(default="yuqing/0.1 (+public-opinion response monitoring)", description="UA")
    max_revisions_per_url: int = Field(
        default=20, ge=0,
        description="同一网址的文章内容更新后最多另存多少个修订版本（0 = 不存修订）；防止不断变化的页面无限增长",
    )


class DashboardSettings(_Strict):
    """Where the Streamlit dashboard listens."""

    address: str = Field(default="127.0.0.1", description="监听地址")
    port: int = Field(default=8501, ge=1, le=65535, description="监听端口")
    refresh_s: int = Field(default=5, ge=1, description="值班台自动刷新间隔（秒）")


class SchedulerSettings(_Strict):
    """Intervals of the background jobs."""

    sweep_interval_s: int = Field(default=30, ge=1, description="时限巡检间隔（秒）")
    classify_interval_s: int = Field(default=5, ge=1, description="研判队列处理间隔（秒）")
    classify_batch: int = Field(default=500, ge=1, description="每批研判的条目数")
    misfire_grace_s: int = Field(default=60, ge=1, description="错过执行时间后仍补执行的宽限（秒）")
    lease_ttl_s: int = Field(default=30, ge=5, description="调度主进程租约时长（秒）")


class Settings(_Strict):
    """The `[settings]` table."""

    database_url: str | None = Field(
        default=None, description="数据库地址；空 = var_dir 下的 SQLite 文件。含密码时只能用环境变量"
    )
    var_dir: str = Field(default="var", description="数据、日志与模型的目录（相对配置文件所在目录）")
    timezone: str = Field(default="Asia/Shanghai", description="显示时区（存储一律 UTC）")
    default_plan: str = Field(default="unit_default", description="单位未指定预案时使用的预案")
    plan_files: tuple[str, ...] = Field(default=(), description="额外的预案文件（TOML），相对配置文件")
    holiday_files: tuple[str, ...] = Field(
        default=(),
        description="节假日补充文件（TOML，按国务院办公厅当年节假日安排通知填写），用于 chinesecalendar 尚未收录的年份",
    )
    model_dir: str | None = Field(default=None, description="训练模型目录；空 = var_dir/models")
    log_file: str | None = Field(default=None, description="日志文件；空 = var_dir/log/yuqing.log")
    escalation: EscalationSettings = Field(default_factory=EscalationSettings, description="预警")
    notify: NotifySettings = Field(default_factory=NotifySettings, description="通知")
    crawl: CrawlSettings = Field(default_factory=CrawlSettings, description="采集")
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings, description="看板")
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings, description="调度")

    @field_validator("database_url")
    @classmethod
    def _no_password_in_file(cls, value: str | None) -> str | None:
        if value and re.search(r"://[^/@:]+:[^/@]+@", value):
            raise ValueError("配置文件中不得写入数据库密码，请改用环境变量 YUQING_DATABASE_URL")
        return value


class UnitConfig(_Strict):
    """One `[[unit]]`: a government body the system watches for."""

    id: str = Field(pattern=_ID_PATTERN, description="单位编号（字母、数字、-_.）")
    name: str = Field(min_length=1, description="单位全称")
    jurisdiction: str = Field(min_length=1, description="辖区：行政区划名称或代码")
    aliases: tuple[str, ...] = Field(default=(), description="简称、别名")
    kind: Literal["territorial", "department"] | None = Field(
        default=None,
        description="territorial = 属地政府（辖区内事项均相关）；department = 部门；空 = 按名称推断（…人民政府/政府/党委 为属地）",
    )
    duties: tuple[str, ...] = Field(default=(), description="职责关键词")
    subordinates: tuple[str, ...] = Field(default=(), description="下属机构")
    places: tuple[str, ...] = Field(default=(), description="辖区内的乡镇、街道、村社区等地名（不在区划库中的也可按名称匹配）")
    leaders: tuple[str, ...] = Field(default=(), description="领导职务称谓")
    exclude: tuple[str, ...] = Field(default=(), description="排除词（外地同名机构等）")
    plan: str | None = Field(default=None, description="采用的预案编号；空 = settings.default_plan")
    notify_urls: tuple[str, ...] = Field(default=(), description="本单位额外的通知地址")


class SelectorsConfig(_Strict):
    """CSS (or XPath, starting with /) selectors of a list/page source."""

    article_links: str = Field(default="", description="列表页中文章链接的选择器")
    next_page: str = Field(default="", description="下一页链接的选择器")
    title: str = Field(default="", description="标题选择器")
    body: str = Field(default="", description="正文选择器")
    author: str = Field(default="", description="作者选择器")
    published_at: str = Field(default="", description="发布时间选择器")
    max_pages: int = Field(default=3, ge=1, le=100, description="最多翻页数")


class SourceConfig(_Strict):
    """One `[[source]]`: a feed, a site section, an RSSHub route or an import."""

    id: str = Field(pattern=_ID_PATTERN, description="信息源编号")
    name: str = Field(min_length=1, description="名称")
    kind: Literal["feed", "page", "list", "rsshub", "import"] = Field(default="feed", description="类型")
    url: str = Field(min_length=1, description="地址（rsshub 为实例地址；import 为文件路径）")
    route: str = Field(default="", description="RSSHub 路由，如 /weibo/user/1234")
    poll_interval_s: int | None = Field(default=None, ge=1, description="轮询间隔（秒）；空 = 默认")
    encoding: str | None = Field(default=None, description="强制字符集（站点声明错误时）")
    selectors: SelectorsConfig = Field(default_factory=SelectorsConfig, description="选择器")
    units: tuple[str, ...] = Field(default=(), description="可能相关的单位（提示，不是过滤）")
    enabled: bool = Field(default=True, description="是否启用")

    @model_validator(mode="after")
    def _route_for_rsshub(self) -> SourceConfig:
        if self.kind == "rsshub" and not self.route:
            raise ValueError("rsshub 类型的信息源必须给出 route（如 /weibo/user/1234）")
        return self


class ConfigFile(_Strict):
    """The whole file."""

    settings: Settings = Field(default_factory=Settings, description="全局设置")
    unit: tuple[UnitConfig, ...] = Field(default=(), description="单位")
    source: tuple[SourceConfig, ...] = Field(default=(), description="信息源")

    @model_validator(mode="after")
    def _unique_ids_and_references(self) -> ConfigFile:
        _check_unique("unit", [u.id for u in self.unit])
        _check_unique("source", [s.id for s in self.source])
        unit_ids = {u.id for u in self.unit}
        for index, source in enumerate(self.source):
            for hint in source.units:
                if hint not in unit_ids:
                    raise ValueError(f"source[{index}].units: 未知单位 {hint!r}")
        return self


def _check_unique(table: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            raise ValueError(f"{table}[{index}].id: 编号 {ident!r} 重复")
        seen.add(ident)


@dataclass(frozen=True, slots=True)
class Config:
    """A validated configuration together with where it came from."""

    path: Path | None
    file: ConfigFile
    env: Mapping[str, str]

    @property
    def base_dir(self) -> Path:
        """Directory that relative paths in the file are resolved against."""
        return self.path.parent if self.path is not None else Path.cwd()

    @property
    def var_dir(self) -> Path:
        """Directory for the SQLite file, logs and models."""
        return (self.base_dir / self.file.settings.var_dir).resolve()

    @property
    def database_url(self) -> str:
        """Database URL: environment first, then the file, then SQLite under var_dir."""
        from_env = self.env.get(ENV_DATABASE_URL, "").strip()
        if from_env:
            return from_env
        if self.file.settings.database_url:
            return self.file.settings.database_url
        return f"sqlite:///{self.var_dir / 'yuqing.db'}"

    @property
    def model_dir(self) -> Path:
        """Where trained classifier models live."""
        configured = self.file.settings.model_dir
        return (self.base_dir / configured).resolve() if configured else self.var_dir / "models"

    @property
    def log_file(self) -> Path:
        """The rotating log file."""
        configured = self.file.settings.log_file
        return (self.base_dir / configured).resolve() if configured else self.var_dir / "log" / "yuqing.log"

    @property
    def plan_paths(self) -> tuple[Path, ...]:
        """Extra plan files named in the config, resolved."""
        return tuple((self.base_dir / p).resolve() for p in self.file.settings.plan_files)

    @property
    def holiday_paths(self) -> tuple[Path, ...]:
        """Holiday supplement files named in the config, resolved."""
        return tuple((self.base_dir / p).resolve() for p in self.file.settings.holiday_files)

    @property
    def notify_urls(self) -> tuple[str, ...]:
        """Notification URLs from the file plus YUQING_NOTIFY_URLS (comma or whitespace separated)."""
        extra = [u for u in re.split(r"[\s,]+", self.env.get(ENV_NOTIFY_URLS, "")) if u]
        return (*self.file.settings.notify.urls, *extra)

    def units(self) -> list[UnitProfile]:
        """The configured units as classifier profiles."""
        default_plan = self.file.settings.default_plan
        return [
            UnitProfile(
                id=u.id,
                name=u.name,
                jurisdiction=u.jurisdiction,
                aliases=u.aliases,
                kind=UnitKind(u.kind or infer_unit_kind(u.name)),
                duties=u.duties,
                subordinates=u.subordinates,
                places=u.places,
                leaders=u.leaders,
                exclude=u.exclude,
                plan=u.plan or default_plan,
            )
            for u in self.file.unit
        ]

    def sources(self) -> list[SourceSpec]:
        """The configured sources as crawler specs (relative import paths resolved)."""
        crawl = self.file.settings.crawl
        specs = []
        for s in self.file.source:
            url = s.url
            if s.kind == "import" and "://" not in url:
                url = str((self.base_dir / url).resolve())
            specs.append(
                SourceSpec(
                    id=s.id,
                    name=s.name,
                    kind=SourceKind(s.kind),
                    url=url,
                    poll_interval_s=s.poll_interval_s or crawl.default_poll_interval_s,
                    encoding=s.encoding,
                    selectors=Selectors(**s.selectors.model_dump()),
                    unit_hints=s.units,
                    enabled=s.enabled,
                    rsshub_route=s.route,
                    timeout_s=crawl.timeout_s,
                    max_bytes=crawl.max_bytes,
                    download_delay_s=crawl.download_delay_s,
                    user_agent=crawl.user_agent,
                )
            )
        return specs


_TERRITORIAL_SUFFIXES = ("人民政府", "政府", "党委", "委员会办公室", "管委会", "街道办事处", "办事处")


def infer_unit_kind(name: str) -> str:
    """A body named like a government of a territory answers for its territory; others are departments."""
    return "territorial" if name.endswith(_TERRITORIAL_SUFFIXES) else "department"


def resolve_config_path(explicit: str | None, env: Mapping[str, str]) -> Path | None:
    """The config path from --config, else YUQING_CONFIG, else ./yuqing.toml if present, else None."""
    if explicit:
        return Path(explicit)
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG])
    default = Path.cwd() / DEFAULT_CONFIG_NAME
    return default if default.exists() else None


def load_config(path: Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file; raise ConfigError naming the file and key on any problem."""
    environment = dict(os.environ if env is None else env)
    if path is None:
        return Config(path=None, file=ConfigFile(), env=environment)
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{name}: 配置文件不存在 (config file not found)") from None
    except OSError as exc:
        raise ConfigError(f"{name}: 无法读取配置文件: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: 配置文件必须是 UTF-8 编码（第 {exc.start} 字节处无法解码）") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: TOML 语法错误: {exc}") from None
    return Config(path=path.resolve(), file=parse_config_data(data, name), env=environment)


def parse_config_data(data: Mapping[str, Any], name: str) -> ConfigFile:
    """Validate already-parsed TOML data; errors name the file and the dotted key."""
    try:
        return ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(name, exc)) from None


_MESSAGES = {
    "missing": "缺少必填项 (required)",
    "extra_forbidden": "未知的配置项 (unknown key)",
}


def _format_validation_error(name: str, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        location = _dotted(error["loc"])
        kind = error["type"]
        if kind in _MESSAGES:
            message = _MESSAGES[kind]
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            if "input" in error and kind not in ("value_error",) and not isinstance(error["input"], dict):
                message += f"，实际为 {error['input']!r}"
        lines.append(f"{name}: {location}: {message}" if location else f"{name}: {message}")
    return "\n".join(lines)


def _dotted(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for piece in loc:
        if isinstance(piece, int):
            parts[-1:] = [f"{parts[-1]}[{piece}]"] if parts else [f"[{piece}]"]
        else:
            parts.append(piece)
    return ".".join(parts)
