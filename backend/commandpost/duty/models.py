"""The duty roster (值班表) of the 24-hour watch."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from commandpost.db import Base, Versioned


class DutyRole(StrEnum):
    duty_officer = "duty_officer"
    dispatcher = "dispatcher"
    leader_on_duty = "leader_on_duty"


class DutyShift(Versioned, Base):
    __tablename__ = "duty_shifts"
    __table_args__ = (
        UniqueConstraint("person", "role", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="shift_ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person: Mapped[str] = mapped_column(String(60))
    role: Mapped[DutyRole] = mapped_column(index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column(index=True)
    # Escalation order inside one role on one shift: 1 is called first.
    rank: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime]
