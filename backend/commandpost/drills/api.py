"""HTTP routes for the drill director: scenarios checked, exercises created and played, the report."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from commandpost.clock import Clock
from commandpost.drills import report, scenario, service
from commandpost.drills.context import ExerciseClock, get
from commandpost.drills.models import Exercise
from commandpost.drills.schemas import (
    DirectorAction,
    ExerciseCreate,
    ExerciseOut,
    ImprovementDone,
    ImprovementIn,
    ImprovementOut,
    InjectOut,
    ObservationIn,
    ObservationOut,
    ReportOut,
    ScenarioIn,
    ScenarioProblem,
    SpeedIn,
    StartIn,
    ValidationOut,
    inject_out,
)
from commandpost.schemas import PROBLEM_RESPONSES
from commandpost.web import ClockDep, SessionDep

router = APIRouter(prefix="/exercises", tags=["drills"], responses=PROBLEM_RESPONSES)
improvements_router = APIRouter(prefix="/improvement-items", tags=["drills"], responses=PROBLEM_RESPONSES)


def _out(exercise: Exercise, wall: Clock) -> ExerciseOut:
    return ExerciseOut(**service.exercise_dict(exercise, clock=ExerciseClock.of(exercise, wall=wall)))


@router.post(
    "/validate", summary="Check a scenario file: every problem with its line and field, or its summary"
)
def validate(body: ScenarioIn, db: SessionDep) -> ValidationOut:
    parsed = scenario.parse(body.scenario, file=body.file)
    service.check_district(db, parsed)
    problems = [ScenarioProblem(**p.as_dict()) for p in parsed.problems]
    summary = scenario.summary(parsed.data) if not problems else None
    return ValidationOut(valid=not problems, problems=problems, summary=summary)


@router.post("", status_code=201, summary="Create an exercise from a scenario (422 lists every problem)")
def create(body: ExerciseCreate, db: SessionDep, clock: ClockDep) -> ExerciseOut:
    exercise = service.create(
        db, text=body.scenario, file=body.file, clock=clock, name=body.name, by=body.created_by
    )
    db.commit()
    return _out(exercise, clock)


@router.get("", summary="Every exercise, newest first, with its clock")
def list_exercises(db: SessionDep, clock: ClockDep) -> list[ExerciseOut]:
    return [_out(e, clock) for e in service.list_exercises(db)]


@router.get("/{exercise_id}", summary="One exercise and its clock")
def get_exercise(exercise_id: int, db: SessionDep, clock: ClockDep) -> ExerciseOut:
    return _out(get(db, exercise_id=exercise_id), clock)


@router.post("/{exercise_id}/start", summary="Start the exercise clock at the scenario's start time")
def start(exercise_id: int, body: StartIn, db: SessionDep, clock: ClockDep) -> ExerciseOut:
    exercise = service.start(db, exercise_id=exercise_id, wall=clock, speed=body.speed, by=body.by)
    db.commit()
    return _out(exercise, clock)


@router.post("/{exercise_id}/pause", summary="Pause: the exercise clock stands still")
def pause(exercise_id: int, body: DirectorAction, db: SessionDep, clock: ClockDep) -> ExerciseOut:
    exercise = service.pause(db, exercise_id=exercise_id, wall=clock, by=body.by)
    db.commit()
    return _out(exercise, clock)


@router.post("/{exercise_id}/resume", summary="Resume from where the exercise clock stood")
def resume(exercise_id: int, body: DirectorAction, db: SessionDep, clock: ClockDep) -> ExerciseOut:
    exercise = service.resume(db, exercise_id=exercise_id, wall=clock, by=body.by)
    db.commit()
    return _out(exercise, clock)


@router.post("/{exercise_id}/speed", summary="Run the exercise clock at ×1…×60 from now on")
def speed(exercise_id: int, body: SpeedIn, db: SessionDep, clock: ClockDep) -> ExerciseOut:
    exercise = service.set_speed(db, exercise_id=exercise_id, speed=body.speed, wall=clock, by=body.by)
    db.commit()
    return _out(exercise, clock)


@router.post("/{exercise_id}/stop", summary="End the exercise for good")
def stop(exercise_id: int, body: DirectorAction, db: SessionDep, clock: ClockDep) -> ExerciseOut:
    exercise = service.stop(db, exercise_id=exercise_id, wall=clock, by=body.by)
    db.commit()
    return _out(exercise, clock)


@router.get("/{exercise_id}/injects", summary="The inject log: every planned inject, fired or not")
def injects(exercise_id: int, db: SessionDep) -> list[InjectOut]:
    return [inject_out(i) for i in service.injects(db, exercise_id=exercise_id)]


@router.get("/{exercise_id}/report", summary="The after-action report (JSON)")
def report_json(exercise_id: int, db: SessionDep, clock: ClockDep) -> ReportOut:
    return ReportOut(**report.build(db, exercise_id=exercise_id, wall=clock))


@router.get(
    "/{exercise_id}/report.html",
    response_class=HTMLResponse,
    summary="The after-action report as one self-contained HTML page (opens offline)",
)
def report_html(exercise_id: int, db: SessionDep, clock: ClockDep) -> HTMLResponse:
    return HTMLResponse(report.to_html(report.build(db, exercise_id=exercise_id, wall=clock)))


@router.post(
    "/{exercise_id}/observations",
    status_code=201,
    summary="An evaluator's observation, on the exercise clock, tied to an objective and rated (P/S/M/U)",
)
def observe(exercise_id: int, body: ObservationIn, db: SessionDep, clock: ClockDep) -> ObservationOut:
    observation = service.observe(
        db,
        exercise_id=exercise_id,
        objective_id=body.objective_id,
        evaluator=body.evaluator,
        rating=body.rating,
        text=body.text,
        wall=clock,
    )
    db.commit()
    return ObservationOut(**service.observation_dict(observation))


@router.get("/{exercise_id}/observations", summary="The evaluators' observations, in exercise time")
def observations(exercise_id: int, db: SessionDep) -> list[ObservationOut]:
    return [
        ObservationOut(**service.observation_dict(o))
        for o in service.observations(db, exercise_id=exercise_id)
    ]


@router.post(
    "/{exercise_id}/improvements",
    status_code=201,
    summary="An area for improvement: an item with an owner and a deadline, tracked to done",
)
def add_improvement(exercise_id: int, body: ImprovementIn, db: SessionDep, clock: ClockDep) -> ImprovementOut:
    item = service.add_improvement(
        db,
        exercise_id=exercise_id,
        objective_id=body.objective_id,
        text=body.text,
        owner=body.owner,
        due_at=body.due_at,
        clock=clock,
        by=body.by,
    )
    db.commit()
    return ImprovementOut(**service.improvement_dict(item, now=clock.now()))


@improvements_router.get(
    "", summary="Improvement items from every drill, soonest deadline first; overdue flagged"
)
def list_improvements(
    db: SessionDep,
    clock: ClockDep,
    exercise_id: int | None = Query(default=None, description="only this drill's"),
    open_only: bool = Query(default=False, alias="open", description="only those not done"),
) -> list[ImprovementOut]:
    now = clock.now()
    items = service.improvements(db, exercise_id=exercise_id, open_only=open_only)
    return [ImprovementOut(**service.improvement_dict(i, now=now)) for i in items]


@improvements_router.post("/{item_id}/done", summary="Mark an improvement item done")
def improvement_done(item_id: int, body: ImprovementDone, db: SessionDep, clock: ClockDep) -> ImprovementOut:
    item = service.close_improvement(db, item_id=item_id, by=body.by, clock=clock)
    db.commit()
    return ImprovementOut(**service.improvement_dict(item, now=clock.now()))
