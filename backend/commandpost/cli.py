"""`commandpost`: one command line, a subcommand per job (serve, migrate, load, import, export, demo, …)."""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from commandpost import db, migrations
from commandpost.clock import SystemClock
from commandpost.config import Settings
from commandpost.errors import DomainError, Unavailable


def _fail(message: str) -> int:
    print(f"commandpost: {message}", file=sys.stderr)
    return 2


def _require_database(settings: Settings) -> None:
    """Refuse to work on a SpatiaLite file that does not exist, before connecting creates it empty."""
    missing = db.missing_database(settings)
    if missing is not None:
        raise Unavailable(f"there is no database at {missing}: run `commandpost migrate` first")


@contextmanager
def _database(settings: Settings, *, read_only: bool = False) -> Iterator[sessionmaker[Session]]:
    """Sessions on the command's (existing) database; its engine is disposed afterwards."""
    _require_database(settings)
    engine = db.make_engine(settings)
    try:
        yield db.make_sessionmaker(engine, read_only=read_only)
    finally:
        engine.dispose()


def _check_services(settings: Settings) -> None:
    """Refuse to start against a database or Redis that cannot be reached."""
    _require_database(settings)
    engine = db.make_engine(settings)
    try:
        db.check_reachable(engine)
        at, newest = migrations.current(engine), migrations.heads()
        if at != newest:
            raise Unavailable(
                f"the database schema is at {', '.join(sorted(at)) or 'nothing'}, "
                f"not {', '.join(sorted(newest))}: run `commandpost migrate` first"
            )
    finally:
        engine.dispose()
    if settings.redis_url:
        from commandpost.redis_check import ping

        ping(settings.redis_url)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from commandpost.app import create_app

    _check_services(settings)
    app = create_app(settings)
    _tune_garbage_collector()
    print(f"Command Post on http://{args.host}:{args.port} ({_describe(settings)})", flush=True)
    # Each event is encoded once for every client; per-message deflate would compress it per client.
    # The Sans-I/O websockets protocol: measured, it cost less CPU per delivered event than the
    # default one when a hundred dashboards get events one commit at a time (bench/RESULTS.md).
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        ws_per_message_deflate=False,
        ws_max_size=settings.ws_max_message_bytes,
        server_header=False,
        ws="websockets-sansio",
    )
    return 0


def _tune_garbage_collector() -> None:
    """Keep the cycle collector off the hot paths of a long-running server.

    A 500-reading batch allocates thousands of objects, and by default every 700 allocations start
    a collection that walks the young objects, and often the whole heap of libraries loaded at
    start: measured, that tripled the cost of parsing a batch. What was loaded at start is frozen
    (never scanned again) and collections start ten times less often.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(7_000, 20, 20)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    engine = db.make_engine(settings)
    try:
        db.check_reachable(engine)
        migrations.upgrade(engine)
        print(f"schema at {', '.join(sorted(migrations.current(engine)))} ({_describe(settings)})")
    finally:
        engine.dispose()
    return 0


def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    from commandpost import loader

    with _database(settings) as sessions, sessions() as session:
        report = loader.load_district(
            session,
            folder=Path(args.path),
            clock=SystemClock(),
            reset_stock=getattr(args, "reset_stock", False),
            timezone=settings.timezone,
        )
        session.commit()
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    return 0


def cmd_import_roads(args: argparse.Namespace, settings: Settings) -> int:
    from commandpost.roads import osm
    from commandpost.roads import service as roads

    clip = osm.read_boundary(Path(args.clip)) if args.clip else None
    with _database(settings) as sessions, sessions() as session:
        report = roads.import_osm(session, path=Path(args.file), clip=clip, clock=SystemClock())
        session.commit()
    print(report.model_dump_json(indent=1))
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import one kind of reference data from a file; a dry run checks and reports, storing nothing."""
    from commandpost.errors import InvalidInput
    from commandpost.interchange import service as interchange

    path = Path(args.file)
    if not path.is_file():
        return _fail(f"there is no file {path}")
    with _database(settings) as sessions, sessions() as session:
        try:
            report = interchange.import_file(
                session,
                kind=args.kind,
                data=path.read_bytes(),
                filename=path.name,
                file_format=args.format,
                crs=args.crs,
                encoding=args.encoding,
                dry_run=args.dry_run,
                clock=SystemClock(),
            )
        except InvalidInput as exc:
            session.rollback()
            if "refused" in exc.extra:
                print(json.dumps(exc.extra, ensure_ascii=False, indent=1))
            return _fail(exc.detail)
        if args.dry_run:
            session.rollback()
        else:
            session.commit()
    print(report.model_dump_json(indent=1))
    return 1 if report.refused else 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write one layer to a file (or standard output) in a GIS format."""
    from commandpost.interchange import service as interchange

    with _database(settings, read_only=True) as sessions, sessions() as session:
        content, _, name = interchange.export_layer(session, layer=args.kind, file_format=args.format)
    if args.output == "-":
        sys.stdout.buffer.write(content)
    else:
        target = Path(args.output or name)
        target.write_bytes(content)
        print(f"{args.kind}: {target}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, load the demo district, serve with the simulated feed beside it: what `make run` does."""
    args.path = str(settings.gis_data_dir)
    for step in (cmd_migrate, cmd_load):
        code = step(args, settings)
        if code:
            return code
    if not args.feed:
        return cmd_serve(args, settings)
    # A process of its own, talking HTTP to the server as a real gateway does.
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    url = f"http://{host}:{args.port}"
    feed = subprocess.Popen(
        [sys.executable, "-m", "commandpost.demo_feed", "--url", url, "--parent", str(os.getpid())]
    )
    try:
        return cmd_serve(args, settings.model_copy(update={"simulated_feed": True}))
    finally:
        feed.terminate()
        try:
            feed.wait(timeout=10)
        except subprocess.TimeoutExpired:
            feed.kill()


def cmd_drill_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Every problem of a scenario file at once (exit 2), or its parsed summary."""
    from commandpost.drills import scenario

    path = Path(args.file)
    if not path.is_file():
        return _fail(f"no scenario file at {path}")
    parsed = scenario.read(path)
    if not parsed.problems and db.missing_database(settings) is None:
        # The district's teams, depots, detectors and roads are checked where a database is at hand.
        from commandpost.drills import service

        with _database(settings, read_only=True) as sessions, sessions() as session:
            service.check_district(session, parsed)
    if parsed.problems:
        for problem in parsed.problems:
            print(problem, file=sys.stderr)
        count = len(parsed.problems)
        print(f"{path}: {count} problem{'s' if count > 1 else ''}", file=sys.stderr)
        return 2
    print(json.dumps(scenario.summary(parsed.data), ensure_ascii=False, indent=1))
    return 0


def cmd_drill_run(args: argparse.Namespace, settings: Settings) -> int:
    """Create an exercise from a scenario and play it at `--speed`, printing each inject as it fires."""
    import time
    from datetime import timedelta

    from commandpost.drills import report, service
    from commandpost.sensors.alarms import Policy

    path = Path(args.file)
    if not path.is_file():
        return _fail(f"no scenario file at {path}")
    wall = SystemClock()
    with _database(settings) as sessions:
        with sessions() as session:
            exercise = service.create(
                session,
                text=path.read_text(encoding="utf-8"),
                file=str(path),
                clock=wall,
                by="commandpost drill run",
            )
            service.start(session, exercise_id=exercise.id, wall=wall, speed=args.speed)
            session.commit()
            exercise_id = exercise.id
        print(
            f"exercise {exercise_id} started at ×{args.speed:g}: dashboard /?exercise={exercise_id}",
            flush=True,
        )
        policy = Policy.from_settings(settings)
        while True:
            with sessions() as session:
                for inject in service.fire_due(session, exercise_id=exercise_id, wall=wall, policy=policy):
                    label = inject.key or inject.spec.get("sensor") or inject.spec.get("incident") or ""
                    print(f"T+{timedelta(seconds=round(inject.offset_s))} {inject.kind} {label}", flush=True)
                session.commit()
                due = service.next_due_wall(session, exercise_id=exercise_id, wall=wall)
            if due is None:
                break
            time.sleep(min(max((due - wall.now()).total_seconds(), 0.0), 1.0))
        with sessions() as session:
            if not args.leave_running:
                service.stop(session, exercise_id=exercise_id, wall=wall, by="commandpost drill run")
                session.commit()
            built = report.build(session, exercise_id=exercise_id, wall=wall)
        print(
            json.dumps(
                {"exercise": exercise_id, "objectives": built["objectives"]}, ensure_ascii=False, indent=1
            )
        )
    return 0


def cmd_drill_report(args: argparse.Namespace, settings: Settings) -> int:
    """An exercise's after-action report, as JSON or a self-contained HTML page."""
    from commandpost.drills import report

    with _database(settings, read_only=True) as sessions, sessions() as session:
        built = report.build(session, exercise_id=args.id, wall=SystemClock())
    text = report.to_html(built) if args.format == "html" else json.dumps(built, ensure_ascii=False, indent=1)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


def _describe(settings: Settings) -> str:
    where = (
        "SpatiaLite " + settings.database_url.removeprefix("sqlite:///") if settings.is_sqlite else "PostGIS"
    )
    return where + (", Redis" if settings.redis_url else "")


def _serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="commandpost",
        description="Command Post: emergency command and resource dispatch. Configure with DATABASE_URL "
        "(default: SpatiaLite file under var/) and REDIS_URL.",
    )
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser(
        "serve", help="serve the API and dashboard", description="Serve the API and dashboard."
    )
    _serve_options(serve)
    serve.set_defaults(run=cmd_serve)
    migrate = sub.add_parser(
        "migrate",
        help="create or upgrade the database schema",
        description="Create or upgrade the database schema (Alembic).",
    )
    migrate.set_defaults(run=cmd_migrate)
    load = sub.add_parser(
        "load",
        help="load a district folder (idempotent)",
        description="Load a district folder of GeoJSON files, e.g. gis_data/. Idempotent. On a live "
        "database only reference data is applied (names, locations, capabilities, thresholds); stock, "
        "team status and positions, sensor states, warnings and incidents are left as they are.",
    )
    load.add_argument("path", help="folder with district_boundary.geojson, teams.geojson, …")
    load.add_argument(
        "--reset-stock",
        action="store_true",
        help="set depots' stock on hand to the files' where it differs (one event per depot changed)",
    )
    load.set_defaults(run=cmd_load)
    roads = sub.add_parser(
        "import-roads",
        help="import drivable roads from an OSM extract",
        description="Replace the road layer with the drivable roads of an OpenStreetMap extract.",
    )
    roads.add_argument("file", help="an .osm.pbf (or .osm) extract")
    roads.add_argument("--clip", help="GeoJSON boundary to clip to (e.g. gis_data/district_boundary.geojson)")
    roads.set_defaults(run=cmd_import_roads)
    imports = sub.add_parser(
        "import",
        help="import teams, depots, hazard sources, shelters or experts from a GIS file",
        description="Import one kind of reference data from GeoJSON, CSV (lon/lat columns), a zipped "
        "shapefile or a GeoPackage, keyed by `ref`: all or nothing, and importing the same file again "
        "changes nothing. Stock, team status and positions are never overwritten.",
    )
    imports.add_argument("kind", choices=["teams", "depots", "hazard-sources", "shelters", "experts"])
    imports.add_argument("file", help="a .geojson, .csv, .zip (shapefile) or .gpkg file")
    imports.add_argument(
        "--crs", help="the coordinates' system: WGS84, CGCS2000, GCJ-02 (Amap), BD-09 (Baidu) or EPSG:n"
    )
    imports.add_argument(
        "--format", choices=["geojson", "csv", "shapefile", "gpkg"], help="default: by suffix"
    )
    imports.add_argument("--encoding", default="utf-8", choices=["utf-8", "gb18030"], help="a CSV's encoding")
    imports.add_argument(
        "--dry-run", action="store_true", help="check and report every record; store nothing"
    )
    imports.set_defaults(run=cmd_import)
    export = sub.add_parser(
        "export",
        help="export a layer as GeoJSON, CSV, GeoPackage or KML",
        description="Write a layer's live features to a file (drill entities are never exported).",
    )
    export.add_argument(
        "kind", help="teams, depots, hazard-sources, sensors, shelters, incidents, warnings, experts"
    )
    export.add_argument("--format", default="geojson", choices=["geojson", "csv", "gpkg", "kml"])
    export.add_argument(
        "--output", "-o", help="file to write (default: <kind>.<suffix>; - for standard output)"
    )
    export.set_defaults(run=cmd_export)
    demo = sub.add_parser(
        "demo",
        help="migrate, load the demo district and serve with a simulated feed (what `make run` does)",
        description="Migrate, load gis_data/ and serve, with simulated gateways posting detector readings "
        "and team positions through the HTTP API (commandpost/demo_feed.py).",
    )
    _serve_options(demo)
    demo.add_argument(
        "--no-feed",
        dest="feed",
        action="store_false",
        help="serve without the simulated feed (detectors go offline when nothing reports)",
    )
    demo.set_defaults(run=cmd_demo)
    drill = sub.add_parser(
        "drill",
        help="check, play and report drill scenarios (scenarios/*.yaml)",
        description="Drill exercises played from scenario files (format: scenarios/README.md).",
    )
    drills = drill.add_subparsers(dest="drill_command", required=True, metavar="DRILL_COMMAND")
    validate = drills.add_parser(
        "validate",
        help="check a scenario file: every problem with its line and field (exit 2), or its summary",
        description="Check a scenario file against scenarios/scenario.schema.json (and, when the "
        "database exists, the district's teams, depots, detectors and roads).",
    )
    validate.add_argument("file", help="a scenario file, e.g. scenarios/h06-chlorine-leak.yaml")
    validate.set_defaults(run=cmd_drill_validate)
    run = drills.add_parser(
        "run",
        help="create an exercise from a scenario and play its injects",
        description="Create an exercise and play its injects on its own clock, printing each as it fires; "
        "participants act on the dashboard at /?exercise=<id>.",
    )
    run.add_argument("file", help="a scenario file")
    run.add_argument("--speed", type=_speed, default=1.0, help="exercise clock speed, 1 to 60 (default 1)")
    run.add_argument(
        "--leave-running", action="store_true", help="leave the exercise running after the last inject"
    )
    run.set_defaults(run=cmd_drill_run)
    rep = drills.add_parser(
        "report",
        help="an exercise's after-action report",
        description="The after-action report of an exercise.",
    )
    rep.add_argument("id", type=int, help="the exercise id")
    rep.add_argument("--format", choices=["json", "html"], default="json")
    rep.add_argument("--output", "-o", help="write it to this file instead of standard output")
    rep.set_defaults(run=cmd_drill_report)
    return root


def _speed(text: str) -> float:
    value = float(text)
    if not 1 <= value <= 60:
        raise argparse.ArgumentTypeError("the speed is between 1 and 60")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings()
        code: int = args.run(args, settings)
        return code
    except Unavailable as exc:
        return _fail(exc.detail)
    except DomainError as exc:
        return _fail(exc.detail)
    except ValueError as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
