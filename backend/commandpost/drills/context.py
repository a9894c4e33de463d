"""Acting inside a drill: the exercise must exist and be open, and its own clock tells the time.

Kept apart from `service` (which uses incidents, warnings, closures…) so those domains can check a
drill without importing what plays it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from commandpost.clock import Clock
from commandpost.drills.models import Exercise, ExerciseStatus
from commandpost.errors import Conflict, NotFound


class ExerciseClock:
    """An exercise's time: its anchor, moved on from the wall clock at its speed while it runs."""

    def __init__(
        self, *, wall: Clock, anchor_at: datetime, anchor_wall: datetime | None, speed: float, running: bool
    ) -> None:
        self.wall = wall
        self.anchor_at = anchor_at
        self.anchor_wall = anchor_wall
        self.speed = speed
        self.running = running

    @classmethod
    def of(cls, exercise: Exercise, *, wall: Clock) -> ExerciseClock:
        return cls(
            wall=wall,
            anchor_at=exercise.anchor_at,
            anchor_wall=exercise.anchor_wall,
            speed=exercise.speed,
            running=exercise.status is ExerciseStatus.running,
        )

    def now(self) -> datetime:
        if not self.running or self.anchor_wall is None:
            return self.anchor_at
        return self.anchor_at + (self.wall.now() - self.anchor_wall) * self.speed

    def wall_time_of(self, at: datetime) -> datetime | None:
        """When, on the wall clock, the exercise clock will read `at` (None unless it runs)."""
        if not self.running or self.anchor_wall is None:
            return None
        return self.anchor_wall + (at - self.anchor_at) / self.speed

    def elapsed(self, starts_at: datetime) -> timedelta:
        return self.now() - starts_at


def get(session: Session, *, exercise_id: int, for_update: bool = False) -> Exercise:
    """One exercise, or NotFound naming `exercise_id`."""
    exercise = session.get(Exercise, exercise_id, with_for_update=for_update or None)
    if exercise is None:
        raise NotFound(f"exercise {exercise_id} does not exist", field="exercise_id")
    return exercise


def require_open(session: Session, *, exercise_id: int) -> Exercise:
    """An exercise one may act in: it exists and has not been stopped."""
    exercise = get(session, exercise_id=exercise_id)
    if exercise.status is ExerciseStatus.finished:
        raise Conflict(
            f"exercise {exercise_id} is finished; nothing more can be done in it", field="exercise_id"
        )
    return exercise


def clock_for(session: Session, *, exercise_id: int | None, wall: Clock) -> Clock:
    """The clock to act by: the wall clock live, the exercise's clock in a drill (which must be open)."""
    if exercise_id is None:
        return wall
    return ExerciseClock.of(require_open(session, exercise_id=exercise_id), wall=wall)


def same_drill(*, what: str, belongs_to: int | None, acting_in: int | None) -> None:
    """A drill participant acts only on the drill; live work is never done from a drill."""
    if belongs_to == acting_in:
        return
    if belongs_to is None:
        raise Conflict(f"{what} is live; it cannot be handled from exercise {acting_in}", field="exercise_id")
    if acting_in is None:
        raise Conflict(
            f"{what} belongs to exercise {belongs_to}; handle it in that drill (exercise_id={belongs_to})",
            field="exercise_id",
        )
    raise Conflict(f"{what} belongs to exercise {belongs_to}, not exercise {acting_in}", field="exercise_id")


def acting_clock(
    session: Session, *, what: str, belongs_to: int | None, acting_in: int | None, wall: Clock
) -> Clock:
    """Refuse work across the drill/live line; the clock to stamp the work with."""
    same_drill(what=what, belongs_to=belongs_to, acting_in=acting_in)
    return clock_for(session, exercise_id=acting_in, wall=wall)


def clock_of(session: Session, *, exercise_id: int | None, clock: Clock) -> Clock:
    """The clock for work on an entity: a drill's entity follows its exercise's clock (whoever acts),
    a live one the wall clock; an exercise clock already given (an inject firing) is kept."""
    if exercise_id is None or isinstance(clock, ExerciseClock):
        return clock
    return ExerciseClock.of(get(session, exercise_id=exercise_id), wall=clock)
