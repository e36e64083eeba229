"""Load the config's units and sources into the database (idempotent)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from crawlers.types import SourceKind, SourceSpec
from service.settings import Config
from storage.repositories.sources import SourceRepository
from storage.repositories.units import UnitRepository

if TYPE_CHECKING:
    from service.context import AppContext


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """How many units and sources the config holds."""

    units: int
    sources: int


def sync_config(session: Session, config: Config, now: datetime | None = None) -> SyncSummary:
    """Upsert units and sources; units/sources gone from the config are marked removed, never deleted."""
    moment = now or datetime.now(UTC)
    units = config.units()
    sources = config.sources()
    UnitRepository(session).sync_from_config(units, now=moment)
    SourceRepository(session).sync_from_config(sources, now=moment)
    return SyncSummary(units=len(units), sources=len(sources))


def ensure_import_source(context: AppContext, path: Path) -> str:
    """The id of an import source for a file that is not configured as a source (created if missing)."""
    from storage.repositories.sources import SourceRepository

    source_id = "import-" + re.sub(r"[^A-Za-z0-9_.\-]+", "-", path.stem).strip("-").lower()[:40] or "import-file"
    spec = SourceSpec(id=source_id, name=f"导入：{path.name}", kind=SourceKind.IMPORT, url=str(path.resolve()),
                      enabled=False)
    with context.session() as session:
        SourceRepository(session).ensure(spec, now=datetime.now(UTC))
    return source_id
