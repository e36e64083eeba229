"""Plans: every rule of RULES.md with its limit and citation; extends/override/drop; validation errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from responder.errors import PlanError
from responder.plans import default_plan_paths, load_plans, plan_version, rules_for
from responder.types import ClockKind, Condition, LimitUnit, Plan, ResponseMethod, StartBasis, Trigger

EMERGENCY = (Trigger.EXTRAORDINARY, Trigger.MAJOR)
LESSER = (Trigger.LARGE, Trigger.GENERAL)


def rule(plan: Plan, trigger: Trigger, kind: ClockKind):  # type: ignore[no-untyped-def]
    matches = [r for r in plan.rules.get(trigger, ()) if r.kind is kind]
    assert len(matches) == 1, f"{plan.id}: expected one {kind} under {trigger}, got {matches}"
    return matches[0]


def test_shipped_plans_load(plans: dict[str, Plan]) -> None:
    assert set(plans) == {
        "unit_default",
        "gov_2016_80",
        "gov_2016_61",
        "xinxing_2017",
        "policy_interpretation",
    }
    assert len(default_plan_paths()) == 5
    for plan in plans.values():
        assert plan.citation and plan.name and len(plan.version) == 16
        for rules in plan.rules.values():
            for r in rules:
                assert r.citation.strip(), f"{plan.id} rule {r.kind} lacks a citation"
                assert r.met_by


@pytest.mark.parametrize("trigger", EMERGENCY)
def test_unit_default_emergency_clocks(plans: dict[str, Plan], trigger: Trigger) -> None:
    plan = plans["unit_default"]
    facts = rule(plan, trigger, ClockKind.FACTS)
    assert (facts.limit, facts.unit, facts.condition) == (1, LimitUnit.HOURS, Condition.ALWAYS)
    assert "邕宁区总工会" in facts.citation and "二(八)" in facts.citation and "1小时" in facts.citation
    assert ResponseMethod.AUTHORITATIVE_RELEASE in facts.met_by
    press = rule(plan, trigger, ClockKind.PRESS_CONFERENCE)
    assert (press.limit, press.unit, press.condition, press.repeats) == (
        24,
        LimitUnit.HOURS,
        Condition.HEAVY_CASUALTIES,
        True,
    )
    assert "24小时" in press.citation and "二(八)" in press.citation
    assert press.met_by == (ResponseMethod.PRESS_CONFERENCE,)


@pytest.mark.parametrize("trigger", (*LESSER, Trigger.OTHER_OPINION))
def test_unit_default_other_opinion_48h(plans: dict[str, Plan], trigger: Trigger) -> None:
    plan = plans["unit_default"]
    resp = rule(plan, trigger, ClockKind.RESPONSE)
    assert (resp.limit, resp.unit, resp.repeats, resp.basis) == (
        48,
        LimitUnit.HOURS,
        True,
        StartBasis.FIRST_ONLINE,
    )
    assert "48小时" in resp.citation and "二(八)" in resp.citation
    assert trigger in plan.notes  # the reading of 较大/一般 is stated in the plan file


def test_unit_default_includes_policy_clock(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    assert plan.extends == "policy_interpretation"
    policy = rule(plan, Trigger.POLICY, ClockKind.POLICY_INTERPRETATION)
    assert (policy.limit, policy.unit) == (3, LimitUnit.WORKING_DAYS)
    assert "二(七)" in policy.citation and "新兴区" in policy.citation
    assert ResponseMethod.INTERPRETATION in policy.met_by


def test_policy_interpretation_plan(plans: dict[str, Plan]) -> None:
    plan = plans["policy_interpretation"]
    assert set(plan.rules) == {Trigger.POLICY}
    r = rule(plan, Trigger.POLICY, ClockKind.POLICY_INTERPRETATION)
    assert (r.limit, r.unit) == (3, LimitUnit.WORKING_DAYS)


@pytest.mark.parametrize("trigger", EMERGENCY)
def test_gov_2016_80(plans: dict[str, Plan], trigger: Trigger) -> None:
    plan = plans["gov_2016_80"]
    auth = rule(plan, trigger, ClockKind.AUTHORITATIVE)
    assert (auth.limit, auth.unit, auth.condition) == (5, LimitUnit.HOURS, Condition.ALWAYS)
    assert "〔2016〕80号" in auth.citation and "5小时" in auth.citation
    press = rule(plan, trigger, ClockKind.PRESS_CONFERENCE)
    assert (press.limit, press.condition) == (24, Condition.ALWAYS)
    assert "〔2016〕80号" in press.citation  # re-cited by the child, not the inherited 61号 rule
    # Inherited from 61号 (both notices are in force): 48 h for other opinion.
    assert rule(plan, Trigger.OTHER_OPINION, ClockKind.RESPONSE).limit == 48


@pytest.mark.parametrize("trigger", EMERGENCY)
def test_gov_2016_61(plans: dict[str, Plan], trigger: Trigger) -> None:
    plan = plans["gov_2016_61"]
    press = rule(plan, trigger, ClockKind.PRESS_CONFERENCE)
    assert (press.limit, press.unit, press.condition) == (24, LimitUnit.HOURS, Condition.ALWAYS)
    assert "〔2016〕61号" in press.citation and "24小时" in press.citation
    assert [r.kind for r in plan.rules[trigger]] == [ClockKind.PRESS_CONFERENCE]
    for other in (*LESSER, Trigger.OTHER_OPINION):
        resp = rule(plan, other, ClockKind.RESPONSE)
        assert (resp.limit, resp.unit) == (48, LimitUnit.HOURS)
        assert "〔2016〕61号" in resp.citation and "48小时" in resp.citation
    assert Trigger.POLICY not in plan.rules


@pytest.mark.parametrize("trigger", EMERGENCY)
def test_xinxing_2017(plans: dict[str, Plan], trigger: Trigger) -> None:
    plan = plans["xinxing_2017"]
    auth = rule(plan, trigger, ClockKind.AUTHORITATIVE)
    assert (auth.limit, auth.unit) == (24, LimitUnit.HOURS)
    assert "新兴区" in auth.citation and "二(三)" in auth.citation
    policy = rule(plan, Trigger.POLICY, ClockKind.POLICY_INTERPRETATION)
    assert (policy.limit, policy.unit) == (3, LimitUnit.WORKING_DAYS) and "二(一)" in policy.citation


def test_rules_for_condition(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    assert [r.kind for r in rules_for(plan, Trigger.MAJOR, False)] == [ClockKind.FACTS]
    assert [r.kind for r in rules_for(plan, Trigger.MAJOR, True)] == [
        ClockKind.FACTS,
        ClockKind.PRESS_CONFERENCE,
    ]
    assert rules_for(plans["gov_2016_61"], Trigger.POLICY, False) == ()


def test_version_is_content_hash(plans: dict[str, Plan]) -> None:
    plan = plans["unit_default"]
    assert plan_version(plan) == plan.version
    again = load_plans()["unit_default"]
    assert again.version == plan.version
    changed_rules = dict(plan.rules)
    changed_rules[Trigger.MAJOR] = (
        replace(plan.rules[Trigger.MAJOR][0], limit=2.0),
        *plan.rules[Trigger.MAJOR][1:],
    )
    assert plan_version(replace(plan, rules=changed_rules)) != plan.version
    assert plan_version(replace(plan, source="elsewhere.toml")) == plan.version


# --- user plans: extends, override, drop -------------------------------------------------------------

MY_PLAN = """
[plan.my_unit]
name = "本单位方案"
citation = "本单位2026年政务舆情回应办法 三(二)"
extends = "unit_default"

[[plan.my_unit.override]]
trigger = "重大"
kind = "发布事实信息"
limit = 0.5
citation = "本单位2026年政务舆情回应办法 三(二)：30分钟"

[[plan.my_unit.drop]]
trigger = "一般"
kind = "召开新闻发布会"
reason = "本单位一般事件不召开新闻发布会"

[[plan.my_unit.rules."重大"]]
kind = "回应"
limit = 12
unit = "hours"
basis = "discovered"
met_by = ["网上回应/答复"]
citation = "本单位2026年政务舆情回应办法 三(三)"
"""


def test_user_plan_extends_overrides_drops(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(MY_PLAN, encoding="utf-8")
    plans = load_plans([*default_plan_paths(), mine])
    plan = plans["my_unit"]
    facts = rule(plan, Trigger.MAJOR, ClockKind.FACTS)
    assert facts.limit == 0.5 and "30分钟" in facts.citation and "覆盖原时限 1 hours" in facts.note
    assert rule(plan, Trigger.MAJOR, ClockKind.RESPONSE).limit == 12
    assert [r.kind for r in plan.rules[Trigger.GENERAL]] == [ClockKind.RESPONSE]
    assert rule(plan, Trigger.POLICY, ClockKind.POLICY_INTERPRETATION).limit == 3  # two levels up
    assert plan.source == "mine.toml"
    # The parent is untouched.
    assert rule(plans["unit_default"], Trigger.MAJOR, ClockKind.FACTS).limit == 1


def test_directory_path_loads_all(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(MY_PLAN, encoding="utf-8")
    plans = load_plans([default_plan_paths()[0].parent, tmp_path])
    assert "my_unit" in plans and "unit_default" in plans


GOOD_RULE = """
[plan.p]
name = "p"
citation = "c"
[[plan.p.rules."重大"]]
kind = "发布事实信息"
limit = 1
unit = "hours"
basis = "occurred"
met_by = ["发布权威信息"]
citation = "c"
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD_RULE, ""),
        (GOOD_RULE.replace("limit = 1", "limit = 0"), "bad.toml: plan.p.rules.重大[0].limit: must be > 0"),
        (GOOD_RULE.replace("limit = 1", "limit = -3"), "bad.toml: plan.p.rules.重大[0].limit: must be > 0"),
        (GOOD_RULE.replace("limit = 1", 'limit = "1"'), "plan.p.rules.重大[0].limit: must be a number"),
        (GOOD_RULE.replace('"重大"', '"超级重大"'), "bad.toml: plan.p.rules.超级重大: unknown key"),
        (
            GOOD_RULE.replace('kind = "发布事实信息"', 'kind = "喝茶"'),
            "plan.p.rules.重大[0].kind: unknown value '喝茶'",
        ),
        (
            GOOD_RULE.replace('basis = "occurred"', 'basis = "yesterday"'),
            "plan.p.rules.重大[0].basis: unknown value",
        ),
        (GOOD_RULE.replace('unit = "hours"', 'unit = "weeks"'), "plan.p.rules.重大[0].unit: unknown value"),
        (GOOD_RULE.replace('["发布权威信息"]', '["托梦"]'), "plan.p.rules.重大[0].met_by[0]: unknown value"),
        (
            GOOD_RULE.replace('["发布权威信息"]', "[]"),
            "plan.p.rules.重大[0].met_by: must be a non-empty list",
        ),
        (
            GOOD_RULE.replace('unit = "hours"', 'unit = "working_days"').replace("limit = 1", "limit = 1.5"),
            "plan.p.rules.重大[0].limit: a working-day limit must be a whole number",
        ),
        (
            GOOD_RULE.replace('met_by = ["发布权威信息"]\ncitation = "c"', 'met_by = ["发布权威信息"]'),
            "bad.toml: plan.p.rules.重大[0].citation: missing (required)",
        ),
        (
            GOOD_RULE.replace(
                'met_by = ["发布权威信息"]\ncitation = "c"', 'met_by = ["发布权威信息"]\ncitation = " "'
            ),
            "plan.p.rules.重大[0].citation: must not be empty",
        ),
        (
            GOOD_RULE.replace('name = "p"\ncitation = "c"', 'name = "p"'),
            "bad.toml: plan.p.citation: missing (required)",
        ),
        (
            GOOD_RULE.replace('basis = "occurred"', 'basis = "occurred"\ncondition = "rainy"'),
            "plan.p.rules.重大[0].condition: unknown value",
        ),
        (
            GOOD_RULE.replace('basis = "occurred"', 'basis = "occurred"\nlimt = 3'),
            "plan.p.rules.重大[0].limt: unknown key",
        ),
        (
            GOOD_RULE.replace('citation = "c"\n[[', 'citation = "c"\nextends = "nowhere"\n[['),
            "bad.toml: plan.p.extends: unknown parent plan 'nowhere'",
        ),
        (
            GOOD_RULE + GOOD_RULE.split("[[")[1].join(["[[", ""]),
            "plan.p.rules.重大[1].kind: duplicate clock kind",
        ),
        ("[plan.p]\nname = 1\ncitation = 'c'\n", "plan.p.name: must be a string"),
        ("plans = 1\n", "bad.toml: (top level).plans: unknown key"),
        ("[plan.p\n", "bad.toml: invalid TOML"),
        (
            GOOD_RULE + '[[plan.p.override]]\ntrigger = "一般"\nkind = "回应"\nlimit = 2\ncitation = "x"\n',
            "bad.toml: plan.p.override[0]: no '回应' rule under '一般' to override",
        ),
        (
            GOOD_RULE + '[[plan.p.override]]\ntrigger = "重大"\nkind = "发布事实信息"\nlimit = 2\n',
            "plan.p.override[0].citation: missing (required)",
        ),
        (
            GOOD_RULE + '[[plan.p.drop]]\ntrigger = "重大"\nkind = "回应"\nreason = "r"\n',
            "plan.p.drop[0]: no '回应' rule under '重大' to drop",
        ),
    ],
)
def test_validation_errors_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    if not expected:
        assert load_plans([bad])["p"].rules  # the template itself is valid: each row breaks one thing
        return
    with pytest.raises(PlanError) as info:
        load_plans([bad])
    assert expected in str(info.value)


def test_extends_cycle(tmp_path: Path) -> None:
    text = """
[plan.a]
name = "a"
citation = "c"
extends = "b"
[plan.b]
name = "b"
citation = "c"
extends = "a"
"""
    f = tmp_path / "cycle.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError, match=r"cycle.toml: plan\.\w\.extends: extends cycle: "):
        load_plans([f])


def test_duplicate_plan_id_across_files(tmp_path: Path) -> None:
    f = tmp_path / "dup.toml"
    f.write_text("[plan.unit_default]\nname = 'x'\ncitation = 'y'\n", encoding="utf-8")
    with pytest.raises(
        PlanError,
        match=r"dup.toml: plan.unit_default: duplicate plan id \(also defined in unit_default.toml\)",
    ):
        load_plans([*default_plan_paths(), f])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="file not found"):
        load_plans([tmp_path / "nope.toml"])


def test_no_official_limit_in_code() -> None:
    """The limits of RULES.md live in the plan files only: no `hours=24`-style literal in responder code."""
    import re

    code_dir = Path(__file__).resolve().parents[2] / "responder"
    pattern = re.compile(r"\b(hours|limit)\s*=\s*(1|3|5|24|48)(\.0)?\b|\b(1|3|5|24|48)\s*(小时|个工作日)")
    offenders = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(code_dir.glob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
