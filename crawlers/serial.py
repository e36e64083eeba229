"""JSON-safe dicts for SourceSpec and FetchedItem (the list-crawl subprocess protocol, CLI --json)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from crawlers.types import Engagement, FetchedItem, Selectors, SourceKind, SourceSpec


def spec_to_dict(spec: SourceSpec) -> dict[str, Any]:
    """A SourceSpec as a JSON-safe dict."""
    data = asdict(spec)
    data["kind"] = str(spec.kind)
    data["unit_hints"] = list(spec.unit_hints)
    return data


def spec_from_dict(data: dict[str, Any]) -> SourceSpec:
    """Inverse of spec_to_dict."""
    data = dict(data)
    data["kind"] = SourceKind(data["kind"])
    data["selectors"] = Selectors(**data.get("selectors") or {})
    data["unit_hints"] = tuple(data.get("unit_hints") or ())
    return SourceSpec(**data)


def item_to_dict(item: FetchedItem) -> dict[str, Any]:
    """A FetchedItem as a JSON-safe dict (datetimes as ISO 8601 strings)."""
    data = asdict(item)
    data["fetched_at"] = item.fetched_at.isoformat()
    data["published_at"] = item.published_at.isoformat() if item.published_at else None
    data["flags"] = list(item.flags)
    return data


def item_from_dict(data: dict[str, Any]) -> FetchedItem:
    """Inverse of item_to_dict."""
    data = dict(data)
    data["fetched_at"] = datetime.fromisoformat(data["fetched_at"])
    data["published_at"] = datetime.fromisoformat(data["published_at"]) if data.get("published_at") else None
    data["engagement"] = Engagement(**data.get("engagement") or {})
    data["flags"] = tuple(data.get("flags") or ())
    return FetchedItem(**data)
