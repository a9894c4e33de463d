"""Warnings as OASIS CAP 1.2 messages and an Atom feed of them, built from the event log.

A warning's public life is read from its events: `warning.issued` is an Alert, every
`warning.escalated` an Update referencing the messages before it, `warning.cleared` a Cancel.
Acknowledgements and roster escalations are internal and send no message. Each message keeps the
warning as it was at that event (the event carries the feature), so a message, once sent, never
changes: its identifier is the warning id and the event id.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from commandpost.config import Settings
from commandpost.errors import NotFound
from commandpost.events import service as events
from commandpost.events.models import Event
from commandpost.hazards.models import HazardSource
from commandpost.warnings.models import Warning, WarningStatus

IN_FORCE = (WarningStatus.active, WarningStatus.acknowledged)

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
ATOM_MEDIA_TYPE = "application/atom+xml"

# The public messages of a warning's life; other events (acknowledged, roster escalation) are internal.
MSG_TYPE = {"warning.issued": "Alert", "warning.escalated": "Update", "warning.cleared": "Cancel"}


@dataclass(frozen=True)
class ColourMapping:
    """How one warning colour reads in CAP (documented in the README)."""

    gb_level: str
    urgency: str
    severity: str
    response: str
    instruction_zh: str
    instruction_en: str


# The four colours of GB/T 35965 and the national emergency plans (red I … blue IV) mapped to CAP's
# urgency and severity the way public-warning gateways expect: red and orange call for action now,
# yellow for action soon, blue to stay informed.
COLOURS: dict[str, ColourMapping] = {
    "red": ColourMapping(
        "I",
        "Immediate",
        "Extreme",
        "Evacuate",
        "立即撤离危险区域，听从现场指挥，远离下风方向。",
        "Leave the danger area now, follow on-scene command and keep out of the downwind direction.",
    ),
    "orange": ColourMapping(
        "II",
        "Immediate",
        "Severe",
        "Prepare",
        "做好撤离准备，远离危险区域，关闭门窗，停止户外活动。",
        "Prepare to evacuate, keep away from the danger area, close doors and windows, stay indoors.",
    ),
    "yellow": ColourMapping(
        "III",
        "Expected",
        "Moderate",
        "Monitor",
        "注意防范，远离危险区域，关注后续预警信息。",
        "Take precautions, keep away from the danger area and follow further warnings.",
    ),
    "blue": ColourMapping(
        "IV",
        "Future",
        "Minor",
        "Monitor",
        "关注事态发展和后续预警信息。",
        "Stay informed and follow further warnings.",
    ),
}
LEVEL_NAME_EN = {"red": "Red", "orange": "Orange", "yellow": "Yellow", "blue": "Blue"}
LEVEL_NAME_ZH = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}


@dataclass(frozen=True)
class CapMessage:
    """One public message of a warning: what was sent, when, and the warning as it then stood."""

    event_id: int
    msg_type: str
    sent: datetime
    warning: dict[str, Any]  # the warning's GeoJSON Feature at that event
    exercise: bool


def identifier(settings: Settings, *, warning_id: int, event_id: int) -> str:
    # CAP forbids spaces, commas, "<" and "&" in identifiers; ids and the sender's domain have none.
    return f"{settings.cap_sender}.warning.{warning_id}.{event_id}"


def messages(session: Session, *, warning_id: int) -> list[CapMessage]:
    """The public messages a warning has had, oldest first; NotFound if it has none (no such warning)."""
    history: list[Event] = events.for_entity(session, entity_type="warning", entity_id=warning_id)
    out = [
        CapMessage(
            event_id=event.id,
            msg_type=MSG_TYPE[event.type],
            sent=event.at,
            warning=event.payload["feature"],
            exercise=event.exercise_id is not None,
        )
        for event in history
        if event.type in MSG_TYPE and "feature" in event.payload
    ]
    if not out:
        raise NotFound(f"warning {warning_id} not found", field="warning_id")
    return out


def _cap_time(value: datetime, tz: ZoneInfo) -> str:
    # CAP 1.2 wants whole seconds and an explicit offset ("Z" is not allowed).
    return value.astimezone(tz).replace(microsecond=0).isoformat()


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _polygons(geom: BaseGeometry) -> list[str]:
    """Each outer ring as CAP writes it: "lat,lon" pairs, first and last the same."""
    polys = [geom] if geom.geom_type == "Polygon" else list(getattr(geom, "geoms", []))
    return [" ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in poly.exterior.coords) for poly in polys]


def _area(parent: ET.Element, feature: dict[str, Any], *, desc: str, settings: Settings) -> None:
    area = _sub(parent, "area")
    _sub(area, "areaDesc", desc)
    geom = shape(feature["geometry"])
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        for ring in _polygons(geom):
            _sub(area, "polygon", ring)
    else:
        centre = geom.centroid
        _sub(area, "circle", f"{centre.y:.6f},{centre.x:.6f} {settings.cap_circle_radius_km:g}")


def _info(
    alert: ET.Element,
    message: CapMessage,
    *,
    language: str,
    area_desc: str,
    settings: Settings,
) -> None:
    props = message.warning["properties"]
    colour = COLOURS[props["level"]]
    zh = language == "zh-CN"
    cancel = message.msg_type == "Cancel"
    info = _sub(alert, "info")
    _sub(info, "language", language)
    chemical = props.get("source") == "sensor" or props.get("hazard_source_id") is not None
    _sub(info, "category", "CBRNE" if chemical else "Safety")
    _sub(info, "event", "危险化学品预警" if zh else "Hazardous chemicals warning")
    _sub(info, "responseType", "AllClear" if cancel else colour.response)
    _sub(info, "urgency", "Past" if cancel else colour.urgency)
    _sub(info, "severity", colour.severity)
    # A detector's alarm is observed; an officer's warning is their judgement of what is likely.
    _sub(info, "certainty", "Observed" if props.get("source") == "sensor" else "Likely")
    _sub(info, "senderName", settings.cap_sender_name)
    level = LEVEL_NAME_ZH[props["level"]] if zh else LEVEL_NAME_EN[props["level"]]
    if cancel:
        headline = f"解除{level}预警：{props['title']}" if zh else f"{level} warning lifted: {props['title']}"
    else:
        headline = (
            f"{level}预警（{colour.gb_level}级）：{props['title']}"
            if zh
            else (f"{level} warning (level {colour.gb_level}): {props['title']}")
        )
    _sub(info, "headline", headline[:160])
    _sub(info, "description", props.get("description") or props["title"])
    if cancel:
        _sub(info, "instruction", "危险已解除，可恢复正常活动。" if zh else "The danger is over.")
    else:
        _sub(info, "instruction", colour.instruction_zh if zh else colour.instruction_en)
    _sub(info, "web", f"{settings.public_url.rstrip('/')}/api/v1/warnings/{props['id']}")
    parameter = _sub(info, "parameter")
    _sub(parameter, "valueName", "warningColour")
    _sub(parameter, "value", props["level"])
    _area(info, message.warning, desc=area_desc, settings=settings)


def _area_description(session: Session, feature: dict[str, Any], *, zh: bool) -> str:
    source_id = feature["properties"].get("hazard_source_id")
    source = session.get(HazardSource, source_id) if source_id is not None else None
    if source is not None:
        return source.name
    return "泉港区" if zh else "Quangang District"


def alert_element(
    session: Session, history: list[CapMessage], message: CapMessage, *, settings: Settings
) -> ET.Element:
    """The CAP 1.2 `alert` of one message of a warning, as it was sent."""
    tz = ZoneInfo(settings.timezone)
    warning_id = message.warning["properties"]["id"]
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(alert, "identifier", identifier(settings, warning_id=warning_id, event_id=message.event_id))
    _sub(alert, "sender", settings.cap_sender)
    _sub(alert, "sent", _cap_time(message.sent, tz))
    _sub(alert, "status", "Exercise" if message.exercise else "Actual")
    _sub(alert, "msgType", message.msg_type)
    _sub(alert, "scope", "Public")
    # An Update or Cancel references the message it replaces, so a gateway holding the chain keeps
    # exactly one message of the warning in force (or none after the Cancel).
    earlier = [m for m in history if m.event_id < message.event_id]
    if message.msg_type != "Alert" and earlier:
        replaced = earlier[-1]
        replaced_id = identifier(settings, warning_id=warning_id, event_id=replaced.event_id)
        _sub(alert, "references", f"{settings.cap_sender},{replaced_id},{_cap_time(replaced.sent, tz)}")
    for language in ("zh-CN", "en"):
        desc = _area_description(session, message.warning, zh=language == "zh-CN")
        _info(alert, message, language=language, area_desc=desc, settings=settings)
    return alert


def _xml(element: ET.Element) -> bytes:
    xml: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS)
    return xml


def message_xml(
    session: Session, *, warning_id: int, event_id: int | None, settings: Settings
) -> tuple[bytes, CapMessage]:
    """One message of a warning as CAP XML: the newest, or the one sent at event `event_id`."""
    history = messages(session, warning_id=warning_id)
    if event_id is None:
        message = history[-1]
    else:
        found = [m for m in history if m.event_id == event_id]
        if not found:
            sent = ", ".join(str(m.event_id) for m in history)
            raise NotFound(
                f"warning {warning_id} sent no message at event {event_id} (messages: {sent})",
                field="message",
            )
        message = found[0]
    return _xml(alert_element(session, history, message, settings=settings)), message


def live_in_force(session: Session) -> list[int]:
    """Live warnings in force, newest first: what the public feed carries (never a drill's)."""
    stmt = (
        select(Warning.id)
        .where(Warning.status.in_(IN_FORCE), Warning.exercise_id.is_(None))
        .order_by(Warning.updated_at.desc(), Warning.id.desc())
    )
    return list(session.scalars(stmt))


def atom_feed(session: Session, *, settings: Settings, now: datetime) -> bytes:
    """An Atom feed of the live warnings in force, one entry each: its newest CAP message, embedded."""
    warning_ids = live_in_force(session)
    tz = ZoneInfo(settings.timezone)
    base = settings.public_url.rstrip("/")
    ET.register_namespace("cap", CAP_NS)

    # Atom elements are written unqualified under a default xmlns (ElementTree cannot put qualified
    # elements in a default namespace when they carry plain attributes); CAP keeps its "cap:" prefix.
    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    sub(feed, "id", f"{base}/api/v1/warnings.atom")
    sub(feed, "title", f"{settings.cap_sender_name}: warnings in force")
    sub(feed, "updated", _cap_time(now, tz))
    sub(feed, "link", rel="self", href=f"{base}/api/v1/warnings.atom", type=ATOM_MEDIA_TYPE)
    author = sub(feed, "author")
    sub(author, "name", settings.cap_sender_name)
    for warning_id in warning_ids:
        history = messages(session, warning_id=warning_id)
        message = history[-1]
        props = message.warning["properties"]
        cap_url = f"{base}/api/v1/warnings/{warning_id}.cap?message={message.event_id}"
        entry = sub(feed, "entry")
        sub(entry, "id", cap_url)
        level = LEVEL_NAME_EN[props["level"]]
        sub(entry, "title", f"{level} warning: {props['title']}")
        sub(entry, "updated", _cap_time(message.sent, tz))
        sub(entry, "link", rel="alternate", href=cap_url, type=CAP_MEDIA_TYPE)
        sub(entry, "summary", props.get("description") or props["title"])
        content = sub(entry, "content", type=CAP_MEDIA_TYPE)
        content.append(alert_element(session, history, message, settings=settings))
    xml: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return xml
