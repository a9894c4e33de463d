"""The road layer: drivable segments read from real OSM extracts, stored on both backends, served by area.

Monaco (OSRM's test extract) comes with a reference network derived independently with pyosmium
(monaco_drive_edges.csv, see SOURCE.md); Andorra is the district-sized extract.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import osmium
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import box, shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from commandpost.clock import FrozenClock
from commandpost.errors import InvalidGeometry, InvalidInput
from commandpost.events.models import Event
from commandpost.roads import osm, service
from commandpost.roads.models import RoadSegment
from tests_support import TEST_DATA

ROADS = TEST_DATA / "road_network"
MONACO = ROADS / "monaco.osm.pbf"
ANDORRA = ROADS / "andorra" / "andorra-latest.osm.pbf"

VOIE_ROMAINE = 24672730  # residential, oneway=-1 in the Monaco extract
PRINCESSE_ALICE = 4097656  # primary, oneway=yes
Edge = tuple[int, int, int]  # (from node, to node, way)


@pytest.fixture(scope="module")
def monaco() -> list[osm.Segment]:
    return osm.read_segments(MONACO)


@pytest.fixture(scope="module")
def reference() -> list[dict[str, str]]:
    with (ROADS / "monaco_drive_edges.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def parking_and_driveways() -> set[int]:
    """Ways the reference kept that our filter leaves out (service=parking_aisle/driveway)."""
    roads = json.loads((ROADS / "monaco_drive_roads.geojson").read_text(encoding="utf-8"))
    return {
        f["properties"]["osm_id"]
        for f in roads["features"]
        if f["properties"].get("service") in osm.EXCLUDED_SERVICE
    }


def raw_way(way_id: int) -> list[int]:
    """The node ids of one way, straight from the file."""
    processor = osmium.FileProcessor(str(MONACO), osmium.osm.WAY).with_filter(
        osmium.filter.IdFilter([way_id])
    )
    return next(iter([[n.ref for n in w.nodes] for w in processor if isinstance(w, osmium.osm.Way)]))


def edge(s: osm.Segment) -> Edge:
    assert s.start_node is not None and s.end_node is not None and s.osm_id is not None
    return (s.start_node, s.end_node, s.osm_id)


# --- reading OSM -----------------------------------------------------------------------------


def test_with_the_reference_filter_the_graph_is_the_reference_graph(
    monkeypatch: pytest.MonkeyPatch, reference: list[dict[str, str]]
) -> None:
    # The reference kept parking aisles and driveways; with them back in, every segment must be one of
    # its edges, with the same ends, the same direction and the same one-way flag. The single reference
    # edge we lack joins two distinct nodes at the same coordinates (0 m long), which we drop.
    monkeypatch.setattr(osm, "EXCLUDED_SERVICE", frozenset())
    ours = {edge(s): s for s in osm.read_segments(MONACO)}
    theirs = {(int(r["u"]), int(r["v"]), int(r["osm_way_id"])): r for r in reference}
    assert set(ours) <= set(theirs)
    missing = [theirs[e] for e in set(theirs) - set(ours)]
    assert [float(r["length_m"]) for r in missing] == [0.0]
    assert all(s.oneway == (theirs[e]["oneway"] == "1") for e, s in ours.items())
    vertices = {n for e in ours for n in e[:2]}
    with (ROADS / "monaco_drive_nodes.csv").open(encoding="utf-8") as f:
        reference_vertices = {int(row["osm_node_id"]) for row in csv.DictReader(f)}
    assert len(reference_vertices) == 2264
    assert reference_vertices - vertices == {int(missing[0]["v"])}


def test_monaco_network_has_the_reference_length_without_parking_aisles_and_driveways(
    monaco: list[osm.Segment], reference: list[dict[str, str]], parking_and_driveways: set[int]
) -> None:
    kept = [r for r in reference if int(r["osm_way_id"]) not in parking_and_driveways]
    reference_km = sum(float(r["length_m"]) for r in kept) / 1000  # 339.5 of the 344.6 km
    ours_km = sum(s.length_m for s in monaco) / 1000
    # The reference sums haversine distances on a 6371 km sphere; we measure on the WGS 84 ellipsoid.
    # At 43.7° N the two disagree by well under 0.5% (here +0.11%).
    assert ours_km == pytest.approx(reference_km, rel=0.005)
    assert not {s.osm_id for s in monaco} & parking_and_driveways
    # Without the driveways some junctions stop being junctions, so there are slightly fewer segments
    # (2,582 against 2,636), never more.
    assert 0.95 * len(kept) <= len(monaco) <= len(kept)
    assert sum(s.oneway for s in monaco) == pytest.approx(sum(r["oneway"] == "1" for r in kept), rel=0.05)


def test_oneway_minus_one_is_reversed_and_oneway_yes_kept_as_drawn(monaco: list[osm.Segment]) -> None:
    romaine = [s for s in monaco if s.osm_id == VOIE_ROMAINE]
    nodes = raw_way(VOIE_ROMAINE)
    assert romaine and all(s.oneway for s in romaine)
    assert {s.start_node for s in romaine} | {s.end_node for s in romaine} >= {nodes[0], nodes[-1]}
    assert any(s.start_node == nodes[-1] for s in romaine)  # drawn from the way's last node …
    assert not any(s.start_node == nodes[0] for s in romaine)  # … never from its first
    alice = [s for s in monaco if s.osm_id == PRINCESSE_ALICE]
    assert alice and all(s.oneway for s in alice)
    assert any(s.start_node == raw_way(PRINCESSE_ALICE)[0] for s in alice)


def test_segments_meet_only_at_their_ends(monaco: list[osm.Segment]) -> None:
    # What routing relies on: a node shared by two segments is an end of both.
    ends = {s.start_node for s in monaco} | {s.end_node for s in monaco}
    coords = {tuple(c) for s in monaco for c in s.geometry.coords[1:-1]}
    end_coords = {s.geometry.coords[0] for s in monaco} | {s.geometry.coords[-1] for s in monaco}
    assert len(ends) > 2000
    assert not coords & end_coords
    assert all(s.length_m > 0 and s.geometry.is_valid for s in monaco)


OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="25.100" lon="118.900" version="1"/>
  <node id="2" lat="25.100" lon="118.901" version="1"/>
  <node id="3" lat="25.100" lon="118.902" version="1"/>
  <node id="4" lat="25.101" lon="118.901" version="1"/>
  <node id="5" lat="25.099" lon="118.901" version="1"/>
  <node id="6" lat="25.101" lon="118.902" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="name" v="驿峰路"/><tag k="maxspeed" v="30 mph"/></way>
  <way id="11" version="1"><nd ref="4"/><nd ref="2"/><nd ref="5"/>
    <tag k="highway" v="secondary"/><tag k="maxspeed" v="CN:urban"/>
    <tag k="oneway" v="-1"/></way>
  <way id="12" version="1"><nd ref="3"/><nd ref="6"/><nd ref="4"/><nd ref="3"/>
    <tag k="highway" v="tertiary"/><tag k="junction" v="roundabout"/></way>
  <way id="13" version="1"><nd ref="5"/><nd ref="3"/>
    <tag k="highway" v="motorway"/><tag k="oneway" v="no"/></way>
  <way id="14" version="1"><nd ref="1"/><nd ref="4"/>
    <tag k="highway" v="service"/><tag k="access" v="private"/></way>
  <way id="15" version="1"><nd ref="1"/><nd ref="5"/><tag k="highway" v="service"/>
    <tag k="service" v="parking_aisle"/></way>
  <way id="16" version="1"><nd ref="1"/><nd ref="6"/><tag k="highway" v="footway"/></way>
  <way id="17" version="1"><nd ref="5"/><nd ref="6"/>
    <tag k="highway" v="residential"/><tag k="area" v="yes"/></way>
  <way id="18" version="1"><nd ref="6"/><nd ref="99"/><nd ref="1"/><tag k="highway" v="residential"/></way>
</osm>
"""


def test_tags_decide_class_direction_speed_and_splits(tmp_path: Path) -> None:
    path = tmp_path / "tiny.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    by_way: dict[int | None, list[osm.Segment]] = {}
    for s in osm.read_segments(path):
        by_way.setdefault(s.osm_id, []).append(s)
    # Private, parking aisle, footway, area, and a way broken by a node missing from the file: left out.
    assert set(by_way) == {10, 11, 12, 13}
    # Way 10 is cut at node 2, where way 11 crosses it; 30 mph is 48.3 km/h.
    assert [(s.start_node, s.end_node) for s in by_way[10]] == [(1, 2), (2, 3)]
    assert by_way[10][0].speed_kmh == 48.3 and by_way[10][0].name == "驿峰路"
    # oneway=-1: reversed (5 → 2 → 4), one-way; an unknown zone speed falls back to the class default.
    assert [(s.start_node, s.end_node, s.oneway) for s in by_way[11]] == [(5, 2, True), (2, 4, True)]
    assert by_way[11][0].speed_kmh == osm.DEFAULT_SPEED_KMH[osm.RoadClass.secondary]
    # A roundabout is one-way without saying so; a motorway is one-way unless it says oneway=no.
    assert all(s.oneway for s in by_way[12]) and [s.start_node for s in by_way[12]] == [3, 4]
    assert not by_way[13][0].oneway
    assert by_way[10][0].length_m == pytest.approx(100.9, abs=0.5)  # 0.001° of longitude at 25.1° N


@pytest.mark.parametrize(
    ("tag", "kmh"),
    [
        ("50", 50),
        ("50 km/h", 50),
        ("60kmh", 60),
        ("30 mph", 48.3),
        ("50;30", 30),
        ("FR:urban", None),
        ("none", None),
        ("signals", None),
        ("0", None),
        ("", None),
        (None, None),
    ],
)
def test_maxspeed_is_read_in_kmh_or_left_to_the_class_default(tag: str | None, kmh: float | None) -> None:
    assert osm.parse_maxspeed(tag) == kmh


def test_clip_keeps_only_what_lies_inside_the_boundary(monaco: list[osm.Segment]) -> None:
    boundary = osm.read_boundary(ROADS / "monaco.poly")
    clipped = osm.read_segments(MONACO, clip=boundary)
    assert 0 < len(clipped) < len(monaco)
    assert all(boundary.buffer(1e-9).contains(s.geometry) for s in clipped)
    # Roads crossing the boundary are cut at it: their cut end is no OSM node.
    cut = [s for s in clipped if s.start_node is None or s.end_node is None]
    assert cut
    # The clipped network is exactly the part of the whole one inside the boundary.
    inside = [s.geometry.intersection(boundary) for s in monaco]
    geod = Geod(ellps="WGS84")
    expected_km = sum(geod.geometry_length(g) for g in inside if not g.is_empty) / 1000
    assert sum(s.length_m for s in clipped) / 1000 == pytest.approx(expected_km, rel=1e-3)
    # … and still drawn in the driving direction.
    for s in cut:
        whole = next(
            w for w in monaco if w.osm_id == s.osm_id and w.geometry.buffer(1e-8).contains(s.geometry)
        )
        head, tail = (
            whole.geometry.project(shapely.Point(c)) for c in (s.geometry.coords[0], s.geometry.coords[-1])
        )
        assert head < tail


def test_boundary_from_geojson_is_the_union_of_its_polygons(
    tmp_path: Path, monaco: list[osm.Segment]
) -> None:
    west, east = box(7.41, 43.72, 7.42, 43.74), box(7.42, 43.72, 7.43, 43.74)
    path = tmp_path / "boundary.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"name": n}, "geometry": shapely.geometry.mapping(g)}
                    for n, g in (("west", west), ("east", east))
                ],
            }
        )
    )
    boundary = osm.read_boundary(path)
    assert boundary.equals(box(7.41, 43.72, 7.43, 43.74))
    clipped = osm.read_segments(MONACO, clip=boundary)
    assert clipped and all(s.geometry.within(boundary.buffer(1e-9)) for s in clipped)


def test_bad_inputs_name_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as missing:
        osm.read_segments(tmp_path / "nowhere.osm.pbf")
    assert missing.value.field == "path"
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"not a pbf")
    with pytest.raises(InvalidInput, match=r"cannot read junk\.osm\.pbf"):
        osm.read_segments(junk)
    line = tmp_path / "line.geojson"
    line.write_text(json.dumps({"type": "LineString", "coordinates": [[7.41, 43.72], [7.42, 43.73]]}))
    with pytest.raises(InvalidGeometry) as not_area:
        osm.read_boundary(line)
    assert not_area.value.field == "clip"


# --- the stored layer, both backends -------------------------------------------------------------


def layer_rows(session: Session) -> tuple[int, float]:
    count, metres = session.execute(select(func.count(), func.sum(RoadSegment.length_m))).one()
    return int(count), float(metres or 0)


def test_import_stores_the_network_and_a_reimport_replaces_it(session: Session, clock: FrozenClock) -> None:
    report = service.import_osm(session, path=MONACO, clock=clock)
    session.commit()
    assert report.segments == layer_rows(session)[0] > 2500
    assert report.km == pytest.approx(layer_rows(session)[1] / 1000, abs=0.01)
    assert report.by_class["primary"].segments > 0
    assert sum(c.segments for c in report.by_class.values()) == report.segments
    romaine = session.scalars(select(RoadSegment).where(RoadSegment.osm_id == VOIE_ROMAINE)).all()
    assert romaine and all(r.oneway and r.source == "osm" for r in romaine)

    boundary = osm.read_boundary(ROADS / "monaco.poly")
    again = service.import_osm(session, path=MONACO, clip=boundary, clock=clock)
    session.commit()
    assert again.replaced == report.segments and again.clipped
    assert layer_rows(session)[0] == again.segments < report.segments
    imported = session.scalars(
        select(Event).where(Event.type == "road_layer.imported").order_by(Event.id)
    ).all()
    assert [e.payload["segments"] for e in imported] == [report.segments, again.segments]


def test_andorra_imports_and_the_layer_serves_it_by_area(
    sessions: sessionmaker[Session], client: TestClient, clock: FrozenClock
) -> None:
    started = time.perf_counter()
    with sessions() as session:
        report = service.import_osm(session, path=ANDORRA, clock=clock)
        session.commit()
    seconds = time.perf_counter() - started
    print(f"Andorra: {report.segments} segments, {report.km:.1f} km, imported in {seconds:.1f} s")
    assert report.segments > 3000 and report.km > 400
    assert seconds < 20

    everything = client.get("/api/v1/roads", params={"limit": 1})
    assert everything.json()["numberMatched"] == report.segments
    # Andorra la Vella's centre.
    bbox = (1.515, 42.500, 1.530, 42.512)
    response = client.get("/api/v1/roads", params={"bbox": ",".join(map(str, bbox)), "limit": 10000})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    layer = response.json()
    assert 0 < layer["numberMatched"] == layer["numberReturned"] < report.segments
    frame = box(*bbox)
    assert all(shape(f["geometry"]).intersects(frame) for f in layer["features"])
    props = layer["features"][0]["properties"]
    assert set(props) == {
        "id",
        "osm_id",
        "name",
        "ref",
        "road_class",
        "oneway",
        "speed_kmh",
        "length_m",
        "source",
    }

    main_roads = client.get(
        "/api/v1/roads", params=[("road_class", "trunk"), ("road_class", "primary"), ("limit", "10000")]
    ).json()
    assert {f["properties"]["road_class"] for f in main_roads["features"]} == {"trunk", "primary"}
    assert (
        main_roads["numberMatched"] == report.by_class["trunk"].segments + report.by_class["primary"].segments
    )


def test_layer_pages_and_refuses_unknown_classes(
    client: TestClient, sessions: sessionmaker[Session], clock: FrozenClock
) -> None:
    with sessions() as session:
        service.import_osm(session, path=MONACO, clock=clock)
        session.commit()
    first = client.get("/api/v1/roads", params={"limit": 100}).json()
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = client.get(nxt).json()
    assert first["numberReturned"] == second["numberReturned"] == 100
    assert not {f["id"] for f in first["features"]} & {f["id"] for f in second["features"]}
    bad = client.get("/api/v1/roads", params={"road_class": "footway"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "query.road_class.0"


def hand_drawn(coords: list[list[float]], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": {"type": "LineString", "coordinates": coords}}


def test_hand_drawn_roads_become_segments_split_where_they_cross(
    session: Session, clock: FrozenClock
) -> None:
    east_west = hand_drawn(
        [[118.90, 25.10], [118.91, 25.10], [118.92, 25.10]], name="疏港路", road_class="primary"
    )
    north_south = hand_drawn(
        [[118.91, 25.09], [118.91, 25.10], [118.91, 25.11]],
        road_class="secondary",
        oneway=True,
        speed_kmh=40,
        source="drawn from the 2024 plan",
    )
    report = service.load_geojson(session, features=[east_west, north_south], clock=clock)
    session.commit()
    rows = session.scalars(select(RoadSegment).order_by(RoadSegment.id)).all()
    assert report.segments == len(rows) == 4
    assert [(r.name, r.oneway, r.speed_kmh, r.source) for r in rows] == [
        ("疏港路", False, 60, "approximation"),
        ("疏港路", False, 60, "approximation"),
        (None, True, 40, "drawn from the 2024 plan"),
        (None, True, 40, "drawn from the 2024 plan"),
    ]
    assert rows[0].length_m == pytest.approx(1009, abs=2)


def test_a_bad_hand_drawn_road_writes_nothing(session: Session, clock: FrozenClock) -> None:
    service.load_geojson(
        session, features=[hand_drawn([[118.9, 25.1], [118.91, 25.1]], road_class="primary")], clock=clock
    )
    session.commit()
    bad = [
        hand_drawn([[118.9, 25.1], [118.91, 25.1]], road_class="primary"),
        hand_drawn([[118.9, 25.1], [118.91, 25.1]], road_class="motorway_service"),
    ]
    with pytest.raises(InvalidInput) as refused:
        service.load_geojson(session, features=bad, clock=clock)
    assert refused.value.field == "features[1].properties.road_class"
    session.rollback()
    assert layer_rows(session)[0] == 1
