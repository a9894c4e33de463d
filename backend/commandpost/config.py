"""Settings read once from the environment at start-up and handed to the app factory."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


DEFAULT_TIMEZONE = "Asia/Shanghai"
# Quangang District's bounds, from gis_data/district_boundary.geojson (rounded outwards).
DISTRICT_BBOX = (118.70, 25.08, 119.01, 25.25)


def default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'commandpost.sqlite'}"


class Settings(BaseSettings):
    """Everything the platform is told by its environment (no prefix: the names the brief uses)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    redis_url: str | None = None
    # The duty roster's local time, when the roster file names none.
    # Threat zones are drawn and measured in metres in this projected CRS; UTM 50N covers Quanzhou.
    metric_crs: str = "EPSG:32650"
    timezone: str = DEFAULT_TIMEZONE
    gis_data_dir: Path = PROJECT_ROOT / "gis_data"
    frontend_dist: Path = PROJECT_ROOT / "frontend" / "dist"
    # Where SQLite finds SpatiaLite; a bare name lets the loader search the system paths.
    spatialite_library_path: str = "mod_spatialite"
    page_size_default: int = 1000
    page_size_max: int = 10000
    # The live stream (/api/v1/stream). A client may resume from an event id that is at most this
    # many events and this many hours old; older ids get a fresh snapshot (reason "expired").
    stream_retention_events: int = Field(default=100_000, ge=1)
    stream_retention_hours: float = Field(default=24.0, gt=0)
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0)
    # Messages waiting for one client; a client that falls further behind is sent a fresh snapshot.
    stream_client_queue: int = Field(default=1000, ge=1)
    # Recent events each process keeps encoded in memory, so a reconnecting client resumes without the DB.
    stream_recent_events: int = Field(default=10_000, ge=0)
    # The relay looks for committed events this often even when no commit in this process woke it.
    relay_poll_seconds: float = Field(default=0.25, gt=0)
    # Redis Streams bus (when REDIS_URL is set): one stream, trimmed to about this many entries.
    redis_stream_key: str = "commandpost:events"
    redis_stream_maxlen: int = Field(default=100_000, ge=1)
    # Field units and sensors.
    warning_ack_timeout_s: float = Field(
        default=300,
        gt=0,
        description="an orange/red warning unacknowledged this long goes up the duty roster",
    )
    sensor_offline_after_intervals: float = Field(
        default=3, ge=1, description="silent for this many expected intervals → offline"
    )
    alarm_deadband: float = Field(
        default=0.1, ge=0, lt=1, description="leave an alarm only below threshold × (1 − this)"
    )
    reading_retention_days: float = Field(default=90, gt=0)
    # Threat zones follow the wind: redrawn when it turns or changes speed this much.
    wind_change_deg: float = Field(default=20.0, gt=0, le=180)
    wind_change_ms: float = Field(default=1.0, gt=0)
    wind_station_max_m: float = Field(
        default=20_000.0, gt=0, description="a weather station farther than this gives no incident its wind"
    )
    # Dispatch.
    idempotency_keep_hours: float = Field(
        default=24, gt=0, description="a repeated command is recognised by its key for this long"
    )
    sweep_interval_s: float = Field(default=5, gt=0, description="offline / retention / roster sweep")
    simulated_feed: bool = Field(
        default=False,
        description="a demo feed posts simulated readings and positions beside this server "
        "(`commandpost demo` sets it; the dashboard says so)",
    )
    report_max_ahead_s: float = Field(
        default=300, ge=0, description="refuse positions and readings stamped further in the future"
    )
    # Routing: a team, incident or depot farther than this from every open road is unreachable
    # (a position at sea is not a 10-hour walk).
    route_max_off_road_m: float = Field(
        default=2000, gt=0, description="farthest a route may start or end from the nearest open road"
    )

    # Warnings as CAP 1.2 messages and an Atom feed (GET /api/v1/warnings/{id}.cap, /warnings.atom).
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="where readers reach the platform (CAP and Atom links)"
    )
    cap_sender: str = Field(
        default="commandpost.yjj.quangang.example",
        pattern=r"^[^\s,<&]+$",
        description="CAP sender: a domain the bureau controls (no spaces, commas, < or &)",
    )
    cap_sender_name: str = "泉港区应急管理局 Quangang District Emergency Management Bureau"
    cap_circle_radius_km: float = Field(
        default=1.0, gt=0, description="radius of the CAP circle around a warning given as a point"
    )

    # Hardening.
    max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="larger request bodies are refused (413) unread"
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="web origins besides the platform's own that may call the API (CORS) and open the "
        "live stream; empty: only the platform's own pages",
    )
    ws_max_message_bytes: int = Field(
        default=64 * 1024, ge=1024, description="a larger websocket message closes the connection"
    )
    # The district's bounding box (from gis_data/district_boundary.geojson) grown by this margin:
    # incidents and positions outside it are refused as typos, not 12,000 km dispatches.
    operating_area_margin_km: float = Field(default=100, ge=0)
    district_bbox: tuple[float, float, float, float] = Field(
        default=DISTRICT_BBOX, description="minLon, minLat, maxLon, maxLat of the district (WGS 84)"
    )

    @property
    def operating_area(self) -> tuple[float, float, float, float]:
        """The district's box grown by the margin (a degree of latitude is about 111 km)."""
        import math

        minx, miny, maxx, maxy = self.district_bbox
        dlat = self.operating_area_margin_km / 111.32
        dlon = dlat / max(math.cos(math.radians((miny + maxy) / 2)), 0.01)
        return (minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "DATABASE_URL must be sqlite:///… (SpatiaLite) or postgresql+psycopg://… (PostGIS)"
            )
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
