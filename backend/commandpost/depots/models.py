"""Supply depots (应急物资储备库), the material catalogue and each depot's stock."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commandpost.db import Base, Versioned


class Material(Base):
    """One entry of the emergency material catalogue (foam concentrate, sandbags, SCBA sets…)."""

    __tablename__ = "materials"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20), comment="t, m, set, piece, m³, box…")
    category: Mapped[str] = mapped_column(String(40), default="general")


class Depot(Versioned, Base):
    __tablename__ = "depots"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    operator: Mapped[str] = mapped_column(String(120))
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    address: Mapped[str | None] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime]

    stock: Mapped[list[InventoryLine]] = relationship(
        back_populates="depot", cascade="all, delete-orphan", order_by="InventoryLine.material_code"
    )


class InventoryLine(Versioned, Base):
    """How much of one material a depot holds and how much of that is already promised."""

    __tablename__ = "inventory_lines"
    __table_args__ = (
        UniqueConstraint("depot_id", "material_code"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depots.id", ondelete="CASCADE"), index=True)
    material_code: Mapped[str] = mapped_column(ForeignKey("materials.code"), index=True)
    on_hand: Mapped[float] = mapped_column(Numeric(14, 3, asdecimal=False))
    reserved: Mapped[float] = mapped_column(Numeric(14, 3, asdecimal=False), default=0)
    updated_at: Mapped[datetime]

    depot: Mapped[Depot] = relationship(back_populates="stock")
    material: Mapped[Material] = relationship(lazy="joined")
