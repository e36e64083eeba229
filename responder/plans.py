"""Response plans as data: load TOML plan files, resolve `extends`, validate, hash a version.

The format is documented in responder/plans/README.md. Every error is a PlanError whose message
starts with the file name and the key path, e.g.
``plans.toml: plan.unit_default.rules.重大[0].limit: must be > 0``.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from responder.errors import PlanError
from responder.types import (
    ClockKind,
    ClockRule,
    Condition,
    LimitUnit,
    Plan,
    ResponseMethod,
    StartBasis,
    Trigger,
)

PLANS_DIR = Path(__file__).resolve().parent / "plans"
DEFAULT_PLAN_ID = "unit_default"

_TOP_KEYS = {"plan"}
_PLAN_KEYS = {"name", "citation", "extends", "rules", "override", "drop", "notes"}
_RULE_KEYS = {"kind", "limit", "unit", "basis", "condition", "repeats", "met_by", "citation", "note"}
_RULE_REQUIRED = ("kind", "limit", "unit", "basis", "met_by", "citation")
_OVERRIDE_KEYS = {"trigger", "kind", "limit", "unit", "citation", "note"}
_DROP_KEYS = {"trigger", "kind", "reason"}


@dataclass
class _RawPlan:
    """A plan as written in its file, before `extends` is resolved."""

    id: str
    file: str
    name: str
    citation: str
    extends: str | None
    rules: dict[Trigger, list[ClockRule]]
    overrides: list[tuple[str, Trigger, ClockKind, float, LimitUnit | None, str, str]] = field(
        default_factory=list
    )
    drops: list[tuple[str, Trigger, ClockKind]] = field(default_factory=list)
    notes: dict[Trigger, str] = field(default_factory=dict)


def default_plan_paths() -> list[Path]:
    """The plan files shipped with the package (responder/plans/*.toml)."""
    return sorted(PLANS_DIR.glob("*.toml"))


def _err(file: str, path: str, message: str) -> PlanError:
    return PlanError(f"{file}: {path}: {message}")


def _enum(cls: Any, value: Any, file: str, path: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = " | ".join(m.value for m in cls)
        raise _err(file, path, f"unknown value {value!r} (expected one of: {allowed})") from None


def _text(value: Any, file: str, path: str, *, required: bool = True) -> str:
    if value is None:
        if required:
            raise _err(file, path, "missing (required)")
        return ""
    if not isinstance(value, str):
        raise _err(file, path, f"must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise _err(file, path, "must not be empty")
    return value.strip()


def _limit(value: Any, unit: LimitUnit | None, file: str, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(file, path, f"must be a number, got {value!r}")
    if value <= 0:
        raise _err(file, path, "must be > 0")
    if unit is LimitUnit.WORKING_DAYS and value != int(value):
        raise _err(file, path, "a working-day limit must be a whole number")
    return float(value)


def _check_keys(table: Any, allowed: set[str], file: str, path: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise _err(file, path, f"must be a table, got {type(table).__name__}")
    for key in table:
        if key not in allowed:
            raise _err(file, f"{path}.{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
    return table


def _parse_rule(raw: Any, file: str, path: str) -> ClockRule:
    table = _check_keys(raw, _RULE_KEYS, file, path)
    for key in _RULE_REQUIRED:
        if key not in table:
            raise _err(file, f"{path}.{key}", "missing (required)")
    unit: LimitUnit = _enum(LimitUnit, table["unit"], file, f"{path}.unit")
    met_by_raw = table["met_by"]
    if not isinstance(met_by_raw, list) or not met_by_raw:
        raise _err(file, f"{path}.met_by", "must be a non-empty list of response methods")
    met_by = tuple(_enum(ResponseMethod, m, file, f"{path}.met_by[{i}]") for i, m in enumerate(met_by_raw))
    repeats = table.get("repeats", False)
    if not isinstance(repeats, bool):
        raise _err(file, f"{path}.repeats", "must be true or false")
    return ClockRule(
        kind=_enum(ClockKind, table["kind"], file, f"{path}.kind"),
        limit=_limit(table["limit"], unit, file, f"{path}.limit"),
        unit=unit,
        basis=_enum(StartBasis, table["basis"], file, f"{path}.basis"),
        citation=_text(table["citation"], file, f"{path}.citation"),
        met_by=met_by,
        condition=_enum(Condition, table.get("condition", Condition.ALWAYS.value), file, f"{path}.condition"),
        repeats=repeats,
        note=_text(table.get("note"), file, f"{path}.note", required=False),
    )


def _parse_plan(plan_id: str, raw: Any, file: str) -> _RawPlan:
    base = f"plan.{plan_id}"
    table = _check_keys(raw, _PLAN_KEYS, file, base)
    extends = table.get("extends")
    if extends is not None:
        extends = _text(extends, file, f"{base}.extends")
    rules: dict[Trigger, list[ClockRule]] = {}
    rules_raw = _check_keys(table.get("rules", {}), {t.value for t in Trigger}, file, f"{base}.rules")
    for trigger_name, rule_list in rules_raw.items():
        trigger = Trigger(trigger_name)
        tpath = f"{base}.rules.{trigger_name}"
        if not isinstance(rule_list, list):
            raise _err(file, tpath, 'must be an array of tables ([[plan.<id>.rules."<trigger>"]])')
        parsed = [_parse_rule(r, file, f"{tpath}[{i}]") for i, r in enumerate(rule_list)]
        seen: set[ClockKind] = set()
        for i, rule in enumerate(parsed):
            if rule.kind in seen:
                # Clock identity within a case is (trigger, kind), so a kind may appear once per trigger.
                raise _err(
                    file, f"{tpath}[{i}].kind", f"duplicate clock kind {rule.kind.value!r} for this trigger"
                )
            seen.add(rule.kind)
        rules[trigger] = parsed
    overrides = []
    for i, o in enumerate(_list_of_tables(table.get("override", []), file, f"{base}.override")):
        opath = f"{base}.override[{i}]"
        _check_keys(o, _OVERRIDE_KEYS, file, opath)
        for key in ("trigger", "kind", "limit", "citation"):
            if key not in o:
                raise _err(file, f"{opath}.{key}", "missing (required)")
        unit = _enum(LimitUnit, o["unit"], file, f"{opath}.unit") if "unit" in o else None
        overrides.append(
            (
                opath,
                _enum(Trigger, o["trigger"], file, f"{opath}.trigger"),
                _enum(ClockKind, o["kind"], file, f"{opath}.kind"),
                _limit(o["limit"], unit, file, f"{opath}.limit"),
                unit,
                _text(o["citation"], file, f"{opath}.citation"),
                _text(o.get("note"), file, f"{opath}.note", required=False),
            )
        )
    drops = []
    for i, d in enumerate(_list_of_tables(table.get("drop", []), file, f"{base}.drop")):
        dpath = f"{base}.drop[{i}]"
        _check_keys(d, _DROP_KEYS, file, dpath)
        for key in ("trigger", "kind", "reason"):
            if key not in d:
                raise _err(file, f"{dpath}.{key}", "missing (required)")
        _text(d["reason"], file, f"{dpath}.reason")
        drops.append(
            (
                dpath,
                _enum(Trigger, d["trigger"], file, f"{dpath}.trigger"),
                _enum(ClockKind, d["kind"], file, f"{dpath}.kind"),
            )
        )
    notes_raw = _check_keys(table.get("notes", {}), {t.value for t in Trigger}, file, f"{base}.notes")
    notes = {Trigger(k): _text(v, file, f"{base}.notes.{k}") for k, v in notes_raw.items()}
    return _RawPlan(
        id=plan_id,
        file=file,
        name=_text(table.get("name"), file, f"{base}.name"),
        citation=_text(table.get("citation"), file, f"{base}.citation"),
        extends=extends,
        rules=rules,
        overrides=overrides,
        drops=drops,
        notes=notes,
    )


def _list_of_tables(value: Any, file: str, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _err(file, path, "must be an array of tables")
    return value


def _resolve(
    plan_id: str, raw: Mapping[str, _RawPlan], done: dict[str, Plan], stack: tuple[str, ...]
) -> Plan:
    if plan_id in done:
        return done[plan_id]
    me = raw[plan_id]
    rules: dict[Trigger, list[ClockRule]] = {}
    notes: dict[Trigger, str] = {}
    if me.extends is not None:
        if me.extends not in raw:
            raise _err(me.file, f"plan.{plan_id}.extends", f"unknown parent plan {me.extends!r}")
        if me.extends in stack:
            cycle = " → ".join((*stack, plan_id, me.extends))
            raise _err(me.file, f"plan.{plan_id}.extends", f"extends cycle: {cycle}")
        parent = _resolve(me.extends, raw, done, (*stack, plan_id))
        rules = {t: list(rs) for t, rs in parent.rules.items()}
        notes = dict(parent.notes)
    # A child's rule replaces the parent's rule of the same kind under the same trigger; others are kept.
    for trigger, own in me.rules.items():
        merged = rules.setdefault(trigger, [])
        for rule in own:
            idx = next((i for i, r in enumerate(merged) if r.kind == rule.kind), None)
            if idx is None:
                merged.append(rule)
            else:
                merged[idx] = rule
    for dpath, trigger, kind in me.drops:
        current = rules.get(trigger, [])
        if not any(r.kind == kind for r in current):
            raise _err(me.file, dpath, f"no {kind.value!r} rule under {trigger.value!r} to drop")
        rules[trigger] = [r for r in current if r.kind != kind]
    for opath, trigger, kind, limit, unit, citation, note in me.overrides:
        current = rules.get(trigger, [])
        idx = next((i for i, r in enumerate(current) if r.kind == kind), None)
        if idx is None:
            raise _err(me.file, opath, f"no {kind.value!r} rule under {trigger.value!r} to override")
        old = current[idx]
        new_unit = unit if unit is not None else old.unit
        if new_unit is LimitUnit.WORKING_DAYS and limit != int(limit):
            raise _err(me.file, f"{opath}.limit", "a working-day limit must be a whole number")
        extra = note or f"覆盖原时限 {old.limit:g} {old.unit.value}（原依据：{old.citation}）"
        current[idx] = replace(old, limit=limit, unit=new_unit, citation=citation, note=extra)
    notes.update(me.notes)
    ordered = {t: tuple(rules[t]) for t in Trigger if rules.get(t)}
    plan = Plan(
        id=plan_id,
        name=me.name,
        version="",
        citation=me.citation,
        rules=ordered,
        extends=me.extends,
        notes={t: notes[t] for t in Trigger if t in notes},
        source=me.file,
    )
    plan = replace(plan, version=plan_version(plan))
    done[plan_id] = plan
    return plan


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """A JSON-able form of a resolved plan (what the version hash covers, plus the version)."""
    return {
        "id": plan.id,
        "name": plan.name,
        "citation": plan.citation,
        "extends": plan.extends,
        "version": plan.version,
        "rules": {
            t.value: [
                {
                    "kind": r.kind.value,
                    "limit": r.limit,
                    "unit": r.unit.value,
                    "basis": r.basis.value,
                    "condition": r.condition.value,
                    "repeats": r.repeats,
                    "met_by": [m.value for m in r.met_by],
                    "citation": r.citation,
                    "note": r.note,
                }
                for r in rules
            ]
            for t, rules in plan.rules.items()
        },
        "notes": {t.value: n for t, n in plan.notes.items()},
    }


def plan_version(plan: Plan) -> str:
    """Content hash of a resolved plan: any change of a limit, rule or citation gives a new version."""
    body = plan_to_dict(plan)
    body.pop("version")
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _expand(paths: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files.extend(sorted(path.glob("*.toml")))
        else:
            files.append(path)
    return files


def load_plans(paths: Iterable[Path | str] | None = None) -> dict[str, Plan]:
    """Load, resolve and validate plan files (files or directories of *.toml); default: the shipped plans."""
    files = _expand(default_plan_paths() if paths is None else paths)
    raw: dict[str, _RawPlan] = {}
    for path in files:
        name = path.name
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise PlanError(f"{path}: file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise PlanError(f"{name}: invalid TOML: {exc}") from None
        _check_keys(data, _TOP_KEYS, name, "(top level)")
        plans_table = data.get("plan", {})
        if not isinstance(plans_table, dict):
            raise _err(name, "plan", "must be a table of plans ([plan.<id>])")
        for plan_id, body in plans_table.items():
            if plan_id in raw:
                raise _err(
                    name, f"plan.{plan_id}", f"duplicate plan id (also defined in {raw[plan_id].file})"
                )
            raw[plan_id] = _parse_plan(plan_id, body, name)
    done: dict[str, Plan] = {}
    for plan_id in raw:
        _resolve(plan_id, raw, done, ())
    return {pid: done[pid] for pid in raw}


def rules_for(plan: Plan, trigger: Trigger, heavy_casualties: bool) -> tuple[ClockRule, ...]:
    """The rules a trigger starts under a plan, keeping only those whose condition holds."""
    return tuple(
        r
        for r in plan.rules.get(trigger, ())
        if r.condition is Condition.ALWAYS or (r.condition is Condition.HEAVY_CASUALTIES and heavy_casualties)
    )
