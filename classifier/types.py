"""Domain types that leave classifier/: unit profiles, places, figures and assessments."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Grade(StrEnum):
    """Official emergency grades (突发事件分级), most severe first."""

    EXTRAORDINARY = "特别重大"  # I, red
    MAJOR = "重大"  # II, orange
    LARGE = "较大"  # III, yellow
    GENERAL = "一般"  # IV, blue

    @property
    def level(self) -> int:
        """1 for 特别重大 … 4 for 一般 (lower is more severe)."""
        return list(Grade).index(self) + 1

    @property
    def colour(self) -> str:
        """Warning colour name for this grade."""
        return ("red", "orange", "yellow", "blue")[self.level - 1]

    @staticmethod
    def level_of(value: str) -> int:
        """The level of a stored grade string; 9 (least severe) for anything that is not a grade."""
        try:
            return Grade(value).level
        except ValueError:
            return 9


class Category(StrEnum):
    """What kind of happening an item reports."""

    TRAFFIC = "交通事故"
    FIRE = "火灾"
    EXPLOSION = "爆炸"
    COLLAPSE = "建筑坍塌"
    DISASTER = "地震/自然灾害"
    FOOD_POISONING = "食物中毒"
    PUBLIC_HEALTH = "公共卫生"
    SOCIAL_SECURITY = "社会安全"
    POLLUTION = "环境污染"
    MISCONDUCT = "违纪违法/作风"
    COMPLAINT = "投诉/诉求"
    RUMOUR = "谣言"
    POLICY = "政策发布"
    OTHER = "其他"


class UnitKind(StrEnum):
    """A territorial government answers for everything in its territory; a department for its duties."""

    TERRITORIAL = "territorial"
    DEPARTMENT = "department"


@dataclass(frozen=True, slots=True)
class UnitProfile:
    """A government body the system watches for."""

    id: str
    name: str
    jurisdiction: str  # administrative division name or 6/12-digit code
    aliases: tuple[str, ...] = ()
    kind: UnitKind = UnitKind.DEPARTMENT
    duties: tuple[str, ...] = ()
    subordinates: tuple[str, ...] = ()
    leaders: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    plan: str = "unit_default"
    places: tuple[str, ...] = ()  # sub-places inside the jurisdiction (镇、街道、园区) matched by name


@dataclass(frozen=True, slots=True)
class Place:
    """A place resolved to the administrative hierarchy; unknown levels are None."""

    province: str | None = None
    city: str | None = None
    county: str | None = None
    adcode: str | None = None
    mention: str = ""
    abroad: bool = False  # a foreign country or city (境外)
    region: str = ""  # "香港" / "澳门" / "台湾" for places there (marked apart from the mainland)
    note: str = ""  # why a place was left unresolved (e.g. an ambiguous name without context)


@dataclass(frozen=True, slots=True)
class Figures:
    """Figures that decide a grade; None when the text does not say."""

    deaths: int | None = None
    missing: int | None = None
    serious_injuries: int | None = None
    injuries: int | None = None
    poisoned: int | None = None
    economic_loss_yuan: float | None = None
    magnitude: float | None = None
    no_casualties: bool = False  # the text says 无人员伤亡 / 暂无伤亡报告
    approximate: tuple[str, ...] = ()  # figures the text gave only roughly (十余人, 上百人): their lower bound


@dataclass(frozen=True, slots=True)
class Severity:
    """The official grade with its basis, and whether a non-emergency still needs an answer."""

    grade: Grade | None
    basis: str
    negative: float
    needs_response: bool
    heavy_casualties: bool = False  # 造成重大人员伤亡或社会影响较大: condition for a press-conference clock


@dataclass(frozen=True, slots=True)
class UnitRelevance:
    """How much an item concerns one unit, with reasons a duty officer can check."""

    unit: str
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Assessment:
    """The classifier's verdict on one item."""

    item_id: str
    units: tuple[UnitRelevance, ...]
    places: tuple[Place, ...]
    abroad: bool
    category: Category
    figures: Figures
    severity: Severity
    model_version: str = ""
    extra: dict[str, str] = field(default_factory=dict)
