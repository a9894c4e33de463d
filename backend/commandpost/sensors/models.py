"""Gas and process sensors reporting from enterprises' gateways."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Float, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from commandpost.db import Base, Versioned


class SensorKind(StrEnum):
    combustible_gas = "combustible_gas"  # %LEL
    toxic_gas = "toxic_gas"  # ppm of `substance`
    temperature = "temperature"  # °C
    pressure = "pressure"  # MPa
    liquid_level = "liquid_level"  # %
    weather_station = "weather_station"  # wind speed m/s (the value) and the direction it blows from


UNIT_OF: dict[SensorKind, str] = {
    SensorKind.combustible_gas: "%LEL",
    SensorKind.toxic_gas: "ppm",
    SensorKind.temperature: "°C",
    SensorKind.pressure: "MPa",
    SensorKind.liquid_level: "%",
    SensorKind.weather_station: "m/s",
}


class SensorState(StrEnum):
    normal = "normal"
    alarm_1 = "alarm_1"  # first-level alarm
    alarm_2 = "alarm_2"  # second-level alarm
    fault = "fault"
    offline = "offline"


class Sensor(Versioned, Base):
    __tablename__ = "sensors"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[SensorKind]
    unit: Mapped[str] = mapped_column(String(10))
    substance: Mapped[str | None] = mapped_column(String(60), comment="for toxic gas: what it measures")
    cas: Mapped[str | None] = mapped_column(String(20))
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    hazard_source_id: Mapped[int | None] = mapped_column(
        ForeignKey("hazard_sources.id", ondelete="SET NULL"), index=True
    )
    alarm_1: Mapped[float] = mapped_column(Numeric(12, 3, asdecimal=False), comment="first alarm threshold")
    alarm_2: Mapped[float] = mapped_column(Numeric(12, 3, asdecimal=False), comment="second alarm threshold")
    expected_interval_s: Mapped[int] = mapped_column(default=60)
    calibration_due: Mapped[datetime | None]
    state: Mapped[SensorState] = mapped_column(default=SensorState.normal)
    last_value: Mapped[float | None] = mapped_column(Numeric(12, 3, asdecimal=False))
    last_reading_at: Mapped[datetime | None]
    last_direction_deg: Mapped[float | None] = mapped_column(Float, comment="weather station: wind from, °")
    updated_at: Mapped[datetime]


class SensorReading(Base):
    """One measurement: the time series behind a trend chart, kept for `reading_retention_days`.

    (sensor_id, at) is the key, so a gateway that re-sends a batch after a timeout stores nothing twice.
    """

    __tablename__ = "sensor_readings"

    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime] = mapped_column(primary_key=True)
    value: Mapped[float] = mapped_column(Float)
