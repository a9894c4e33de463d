"""Settings read once from the environment at start-up and handed to the app factory."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'commandpost.sqlite'}"


class Settings(BaseSettings):
    """Everything the platform is told by its environment (no prefix: the names the brief uses)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    redis_url: str | None = None
    # Metres are computed in this projected CRS; UTM 50N covers Quanzhou.
    metric_crs: str = "EPSG:32650"
    timezone: str = "Asia/Shanghai"
    gis_data_dir: Path = PROJECT_ROOT / "gis_data"
    frontend_dist: Path = PROJECT_ROOT / "frontend" / "dist"
    # Where SQLite finds SpatiaLite; a bare name lets the loader search the system paths.
    spatialite_library_path: str = "mod_spatialite"
    page_size_default: int = 1000
    page_size_max: int = 10000

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
