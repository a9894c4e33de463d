"""Every domain's router, in the order they appear in the API docs."""

from __future__ import annotations

from fastapi import APIRouter


def api_routers() -> list[APIRouter]:
    from commandpost.basemap.api import router as basemap
    from commandpost.depots.api import materials
    from commandpost.depots.api import router as depots
    from commandpost.dispatch.api import assignments_router, plans_router
    from commandpost.dispatch.api import router as dispatch
    from commandpost.drills.api import improvements_router as improvement_items
    from commandpost.drills.api import router as exercises
    from commandpost.duty.api import router as duty
    from commandpost.events.api import router as stream
    from commandpost.experts.api import router as experts
    from commandpost.hazards.api import router as hazard_sources
    from commandpost.incidents.api import router as incidents
    from commandpost.interchange.api import router as interchange
    from commandpost.layers import router as layers
    from commandpost.roads.api import router as roads
    from commandpost.routing.api import router as closures
    from commandpost.routing.api import routes
    from commandpost.sensors.api import router as sensors
    from commandpost.shelters.api import router as shelters
    from commandpost.teams.api import router as teams
    from commandpost.warnings.api import cap_router as warning_messages
    from commandpost.warnings.api import router as warnings
    from commandpost.zones.api import incident_zones
    from commandpost.zones.api import router as threat_zones

    return [
        layers,
        teams,
        basemap,
        depots,
        materials,
        hazard_sources,
        threat_zones,
        incident_zones,
        sensors,
        shelters,
        roads,
        incidents,
        dispatch,
        assignments_router,
        plans_router,
        closures,
        routes,
        warning_messages,
        warnings,
        experts,
        duty,
        exercises,
        improvement_items,
        interchange,
        stream,
    ]
