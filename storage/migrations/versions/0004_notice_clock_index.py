"""index for the latest notice of each clock (the sweep fills ClockView.last_notice_for)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # MAX(created_for) per clock is an index-only lookup, so the sweep learns what was already sent
    # without building and re-checking a notice for every clock past a threshold.
    op.create_index("ix_notices_clock_created", "notices", ["clock_id", "created_for"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_notices_clock_created", table_name="notices")
