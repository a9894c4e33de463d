"""Engine and sessions for both storage backends: SpatiaLite (embedded default) and PostGIS.

Where the two SQL dialects differ, the difference lives here.
"""

from __future__ import annotations

import enum
import importlib
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import shapely.wkt
from geoalchemy2.admin.dialects.sqlite import init_spatialite
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    Text,
    any_,
    bindparam,
    column,
    create_engine,
    event,
    extract,
    func,
    literal,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from commandpost.config import Settings
from commandpost.errors import Unavailable
from commandpost.jsontext import dumps_text, loads


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on both backends (SQLite stores them naive, as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must be timezone-aware")
        return (
            value.astimezone(UTC) if dialect.name != "sqlite" else value.astimezone(UTC).replace(tzinfo=None)
        )

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Enums are stored by value as short strings (no native enum types to migrate on PostGIS).
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this mapping
        datetime: UTCDateTime(),
        enum.Enum: SAEnum(
            enum.Enum, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]
        ),
    }


class Versioned:
    """Optimistic concurrency: every update bumps `version`; an update of a stale row fails."""

    version: Mapped[int] = mapped_column(nullable=False, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads this mapping


def sqlite_driver() -> ModuleType:
    """A DB-API module whose connections can load SpatiaLite.

    Debian's Python can; pyenv/python.org builds often lack `enable_load_extension`, so fall back
    to the pysqlite3 wheel, which bundles an SQLite that can.
    """
    probe = sqlite3.connect(":memory:")
    try:
        if hasattr(probe, "enable_load_extension"):
            return sqlite3
    finally:
        probe.close()
    try:
        return importlib.import_module("pysqlite3.dbapi2")
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise Unavailable(
            "this Python's sqlite3 cannot load SpatiaLite and pysqlite3 is not installed: "
            "`pip install pysqlite3-binary` or use a Python built with extension loading"
        ) from exc


def missing_database(settings: Settings) -> str | None:
    """Where a SpatiaLite file should be but is not (connecting would create an empty one); else None."""
    if not settings.is_sqlite:
        return None
    path = settings.database_url.removeprefix("sqlite:///")
    if not path or path == ":memory:" or Path(path).exists():
        return None
    return path


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    """Create the engine for `settings.database_url`, SpatiaLite loaded on every SQLite connection."""
    if not settings.is_sqlite:
        return create_engine(
            settings.database_url,
            pool_pre_ping=True,
            json_serializer=dumps_text,
            json_deserializer=loads,
            **kwargs,
        )

    path = settings.database_url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        settings.database_url,
        module=sqlite_driver(),
        connect_args={"check_same_thread": False, "timeout": 30},
        json_serializer=dumps_text,
        json_deserializer=loads,
        **kwargs,
    )
    library = settings.spatialite_library_path

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy own transactions (the driver's implicit BEGIN is unreliable).
        dbapi_conn.isolation_level = None
        dbapi_conn.enable_load_extension(True)
        try:
            dbapi_conn.load_extension(library)
        except Exception as exc:
            raise Unavailable(
                f"cannot load SpatiaLite ({library}): install libsqlite3-mod-spatialite ({exc})"
            ) from exc
        finally:
            dbapi_conn.enable_load_extension(False)
        dbapi_conn.execute("PRAGMA foreign_keys = ON")
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        dbapi_conn.execute("PRAGMA synchronous = NORMAL")
        init_spatialite(dbapi_conn, transaction=True, init_mode="WGS84")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A command takes the write lock at BEGIN, so one that reads and then writes never meets
        # SQLITE_BUSY half-way: it waits its turn. Reads begin deferred and never block anyone (WAL).
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def make_sessionmaker(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions for commands (the default) or for reads, which on SQLite take no write lock."""
    bind = engine.execution_options(sqlite_begin="DEFERRED") if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


def check_reachable(engine: Engine) -> None:
    """Raise `Unavailable` with the reason when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Unavailable:
        raise
    except Exception as exc:
        raise Unavailable(
            f"database unreachable at {engine.url.render_as_string(hide_password=True)}: {exc}"
        ) from exc


def is_postgres(bind: Session | Connection) -> bool:
    """Whether `bind` talks to PostgreSQL (PostGIS); otherwise it is SQLite (SpatiaLite)."""
    dialect = bind.get_bind().dialect if isinstance(bind, Session) else bind.dialect
    return bool(dialect.name == "postgresql")


def writers_take_turns(session: Session) -> bool:
    """Whether transactions commit one at a time, so ids taken in order are committed in order.

    True on SQLite (one writer); on PostgreSQL concurrent transactions commit in any order.
    """
    return not is_postgres(session)


def try_lock(session: Session, name: str) -> bool:
    """Take the lock `name` for this transaction if no other process holds it; whether it was taken.

    PostgreSQL: an advisory lock. SQLite: its one write lock already keeps others out.
    """
    if not is_postgres(session):
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(hashtext(:name))"), {"name": name}))


# Built once: SQLAlchemy adapts each type object to the dialect on first use.
_TEXT, _INTS = String(), ARRAY(Integer())


def id_in(session: Session, column: Any, ids: list[int]) -> ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL as `= ANY(array)`, one parameter whatever the batch size."""
    if is_postgres(session):
        return cast(
            ColumnElement[bool], column == any_(sql_cast(bindparam(None, pg_array(ids), type_=_TEXT), _INTS))
        )
    return cast(ColumnElement[bool], column.in_(ids))


def reserve_ids(conn: Connection, *, table: str, count: int) -> list[int]:
    """`count` new ids of `table`'s `id`, in order, for rows this transaction inserts with them.

    PostgreSQL: from the column's sequence. SQLite: this transaction holds the only write lock, so
    the ids after the newest are ours.
    """
    if is_postgres(conn):
        return sorted(
            conn.execute(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": table, "n": count},
            ).scalars()
        )
    newest = int(conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar_one())
    return list(range(newest + 1, newest + 1 + count))


def one_snapshot(session: Session) -> None:
    """Make every read of this (new) transaction see the same committed state.

    SQLite's deferred transaction already does once it has read; PostgreSQL needs REPEATABLE READ.
    """
    if is_postgres(session):
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def seconds_since(session: Session, at: ColumnElement[Any], now: datetime) -> ColumnElement[float]:
    """Seconds from the time column `at` to `now`, in each backend's SQL."""
    if not is_postgres(session):
        elapsed: ColumnElement[float] = (func.julianday(sqlite_time(now)) - func.julianday(at)) * 86_400.0
        return elapsed
    return cast(ColumnElement[float], extract("epoch", literal(now, UTCDateTime()) - at))


def bbox_filter(session: Session, geom: Any, bbox: tuple[float, float, float, float]) -> ColumnElement[bool]:
    """Rows whose geometry meets the WGS 84 box, using each backend's spatial index."""
    minx, miny, maxx, maxy = bbox
    if not is_postgres(session):
        table = geom.table.name
        frame = func.BuildMbr(minx, miny, maxx, maxy, 4326)
        # SpatiaLite only uses its R*Tree through the SpatialIndex virtual table.
        index_hits = text(
            "SELECT rowid FROM SpatialIndex WHERE f_table_name = :t AND f_geometry_column = :c "
            "AND search_frame = BuildMbr(:minx, :miny, :maxx, :maxy, 4326)"
        ).bindparams(t=table, c=geom.name, minx=minx, miny=miny, maxx=maxx, maxy=maxy)
        hits = index_hits.columns(column("rowid", Integer))
        inside: ColumnElement[bool] = geom.table.c.id.in_(hits) & (func.ST_Intersects(geom, frame) == 1)
        return inside
    envelope = func.ST_MakeEnvelope(minx, miny, maxx, maxy, 4326)
    overlaps: ColumnElement[bool] = geom.op("&&")(envelope) & func.ST_Intersects(geom, envelope)
    return overlaps


def json_list_has(column: Any, value: str) -> ColumnElement[bool]:
    """Rows whose JSON list of words holds `value` (same SQL on both backends: the stored text
    of a list of plain words contains the quoted word exactly when the list holds it)."""
    has: ColumnElement[bool] = sql_cast(column, Text).like(f'%"{value}"%')
    return has


def pg_array(values: Iterable[object]) -> str:
    """A PostgreSQL array literal, for a one-parameter `CAST(:p AS type[])`.

    The driver quotes a Python list element by element in Python; one joined string is an order of
    magnitude cheaper. Only for values that need no quoting: numbers, ISO times, plain words.
    """
    items = list(values)
    if items and isinstance(items[0], datetime):
        # A gateway's batch mostly repeats a few instants: format each once.
        formatted: dict[Any, str] = {}
        text_items = [formatted.get(v) or formatted.setdefault(v, v.isoformat()) for v in items]  # type: ignore[attr-defined]
    elif None in items:
        text_items = ["NULL" if v is None else str(v) for v in items]
    else:
        text_items = list(map(str, items))
    return "{" + ",".join(text_items) + "}"


def sqlite_time(at: datetime) -> str:
    """A UTC time as `UTCDateTime` stores it on SQLite (what SQLAlchemy writes and reads back)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def intersects_filter(session: Session, geom: Any, area_wkt: str) -> ColumnElement[bool]:
    """Rows whose geometry meets a WGS 84 area (WKT), through the spatial index on both backends."""
    minx, miny, maxx, maxy = shapely.wkt.loads(area_wkt).bounds
    if session.get_bind().dialect.name == "sqlite":
        hit: ColumnElement[bool] = bbox_filter(session, geom, (minx, miny, maxx, maxy)) & (
            func.ST_Intersects(geom, func.GeomFromText(area_wkt, 4326)) == 1
        )
        return hit
    area = func.ST_GeomFromText(area_wkt, 4326)
    meets: ColumnElement[bool] = geom.op("&&")(area) & func.ST_Intersects(geom, area)
    return meets
