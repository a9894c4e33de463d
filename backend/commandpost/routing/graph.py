"""The road graph routing runs on, in memory: no database, no HTTP.

Nodes are segment ends (matched by coordinate to 1e-7°, as the importer splits ways), edges are
driving directions (one for a one-way segment, two otherwise), weighted by travel time
(length ÷ speed). Closed segments are left out of a `Network`, the graph as it can be driven now.

Points (a team, an incident, a depot) snap to the nearest open segment, measured in a local
equirectangular projection centred on the graph (accurate to a fraction of a percent across a
district, and valid wherever the roads are), with the leg between the point and the road driven
at a slow off-road speed.

Every team's time to an incident comes from one search: Dijkstra (scipy.sparse.csgraph) from the
incident over the reversed graph, through a virtual node that stands for the incident's snapped
point. Its predecessors are each node's next hop towards the incident, which gives the routes.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

OFF_ROAD_KMH = 15.0
# Snapping looks at vertices at most this far apart (m); exact whatever the value, faster when small.
SNAP_SPACING_M = 15.0
SNAP_NEIGHBOURS = 12
SNAP_CACHE = 50_000
EARTH_RADIUS_M = 6_371_008.8
# scipy treats a stored 0 as "no edge" in some paths; a millisecond is below anything we report.
MIN_EDGE_S = 1e-3
FIELD_CACHE = 16

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


class LocalProjection:
    """Lon/lat ↔ metres by an equirectangular projection centred on (lon0, lat0): an affine map."""

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0, self.lat0 = lon0, lat0
        self.ky = EARTH_RADIUS_M * math.pi / 180
        self.kx = self.ky * math.cos(math.radians(lat0))

    def forward(self, lonlat: Floats) -> Floats:
        out = np.empty_like(lonlat, dtype=np.float64)
        out[:, 0] = (lonlat[:, 0] - self.lon0) * self.kx
        out[:, 1] = (lonlat[:, 1] - self.lat0) * self.ky
        return out

    def inverse(self, xy: Floats) -> Floats:
        out = np.empty_like(xy, dtype=np.float64)
        out[:, 0] = xy[:, 0] / self.kx + self.lon0
        out[:, 1] = xy[:, 1] / self.ky + self.lat0
        return out

    def to_metric(self, geom: Any) -> Any:
        return shapely.transform(geom, self.forward)

    def to_lonlat(self, geom: Any) -> Any:
        return shapely.transform(geom, self.inverse)


@dataclass(frozen=True)
class Snaps:
    """Points placed on the network: per point the segment, the fraction along it (in drawing
    direction), and the off-road leg. `seg` is -1 for a point that could not be placed."""

    seg: Ints
    frac: Floats
    off_m: Floats
    lonlat: Floats  # the points themselves
    on_road: Floats  # where they meet the road

    def __len__(self) -> int:
        return len(self.seg)


@dataclass(frozen=True)
class Field:
    """Every node's time (s) and distance (m) to one target, and its next hop towards it."""

    target: Snaps  # one point
    seconds: Floats  # per node; the virtual target node is last
    metres: Floats
    next_hop: Ints
    # node → (segment, from fraction, to fraction): the last piece of road from that node to the target
    entry: dict[int, tuple[int, float, float]]
    hops: list[int]  # next_hop as plain ints, for walking routes


@dataclass(frozen=True)
class Travel:
    """Time and distance from each of several points to a target, and how each leaves its segment."""

    seconds: Floats  # inf when no route
    metres: Floats
    via: Ints  # the node the point drives to first; -1 direct along the target's segment, -2 no route
    backward: NDArray[np.bool_]  # leaves its segment against the drawing direction


class RoadGraph:
    """Road segments as a directed graph with every segment, open or closed."""

    def __init__(
        self,
        *,
        ids: Sequence[int],
        names: Sequence[str | None],
        oneway: Sequence[bool],
        speed_kmh: Sequence[float],
        length_m: Sequence[float],
        lines: Sequence[BaseGeometry],
        version: Any = None,
    ) -> None:
        self.version = version
        self.ids = np.asarray(ids, dtype=np.int64)
        self.names = list(names)
        self.oneway = np.asarray(oneway, dtype=bool)
        self.length_m = np.asarray(length_m, dtype=np.float64)
        speed = np.maximum(np.asarray(speed_kmh, dtype=np.float64), 1.0)
        self.seconds = np.maximum(self.length_m / (speed / 3.6), MIN_EDGE_S)
        self.lines = np.asarray(lines, dtype=object)
        self.index_of_id = {int(i): n for n, i in enumerate(self.ids)}
        self.id_list: list[int] = self.ids.tolist()
        self.seconds_list: list[float] = self.seconds.tolist()
        self.length_list: list[float] = self.length_m.tolist()
        count = len(self.ids)

        if count:
            starts = shapely.get_coordinates(shapely.get_point(self.lines, 0))
            ends = shapely.get_coordinates(shapely.get_point(self.lines, -1))
            keys = np.round(np.vstack([starts, ends]), 7)
            unique, inverse = np.unique(keys, axis=0, return_inverse=True)
            inverse = inverse.reshape(-1)
            self.node_lonlat: Floats = unique
            self.seg_u: Ints = inverse[:count].astype(np.int64)
            self.seg_v: Ints = inverse[count:].astype(np.int64)
            minx, miny, maxx, maxy = shapely.total_bounds(self.lines)
            self.projection = LocalProjection((minx + maxx) / 2, (miny + maxy) / 2)
        else:
            self.node_lonlat = np.empty((0, 2))
            self.seg_u = self.seg_v = np.empty(0, dtype=np.int64)
            self.projection = LocalProjection(0.0, 0.0)
        self.n_nodes = len(self.node_lonlat)
        self.lines_m = (
            np.asarray(self.projection.to_metric(self.lines), dtype=object) if count else self.lines
        )
        self.tree = shapely.STRtree(self.lines)
        coords, owner = shapely.get_coordinates(self.lines, return_index=True)
        cuts = np.flatnonzero(np.diff(owner)) + 1
        self.seg_coords: list[Floats] = np.split(coords, cuts) if count else []
        metric = self.projection.forward(coords) if count else coords
        step = np.zeros(len(metric))
        step[1:] = np.hypot(*(metric[1:] - metric[:-1]).T)
        step[np.append(0, cuts)[:count]] = 0.0  # each segment starts at 0
        self._seg_xy: list[Floats] = np.split(metric, cuts) if count else []
        self._seg_cum: list[Floats] = [np.cumsum(part) for part in np.split(step, cuts)] if count else []
        self._densify()

        two_way = np.flatnonzero(~self.oneway)
        self.e_seg: Ints = np.concatenate([np.arange(count, dtype=np.int64), two_way])
        self.e_from: Ints = np.concatenate([self.seg_u, self.seg_v[two_way]])
        self.e_to: Ints = np.concatenate([self.seg_v, self.seg_u[two_way]])

    def __len__(self) -> int:
        return len(self.ids)

    def _densify(self) -> None:
        """Vertices every SNAP_SPACING_M metres or closer along every segment (metric), each with its
        segment and its distance from the segment's start: what snapping searches."""
        if not len(self.ids):
            self.v_xy: Floats = np.empty((0, 2))
            self.v_seg: Ints = np.empty(0, dtype=np.int64)
            self.v_along: Floats = np.empty(0)
            self.v_piece: NDArray[np.bool_] = np.empty(0, dtype=bool)
            self.seg_len_xy: Floats = np.empty(0)
            self.v_tree: cKDTree | None = None
            return
        dense = shapely.segmentize(self.lines_m, SNAP_SPACING_M)
        xy, owner = shapely.get_coordinates(dense, return_index=True)
        owner = owner.astype(np.int64)
        # v_piece[i]: vertices i and i+1 bound a piece of the same segment.
        piece = np.zeros(len(xy), dtype=bool)
        piece[:-1] = owner[1:] == owner[:-1]
        step = np.zeros(len(xy))
        step[1:] = np.where(piece[:-1], np.hypot(*(xy[1:] - xy[:-1]).T), 0.0)
        cumulative = np.cumsum(step)
        starts = np.searchsorted(owner, np.arange(len(self.ids)))
        along = cumulative - cumulative[starts][owner]
        self.v_xy, self.v_seg, self.v_along, self.v_piece = xy, owner, along, piece
        self.v_tree = cKDTree(xy)
        ends = np.append(starts[1:], len(xy)) - 1
        self.seg_len_xy = np.maximum(along[ends], 1e-9)

    def part(self, seg: int, lo: float, hi: float) -> Floats:
        """The lon/lat coordinates of segment `seg` between fractions lo < hi of its length."""
        xy, cum = self._seg_xy[seg], self._seg_cum[seg]
        a, b = lo * cum[-1], hi * cum[-1]
        ends = np.column_stack([np.interp([a, b], cum, xy[:, 0]), np.interp([a, b], cum, xy[:, 1])])
        inner = xy[(cum > a) & (cum < b)]
        return self.projection.inverse(np.vstack([ends[:1], inner, ends[1:]]))

    def segments_meeting(self, area: BaseGeometry) -> Ints:
        """Indices of the segments that touch or cross `area` (WGS 84)."""
        return np.asarray(self.tree.query(area, predicate="intersects"), dtype=np.int64)

    def network(
        self,
        blocked: NDArray[np.bool_] | None = None,
        *,
        version: Any = None,
        zones: Sequence[BaseGeometry] = (),
        max_off_road_m: float = math.inf,
    ) -> Network:
        """The graph as it can be driven with `blocked` segments (a mask over segments) closed."""
        mask = np.zeros(len(self), dtype=bool) if blocked is None else blocked
        return Network(self, mask, version=version, zones=zones, max_off_road_m=max_off_road_m)


class Network:
    """The drivable graph: a RoadGraph with some segments closed. Immutable; safe to share.

    `zones` are the danger zones in force (WGS 84 polygons): a target inside one is approached to
    the nearest open road outside it, not walked to across it. A point farther than
    `max_off_road_m` from every open road cannot be routed from or to.
    """

    def __init__(
        self,
        graph: RoadGraph,
        blocked: NDArray[np.bool_],
        *,
        version: Any = None,
        zones: Sequence[BaseGeometry] = (),
        max_off_road_m: float = math.inf,
    ) -> None:
        self.graph = graph
        self.blocked = blocked
        self.version = version
        self.zones = tuple(zones)
        self.max_off_road_m = max_off_road_m
        g = graph
        self.size = g.n_nodes + 1  # the last node stands for a query's target
        self.target_node = g.n_nodes
        keep = ~blocked[g.e_seg] & (g.e_from != g.e_to)
        e_from, e_to, e_seg = g.e_from[keep], g.e_to[keep], g.e_seg[keep]
        e_time = g.seconds[e_seg]
        # Parallel segments between the same two nodes: keep the faster one.
        order = np.lexsort((e_time, e_to, e_from))
        e_from, e_to, e_seg, e_time = e_from[order], e_to[order], e_seg[order], e_time[order]
        key = e_from * self.size + e_to
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        self.edge_key: Ints = key[first]  # sorted
        self.edge_seg: Ints = e_seg[first]
        e_from, e_to, e_time = e_from[first], e_to[first], e_time[first]
        reverse = csr_matrix((e_time, (e_to, e_from)), shape=(self.size, self.size))
        reverse.sort_indices()
        self._data = reverse.data.astype(np.float64)
        self._indices = reverse.indices.astype(np.int32)
        self._indptr = reverse.indptr.astype(np.int32)
        self.open_segments: Ints = np.flatnonzero(~blocked).astype(np.int64)
        self._open_tree: tuple[Ints, cKDTree] | None = None  # built only if ever needed
        self._hops: dict[tuple[int, int], int] | None = None
        self._fields: OrderedDict[tuple[Any, ...], Field] = OrderedDict()
        self._snaps: dict[tuple[float, float], tuple[float, float, float, float, float]] = {}
        self._last_snap: tuple[bytes, Snaps] | None = None
        self._lock = threading.Lock()

    @property
    def edges(self) -> int:
        return len(self.edge_key)

    def with_closed(self, blocked: NDArray[np.bool_], *, zones: Sequence[BaseGeometry] = ()) -> Network:
        """The same graph and limits with another set of closed segments and danger zones."""
        return self.graph.network(blocked, zones=zones, max_off_road_m=self.max_off_road_m)

    # --- snapping ------------------------------------------------------------------------

    def snap(self, lonlat: Floats) -> Snaps:
        """Place points (k×2 lon/lat) on the nearest open segment; a point placed before on this
        network (a team waiting at its base) is looked up, not searched again."""
        lonlat = np.ascontiguousarray(lonlat, dtype=np.float64).reshape(-1, 2)
        whole = lonlat.tobytes()  # the same set of points as last time (no team moved)
        last = self._last_snap
        if last is not None and last[0] == whole:
            return last[1]
        keys = [(x, y) for x, y in lonlat.tolist()]
        cache = self._snaps
        rows: list[tuple[float, float, float, float, float] | None] = [cache.get(key) for key in keys]
        missing = [i for i, row in enumerate(rows) if row is None]
        if missing:
            fresh = self._search_snaps(lonlat[missing])
            if len(cache) > SNAP_CACHE:
                cache.clear()
            for j, i in enumerate(missing):
                row = (
                    float(fresh.seg[j]),
                    float(fresh.frac[j]),
                    float(fresh.off_m[j]),
                    float(fresh.on_road[j, 0]),
                    float(fresh.on_road[j, 1]),
                )
                cache[keys[i]] = row
                rows[i] = row
        table = np.array(rows, dtype=np.float64).reshape(-1, 5)
        snaps = Snaps(
            seg=table[:, 0].astype(np.int64),
            frac=table[:, 1],
            off_m=table[:, 2],
            lonlat=lonlat,
            on_road=table[:, 3:5],
        )
        if len(lonlat) > 1:
            self._last_snap = (whole, snaps)
        return snaps

    def inherit_snaps(self, older: Network) -> None:
        """Keep an older network's placements that still hold: when this one only closes more
        segments, a point's nearest open segment is unchanged unless that segment closed."""
        if older.graph is not self.graph or bool((older.blocked & ~self.blocked).any()):
            return
        blocked = self.blocked
        self._snaps.update(
            (key, row) for key, row in older._snaps.items() if row[0] < 0 or not blocked[int(row[0])]
        )
        last = older._last_snap
        if last is not None and not blocked[last[1].seg[last[1].seg >= 0]].any():
            self._last_snap = last

    def _search_snaps(self, lonlat: Floats) -> Snaps:
        """Place points (k×2 lon/lat) on the nearest open segment, exactly.

        The nearest open densified vertex is at distance r ≥ the true distance d to the road; the
        nearest piece has a vertex within d + spacing/2 ≤ r + spacing/2; so the pieces next to the
        open vertices in that ball contain the nearest one. Their distances are computed in numpy.
        """
        lonlat = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
        k = len(lonlat)
        seg = np.full(k, -1, dtype=np.int64)
        frac = np.zeros(k)
        off = np.full(k, np.inf)
        on_road = lonlat.copy()
        g = self.graph
        if not k or g.v_tree is None or not len(self.open_segments):
            return Snaps(seg=seg, frac=frac, off_m=off, lonlat=lonlat, on_road=on_road)
        xy = g.projection.forward(lonlat)
        total = len(g.v_xy)
        near = min(SNAP_NEIGHBOURS, total)
        dist_v, index = g.v_tree.query(xy, k=near)
        dist_v, index = dist_v.reshape(k, near), index.reshape(k, near)
        is_open = ~self.blocked[g.v_seg[index]]
        has_open = is_open.any(axis=1)
        first_open = np.argmax(is_open, axis=1)
        radius = dist_v[np.arange(k), first_open] + SNAP_SPACING_M / 2 + 1e-6
        inside = is_open & (dist_v <= radius[:, None]) & has_open[:, None]
        point = np.broadcast_to(np.arange(k)[:, None], index.shape)[inside]
        vertex = index[inside]
        # Balls that may hold more vertices than were fetched: fetch all of them.
        unsure = (
            np.flatnonzero(has_open & (dist_v[:, -1] <= radius)) if near < total else np.empty(0, np.int64)
        )
        extra_point: list[Ints] = []
        extra_vertex: list[Ints] = []
        if len(unsure):
            for row, ball in zip(
                unsure.tolist(), g.v_tree.query_ball_point(xy[unsure], radius[unsure]), strict=True
            ):
                found = np.asarray(ball, dtype=np.int64)
                found = found[~self.blocked[g.v_seg[found]]]
                extra_point.append(np.full(len(found), row, dtype=np.int64))
                extra_vertex.append(found)
            keep = ~np.isin(point, unsure)
            point, vertex = point[keep], vertex[keep]
        # No open vertex among the nearest (beside a closed road): look further, then if need be
        # among the open vertices only.
        for row in np.flatnonzero(~has_open).tolist():
            found = self._open_ball(xy[row])
            extra_point.append(np.full(len(found), row, dtype=np.int64))
            extra_vertex.append(found)
        if extra_point:
            point = np.concatenate([point, *extra_point])
            vertex = np.concatenate([vertex, *extra_vertex])
        # Pieces next to each vertex: the one it starts and the one it ends.
        after = g.v_piece[vertex]
        before = np.zeros_like(after)
        before[vertex > 0] = g.v_piece[vertex[vertex > 0] - 1]
        start = np.concatenate([vertex[after], vertex[before] - 1])
        who = np.concatenate([point[after], point[before]])
        if not len(start):  # only isolated points: segments of zero length
            start, who = vertex, point
        a = g.v_xy[start]
        b = g.v_xy[np.minimum(start + 1, len(g.v_xy) - 1)]
        b = np.where(g.v_piece[start][:, None], b, a)
        ab = b - a
        length2 = np.einsum("ij,ij->i", ab, ab)
        t = np.clip(np.einsum("ij,ij->i", xy[who] - a, ab) / np.maximum(length2, 1e-18), 0.0, 1.0)
        foot = a + t[:, None] * ab
        dist = np.hypot(*(xy[who] - foot).T)
        order = np.lexsort((dist, who))
        first = np.ones(len(order), dtype=bool)
        first[1:] = who[order][1:] != who[order][:-1]
        best = order[first]
        placed = who[best]
        seg[placed] = g.v_seg[start[best]]
        along = g.v_along[start[best]] + t[best] * np.sqrt(length2[best])
        frac[placed] = np.clip(along / g.seg_len_xy[seg[placed]], 0.0, 1.0)
        off[placed] = dist[best]
        on_road[placed] = g.projection.inverse(foot[best])
        return Snaps(seg=seg, frac=frac, off_m=off, lonlat=lonlat, on_road=on_road)

    def _open_ball(self, xy: Floats) -> Ints:
        """The open vertices within (nearest open vertex + spacing/2) of one point."""
        g = self.graph
        tree = g.v_tree
        assert tree is not None  # only called once the graph has vertices
        near = min(SNAP_NEIGHBOURS * 32, len(g.v_xy))
        dist_v, index = tree.query(xy, k=near)
        dist_v, index = np.atleast_1d(dist_v), np.atleast_1d(index)
        is_open = ~self.blocked[g.v_seg[index]]
        if is_open.any():
            radius = dist_v[np.argmax(is_open)] + SNAP_SPACING_M / 2 + 1e-6
            if near == len(g.v_xy) or dist_v[-1] > radius:
                inside: Ints = index[is_open & (dist_v <= radius)]
                return inside
            found = np.asarray(tree.query_ball_point(xy, radius), dtype=np.int64)
            return found[~self.blocked[g.v_seg[found]]]
        ids, open_tree = self._open_vertex_tree()
        r, _ = open_tree.query(xy, k=1)
        ball = np.asarray(open_tree.query_ball_point(xy, r + SNAP_SPACING_M / 2 + 1e-6), dtype=np.int64)
        return ids[ball]

    def _open_vertex_tree(self) -> tuple[Ints, cKDTree]:
        if self._open_tree is None:
            ids = np.flatnonzero(~self.blocked[self.graph.v_seg]).astype(np.int64)
            self._open_tree = (ids, cKDTree(self.graph.v_xy[ids]))
        return self._open_tree

    # --- one search per target -----------------------------------------------------------

    def field_to(self, target: Snaps) -> Field:
        """Every node's time and distance to the target (a single snapped point): one Dijkstra."""
        if len(target) != 1 or target.seg[0] < 0:
            raise ValueError("field_to needs one point placed on the network")
        key = (int(target.seg[0]), round(float(target.frac[0]), 9))
        return self._cached(key, lambda: self._search(target, self._entries_to_point(target)))

    def field_to_edge(self, zone: BaseGeometry, target: Snaps) -> Field | None:
        """Every node's time and distance to the edge of a danger zone (WGS 84 polygon) around the
        target: the nearest place where a road leading into the zone meets its edge. The roads
        into the zone are closed, but their part outside it can still be driven. None when no road
        crosses the edge from outside."""
        entries = self._entries_to_edge(zone)
        if not entries:
            return None
        return self._cached(("edge", zone.wkb), lambda: self._search(target, entries))

    def _cached(self, key: tuple[Any, ...], search: Any) -> Field:
        with self._lock:
            cached = self._fields.get(key)
            if cached is not None:
                self._fields.move_to_end(key)
                return cached
        field: Field = search()
        with self._lock:
            self._fields[key] = field
            while len(self._fields) > FIELD_CACHE:
                self._fields.popitem(last=False)
        return field

    def _entries_to_point(self, target: Snaps) -> dict[int, tuple[float, float, int, float, float]]:
        """Which nodes reach the target's point along its segment, and how:
        node → (seconds, metres, segment, fraction it enters the segment at, fraction it ends at)."""
        g = self.graph
        s, f = int(target.seg[0]), float(target.frac[0])
        u, v = int(g.seg_u[s]), int(g.seg_v[s])
        hops = {u: (max(f * g.seconds[s], MIN_EDGE_S), f * g.length_m[s], s, 0.0, f)}
        if not g.oneway[s]:
            back = (max((1 - f) * g.seconds[s], MIN_EDGE_S), (1 - f) * g.length_m[s], s, 1.0, f)
            if v not in hops or back[0] < hops[v][0]:
                hops[v] = back
        return hops

    def _entries_to_edge(self, zone: BaseGeometry) -> dict[int, tuple[float, float, int, float, float]]:
        """For each road that leads into the zone from a node outside it, that node and the drive
        from it to where the road first meets the zone's edge."""
        g = self.graph
        zone_m = g.projection.to_metric(zone)
        edge = zone_m.boundary
        hops: dict[int, tuple[float, float, int, float, float]] = {}

        def offer(node: int, hop: tuple[float, float, int, float, float]) -> None:
            if node not in hops or hop[0] < hops[node][0]:
                hops[node] = hop

        for s in g.segments_meeting(zone).tolist():
            line = g.lines_m[s]
            crossings = shapely.get_coordinates(line.intersection(edge))
            if not len(crossings):
                continue
            along = shapely.line_locate_point(line, shapely.points(crossings), normalized=True)
            start, end = shapely.get_point(line, 0), shapely.get_point(line, -1)
            if not zone_m.covers(start):
                f = float(along.min())
                offer(int(g.seg_u[s]), (max(f * g.seconds[s], MIN_EDGE_S), f * g.length_m[s], s, 0.0, f))
            if not g.oneway[s] and not zone_m.covers(end):
                f = float(along.max())
                back = (max((1 - f) * g.seconds[s], MIN_EDGE_S), (1 - f) * g.length_m[s], s, 1.0, f)
                offer(int(g.seg_v[s]), back)
        return hops

    def _search(self, target: Snaps, hops: dict[int, tuple[float, float, int, float, float]]) -> Field:
        """One Dijkstra over the reversed graph from a virtual node that `hops` lead into."""
        cols = np.array(sorted(hops), dtype=np.int32)
        data = np.concatenate([self._data, [hops[int(c)][0] for c in cols]])
        indices = np.concatenate([self._indices, cols])
        indptr = self._indptr.copy()
        indptr[-1] += len(cols)
        matrix = csr_matrix((data, indices, indptr), shape=(self.size, self.size))
        seconds, pred = dijkstra(matrix, directed=True, indices=self.target_node, return_predecessors=True)
        next_hop = pred.astype(np.int64)
        metres = self._path_metres(next_hop, {c: hop[1] for c, hop in hops.items()})
        entry = {c: (seg, start, end) for c, (_, _, seg, start, end) in hops.items()}
        return Field(
            target=target,
            seconds=seconds,
            metres=metres,
            next_hop=next_hop,
            entry=entry,
            hops=next_hop.tolist(),
        )

    def _path_metres(self, next_hop: Ints, last_hop_m: dict[int, float]) -> Floats:
        """Metres along each node's path to the target: the hops' lengths summed by pointer doubling."""
        g, t = self.graph, self.target_node
        step = np.zeros(self.size)
        jump = np.where(next_hop < 0, t, next_hop)
        road = np.flatnonzero((next_hop >= 0) & (next_hop != t))
        if len(road):
            pos = np.searchsorted(self.edge_key, road * self.size + next_hop[road])
            step[road] = g.length_m[self.edge_seg[pos]]
        for node, metres in last_hop_m.items():
            if next_hop[node] == t:
                step[node] = metres
        jump[t] = t
        total = step
        while True:
            done = jump == t
            if done.all():
                return total
            total = total + np.where(done, 0.0, total[jump])
            jump = jump[jump]

    # --- many sources to one target ------------------------------------------------------

    def travel(self, field: Field, sources: Snaps, target: Snaps | None = None) -> Travel:
        """Time and distance from each source point to the target (by default the field's own; one
        placed at the same spot of the road may stand for another point), off-road legs included."""
        g = self.graph
        t = field.target if target is None else target
        ts, tf = int(t.seg[0]), float(t.frac[0])
        k = len(sources)
        placed = sources.seg >= 0
        seg = np.where(placed, sources.seg, 0)
        f = sources.frac
        seg_s, seg_m = g.seconds[seg], g.length_m[seg]
        u, v = g.seg_u[seg], g.seg_v[seg]
        # Forward to v, or (two-way only) back to u, then the field's time from there.
        fwd_s = (1 - f) * seg_s + field.seconds[v]
        fwd_m = (1 - f) * seg_m + field.metres[v]
        back_s = np.where(g.oneway[seg], np.inf, f * seg_s + field.seconds[u])
        back_m = f * seg_m + field.metres[u]
        use_back = back_s < fwd_s
        best_s = np.where(use_back, back_s, fwd_s)
        best_m = np.where(use_back, back_m, fwd_m)
        via = np.where(use_back, u, v)
        # On the target's own segment: drive straight along it when the direction allows.
        same = placed & (sources.seg == ts)
        ahead = same & (f <= tf)
        behind = same & (f > tf) & ~g.oneway[ts]
        direct = ahead | behind
        direct_s = np.abs(tf - f) * g.seconds[ts]
        better = direct & (direct_s <= best_s)
        best_s = np.where(better, direct_s, best_s)
        best_m = np.where(better, np.abs(tf - f) * g.length_m[ts], best_m)
        via = np.where(better, -1, via)
        off_speed = OFF_ROAD_KMH / 3.6
        seconds = best_s + sources.off_m / off_speed + t.off_m[0] / off_speed
        metres = best_m + sources.off_m + t.off_m[0]
        reachable = placed & np.isfinite(seconds)
        seconds = np.where(reachable, seconds, np.inf)
        metres = np.where(reachable, metres, np.inf)
        via = np.where(reachable, via, -2)
        return Travel(
            seconds=seconds,
            metres=metres,
            via=via.astype(np.int64) if k else np.empty(0, np.int64),
            backward=use_back & ~better,
        )

    # --- route geometry ------------------------------------------------------------------

    def route(
        self, field: Field, sources: Snaps, travel: Travel, i: int, target: Snaps | None = None
    ) -> dict[str, Any] | None:
        """Source i's route to the target: LineString coordinates and legs (road, seconds, metres)."""
        via = int(travel.via[i])
        if via == -2:
            return None
        g = self.graph
        t = field.target if target is None else target
        tf = float(t.frac[0])
        s, f = int(sources.seg[i]), float(sources.frac[i])
        path = _Path()
        path.off_road(sources.lonlat[i], sources.on_road[i], float(sources.off_m[i]))
        if via == -1:
            path.along(g, s, f, tf)
        else:
            path.along(g, s, f, 0.0 if travel.backward[i] else 1.0)
            nodes, hops, end = [via], field.hops, self.target_node
            while (nxt := hops[nodes[-1]]) != end:
                nodes.append(nxt)
            if len(nodes) > 1:
                a, b = np.array(nodes[:-1]), np.array(nodes[1:])
                segs = self.edge_seg[np.searchsorted(self.edge_key, a * self.size + b)]
                forward = ((g.seg_u[segs] == a) & (g.seg_v[segs] == b)).tolist()
                for seg, fwd in zip(segs.tolist(), forward, strict=True):
                    path.add(
                        g.names[seg],
                        g.seg_coords[seg] if fwd else g.seg_coords[seg][::-1],
                        g.seconds_list[seg],
                        g.length_list[seg],
                        g.id_list[seg],
                    )
            path.along(g, *field.entry[nodes[-1]])
        path.off_road(t.on_road[0], t.lonlat[0], float(t.off_m[0]))
        return path.assemble()


class _Path:
    """A route being put together: pieces of road (or off-road lines) in driving order."""

    def __init__(self) -> None:
        self.coords: list[Floats] = []
        self.legs: list[list[Any]] = []  # [road, off_road?, seconds, metres]
        self.segments: list[int] = []

    def add(
        self, road: str | None, coords: Floats, seconds: float, metres: float, segment: int | None
    ) -> None:
        self.coords.append(coords)
        if segment is not None and (not self.segments or self.segments[-1] != segment):
            self.segments.append(segment)
        off_road = segment is None
        last = self.legs[-1] if self.legs else None
        if last is not None and last[0] == road and last[1] == off_road:
            last[2] += seconds
            last[3] += metres
        else:
            self.legs.append([road, off_road, seconds, metres])

    def off_road(self, a: Floats, b: Floats, metres: float) -> None:
        if metres >= 1.0:
            self.add(None, np.vstack([a, b]), metres / (OFF_ROAD_KMH / 3.6), metres, None)

    def along(self, g: RoadGraph, seg: int, start: float, end: float) -> None:
        """Drive segment `seg` from fraction `start` to `end` (end < start: against drawing direction)."""
        lo, hi = min(start, end), max(start, end)
        if hi - lo <= 0:
            return
        coords = g.seg_coords[seg] if lo == 0.0 and hi == 1.0 else g.part(seg, lo, hi)
        share = hi - lo
        self.add(
            g.names[seg],
            coords[::-1] if end < start else coords,
            share * g.seconds_list[seg],
            share * g.length_list[seg],
            g.id_list[seg],
        )

    def assemble(self) -> dict[str, Any]:
        """One LineString (repeated points dropped) and its legs: consecutive pieces of one road."""
        coords = np.round(np.concatenate(self.coords), 6) if self.coords else np.empty((0, 2))
        if len(coords):
            keep = np.ones(len(coords), dtype=bool)
            keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
            coords = coords[keep]
        line = coords.tolist()
        if len(line) == 1:
            line.append(list(line[0]))
        seconds = sum(leg[2] for leg in self.legs)
        metres = sum(leg[3] for leg in self.legs)
        return {
            "geometry": {"type": "LineString", "coordinates": line},
            "legs": [
                {
                    "road": road,
                    "kind": "off_road" if off_road else "road",
                    "seconds": round(float(secs), 1),
                    "metres": round(float(m), 1),
                }
                for road, off_road, secs, m in self.legs
            ],
            "seconds": round(float(seconds), 1),
            "metres": round(float(metres), 1),
            "segments": self.segments,
        }
