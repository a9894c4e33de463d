"""Exercises: one drill played from a scenario, its planned injects and its detectors' drill states."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from commandpost.db import Base, Versioned
from commandpost.sensors.models import SensorState


class ExerciseStatus(StrEnum):
    ready = "ready"  # created, its clock not started
    running = "running"
    paused = "paused"
    finished = "finished"  # stopped by the director; nothing more is played or accepted


class Exercise(Versioned, Base):
    """A drill. Its clock is stored as an anchor: at wall time `anchor_wall` the exercise clock read
    `anchor_at`, and since then it has run at `speed` (or stood still unless running), so a
    restarted server keeps every drill's time."""

    __tablename__ = "exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scenario_id: Mapped[str] = mapped_column(String(80), comment="the scenario file's id")
    scenario: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the scenario as parsed")
    status: Mapped[ExerciseStatus] = mapped_column(index=True)
    speed: Mapped[float] = mapped_column(Float)
    starts_at: Mapped[datetime] = mapped_column(comment="exercise time when the drill begins")
    anchor_wall: Mapped[datetime | None]
    anchor_at: Mapped[datetime]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None] = mapped_column(comment="wall time the director started it")
    finished_at: Mapped[datetime | None] = mapped_column(comment="exercise time it was stopped")
    created_by: Mapped[str | None] = mapped_column(String(100))
    # What the scenario's keys became: {"incidents": {"leak": 12}, "closures": {...}}.
    refs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class Inject(Base):
    """One planned inject of an exercise (a ramp is planned as its readings), fired at most once."""

    __tablename__ = "exercise_injects"

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(comment="order in the plan")
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str | None] = mapped_column(String(80), comment="the scenario's name for it, if any")
    offset_s: Mapped[float] = mapped_column(Float, comment="seconds after the drill begins")
    due_at: Mapped[datetime] = mapped_column(comment="exercise time it is due")
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    fired_at: Mapped[datetime | None] = mapped_column(comment="exercise time it was played")
    fired_wall: Mapped[datetime | None] = mapped_column(comment="wall time it was played")
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DrillSensorState(Base):
    """A detector's state inside one drill: drill readings never move the live detector."""

    __tablename__ = "exercise_sensor_states"

    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[SensorState]
    last_value: Mapped[float | None] = mapped_column(Float)
    last_reading_at: Mapped[datetime | None]


class Rating(StrEnum):
    """HSEEP's exercise evaluation guide ratings (AQ/T 9009 asks for a graded judgement per item)."""

    performed = "P"  # performed without challenges
    some_challenges = "S"
    major_challenges = "M"
    unable = "U"  # unable to be performed


class Observation(Base):
    """What an evaluator saw, time-stamped in exercise time and tied to an objective."""

    __tablename__ = "exercise_observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), index=True)
    objective_id: Mapped[str | None] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(comment="exercise time it was seen")
    evaluator: Mapped[str] = mapped_column(String(100))
    rating: Mapped[Rating]
    text: Mapped[str] = mapped_column(String(4000))


class ImprovementItem(Versioned, Base):
    """An area for improvement from a drill: an owner, a deadline on the platform clock, tracked to done."""

    __tablename__ = "improvement_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"), index=True)
    objective_id: Mapped[str | None] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(String(2000))
    owner: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime]
