"""The expert pool (专家库): who to call for chemistry, fire, medicine, structures…"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from commandpost.db import Base, Versioned


class Expert(Versioned, Base):
    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    specialty: Mapped[str] = mapped_column(String(80), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list, comment="finer topics, e.g. chlorine, LPG")
    organisation: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str | None] = mapped_column(String(60))
    phone: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime]
