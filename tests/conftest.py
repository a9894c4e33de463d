"""Fixtures for both storage backends, started for real.

SpatiaLite always runs; PostGIS runs on the PostgreSQL server TEST_DATABASE_URL points at, or,
when it is not set, on a throwaway one this session starts (see throwaway_services; likewise Redis
and TEST_REDIS_URL). The database is created, with the postgis extension, if missing. Every test
gets an empty, migrated database and real commits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import throwaway_services
from commandpost import db, migrations
from commandpost.app import create_app
from commandpost.background import Jobs
from commandpost.clock import FrozenClock
from commandpost.config import Settings
from openapi_support import reply_checker

# Before the test modules are imported: they read these variables when they are.
throwaway_services.ensure()

REPO = Path(__file__).resolve().parents[1]
POSTGIS_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")

BACKENDS = ["spatialite", *(["postgis"] if POSTGIS_URL else [])]


def _ensure_postgis_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _empty_all_tables(engine: Engine) -> None:
    from commandpost.db import Base

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text("DELETE FROM sqlite_sequence")) if conn.scalar(
                text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
            ) else None


@pytest.fixture(scope="session", params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    if request.param == "postgis":
        assert POSTGIS_URL is not None
        _ensure_postgis_database(POSTGIS_URL)
        settings = Settings(database_url=POSTGIS_URL, redis_url=None)
    else:
        path = tmp_path_factory.mktemp("spatialite") / "test.sqlite"
        settings = Settings(database_url=f"sqlite:///{path}", redis_url=None)
    engine = db.make_engine(settings)
    migrations.upgrade(engine)
    engine.dispose()
    return settings


@pytest.fixture
def settings(backend_settings: Settings) -> Iterator[Settings]:
    yield backend_settings
    engine = db.make_engine(backend_settings)
    _empty_all_tables(engine)
    engine.dispose()


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = db.make_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return db.make_sessionmaker(engine)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for looking and small writes; it never holds SQLite's write lock while idle."""
    with db.make_sessionmaker(engine, read_only=True)() as s:
        yield s


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))


@pytest.fixture
def client(settings: Settings, clock: FrozenClock, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, engine=engine, jobs=Jobs.untimed)
    with TestClient(app) as c:
        c.event_hooks["response"].append(reply_checker(app))
        yield c


@pytest.fixture
def backend(settings: Settings) -> str:
    return "spatialite" if settings.is_sqlite else "postgis"


def pytest_report_header(config: pytest.Config) -> list[str]:
    postgis, redis = throwaway_services.SERVICES["postgis"], throwaway_services.SERVICES["redis"]
    where = make_url(postgis.url).render_as_string(hide_password=True) + ", " if postgis.url else ""
    return [
        "storage backends under test: " + ", ".join(BACKENDS),
        f"PostGIS: {where}{postgis.how}",
        f"Redis: {redis.url + ', ' if redis.url else ''}{redis.how}",
    ]


def pytest_unconfigure(config: pytest.Config) -> None:
    throwaway_services.stop_all()
