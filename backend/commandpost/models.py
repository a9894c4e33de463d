"""Imports every domain's tables so `Base.metadata` (and Alembic) sees the whole schema."""

from commandpost.basemap.models import MapFeature
from commandpost.depots.models import Depot, InventoryLine, Material
from commandpost.dispatch.models import Assignment  # noqa: F401 - registers every dispatch table
from commandpost.duty.models import DutyShift
from commandpost.events.models import Event
from commandpost.experts.models import Expert
from commandpost.hazards.models import HazardSource, StoredChemical
from commandpost.idempotency import IdempotencyKey
from commandpost.incidents.models import Incident, TimelineEntry
from commandpost.roads.models import RoadSegment
from commandpost.routing.models import Closure  # noqa: F401 - registers the closures table
from commandpost.sensors.models import Sensor, SensorReading
from commandpost.shelters.models import Shelter
from commandpost.teams.models import Team
from commandpost.warnings.models import Warning
from commandpost.zones.models import ThreatZone

__all__ = [
    "Depot",
    "DutyShift",
    "Event",
    "Expert",
    "HazardSource",
    "IdempotencyKey",
    "Incident",
    "InventoryLine",
    "MapFeature",
    "Material",
    "RoadSegment",
    "Sensor",
    "SensorReading",
    "Shelter",
    "StoredChemical",
    "Team",
    "ThreatZone",
    "TimelineEntry",
    "Warning",
]
