"""query indexes for the duty board, the deadline sweep and the statistics

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_clocks_state_due_at", "clocks", ["state", "due_at"], unique=False)
    op.create_index("ix_items_published_at", "items", ["published_at"], unique=False)
    op.create_index("ix_responses_case_responded", "responses", ["case_id", "responded_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_responses_case_responded", table_name="responses")
    op.drop_index("ix_items_published_at", table_name="items")
    op.drop_index("ix_clocks_state_due_at", table_name="clocks")
