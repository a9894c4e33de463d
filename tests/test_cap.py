"""Warnings as OASIS CAP 1.2 messages and the Atom feed of warnings in force.

Every generated message is validated against the official CAP 1.2 XML schema (tests/data/cap,
OASIS 2010) with lxml, and read back with an independent CAP library (cap-tools, data bindings
generated from the same schema by xsData), whose AlertState applies Alert/Update/Cancel the way an
alerting gateway does.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cap_tools import AlertState
from cap_tools.models import Alert
from fastapi.testclient import TestClient
from lxml import etree
from shapely.geometry import Point as ShapelyPoint
from sqlalchemy.orm import Session, sessionmaker
from xsdata.formats.dataclass.parsers import XmlParser

from commandpost.clock import FrozenClock
from commandpost.warnings import service as warnings
from commandpost.warnings.models import WarningLevel, WarningSource
from test_warnings_api import GAS, act, issue

CAP_XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "cap" / "CAP-v1.2.xsd")))
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"


def valid_cap(xml: bytes) -> Alert:
    """Schema-valid CAP 1.2, parsed by the independent library."""
    document = etree.fromstring(xml)
    CAP_XSD.assertValid(document)
    return XmlParser().from_bytes(xml, Alert)


def cap_of(client: TestClient, warning_id: int, **params: Any) -> Alert:
    response = client.get(f"/api/v1/warnings/{warning_id}.cap", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/cap+xml"
    return valid_cap(response.content)


def test_a_warnings_whole_life_is_alert_update_cancel(client: TestClient, clock: FrozenClock) -> None:
    warning = issue(client)  # yellow, over a polygon
    alert = cap_of(client, warning["id"])
    assert (alert.status.value, alert.msg_type.value, alert.scope.value) == ("Actual", "Alert", "Public")
    assert alert.sent.to_datetime() == clock.now()
    assert [info.language for info in alert.infos] == ["zh-CN", "en"]
    en = alert.infos[1]
    assert (en.urgency.value, en.severity.value, en.certainty.value) == ("Expected", "Moderate", "Likely")
    assert GAS["title"] in en.headline and "Yellow" in en.headline
    # The warned polygon, as CAP writes it: lat,lon pairs, closed.
    ring = en.areas[0].polygons[0].split()
    assert ring[0] == ring[-1] == "25.120000,118.920000"
    assert len(ring) == 5

    clock.advance(timedelta(minutes=4))
    assert act(client, warning, "escalate", to_level="red").status_code == 200
    update = cap_of(client, warning["id"])
    assert update.msg_type.value == "Update"
    assert (update.infos[1].urgency.value, update.infos[1].severity.value) == ("Immediate", "Extreme")
    assert update.references_to_list()[0].identifier == alert.identifier
    assert update.identifier != alert.identifier

    clock.advance(timedelta(minutes=30))
    assert act(client, warning, "acknowledge").status_code == 200  # internal: no new message
    assert cap_of(client, warning["id"]).identifier == update.identifier
    assert act(client, warning, "clear").status_code == 200
    cancel = cap_of(client, warning["id"])
    assert cancel.msg_type.value == "Cancel"
    assert [r.identifier for r in cancel.references_to_list()] == [update.identifier]
    assert cancel.infos[1].response_types[0].value == "AllClear"

    # A gateway that applied the three messages holds only the Cancel at the end: nothing in force.
    gateway = AlertState()
    gateway.ingest(alert)
    gateway.ingest(update)
    assert [a.identifier for a in gateway.alerts] == [update.identifier]
    gateway.ingest(cancel)
    assert [(a.identifier, a.msg_type.value) for a in gateway.alerts] == [(cancel.identifier, "Cancel")]

    # A message once sent never changes: the first one is still the yellow Alert.
    first_event = int(alert.identifier.rsplit(".", 1)[1])
    replay = cap_of(client, warning["id"], message=first_event)
    assert replay.msg_type.value == "Alert" and replay.infos[1].severity.value == "Moderate"


def test_a_point_warning_is_a_circle_and_a_sensor_warning_is_observed(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    with sessions() as session:
        warning, _ = warnings.raise_from_sensors(
            session,
            level=WarningLevel.orange,
            title="储罐区硫化氢浓度超标",
            description="两个探测器二级报警",
            area=ShapelyPoint(118.95, 25.15),
            by="system: alarm rules",
            clock=clock,
        )
        session.commit()
        warning_id = warning.id
    alert = cap_of(client, warning_id)
    info = alert.infos[0]
    assert info.categories[0].value == "CBRNE"
    assert info.certainty.value == "Observed"
    assert info.areas[0].circles == ["25.150000,118.950000 1"]
    assert "橙色预警" in info.headline


def test_a_drill_warning_says_exercise_and_stays_off_the_public_feed(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    live = issue(client, title="live one", level="blue")
    with sessions() as session:
        drill = warnings.issue(
            session,
            level=WarningLevel.red,
            title="演练：氯气泄漏",
            area=ShapelyPoint(118.95, 25.15),
            source=WarningSource.manual,
            clock=clock,
            issued_by="演练导演",
            exercise_id=7,
        )
        session.commit()
        drill_id = drill.id
    assert cap_of(client, drill_id).status.value == "Exercise"

    feed = client.get("/api/v1/warnings.atom")
    assert feed.status_code == 200
    assert feed.headers["content-type"] == "application/atom+xml"
    root = etree.fromstring(feed.content)
    entries = root.findall(f"{{{ATOM_NS}}}entry")
    assert len(entries) == 1
    embedded = entries[0].find(f"{{{ATOM_NS}}}content/{{{CAP_NS}}}alert")
    assert embedded is not None
    alert = valid_cap(etree.tostring(embedded))
    assert alert.status.value == "Actual"
    assert "live one" in alert.infos[1].headline
    link = entries[0].find(f"{{{ATOM_NS}}}link").get("href")
    assert link.endswith(f"/api/v1/warnings/{live['id']}.cap?message={alert.identifier.rsplit('.', 1)[1]}")


def test_a_cleared_warning_leaves_the_feed(client: TestClient) -> None:
    warning = issue(client)
    assert act(client, warning, "clear").status_code == 200
    root = etree.fromstring(client.get("/api/v1/warnings.atom").content)
    assert root.findall(f"{{{ATOM_NS}}}entry") == []


@pytest.mark.parametrize("path", ["/api/v1/warnings/999.cap", "/api/v1/warnings/1.cap?message=99999"])
def test_unknown_warning_or_message_is_404(client: TestClient, path: str) -> None:
    issue(client)
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
