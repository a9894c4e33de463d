import { describe, expect, it } from "vitest";

import { LiveStore, type Change } from "../src/store";
import type { EventMessage, Feature, LayerInfo } from "../src/types";

// The live layers as GET /api/v1/layers lists them (the ones these tests use).
const layer = (name: string, entity_type: string): LayerInfo => ({
  name,
  entity_type,
  title: { "zh-CN": name, en: name },
  geometry: "Point",
  path: name,
  drills: false,
  legend: null,
});
const LAYERS = [layer("teams", "team"), layer("incidents", "incident"), layer("depots", "depot"), layer("routes", "assignment")];

const team = (id: number, version: number, lon = 118.9, status = "available", extra: Record<string, unknown> = {}): Feature => ({
  type: "Feature",
  id,
  geometry: { type: "Point", coordinates: [lon, 25.1] },
  properties: { id, name: `team ${id}`, status, version, ...extra },
});

const teamEvent = (id: number, feature: Feature, extra: Partial<EventMessage> = {}): EventMessage => ({
  type: "event",
  id,
  event: "team.updated",
  entity_type: "team",
  entity_id: Number(feature.id),
  payload: { feature },
  ...extra,
});

const snapshot = (id: number, teams: Feature[]) => ({
  type: "snapshot" as const,
  id,
  reason: "connect",
  layers: { teams: { type: "FeatureCollection" as const, features: teams }, incidents: { type: "FeatureCollection" as const, features: [] } },
});

describe("LiveStore", () => {
  it("fills layers from a snapshot and upserts an event's feature by id", () => {
    const store = new LiveStore({ layers: LAYERS });
    store.apply(snapshot(10, [team(1, 1), team(2, 1)]));
    expect(store.count("teams")).toBe(2);
    expect(store.lastEventId).toBe(10);
    const changes = store.apply(teamEvent(11, team(2, 2, 119.0, "dispatched")));
    expect(store.count("teams")).toBe(2);
    expect(store.get("teams", 2)?.properties["status"]).toBe("dispatched");
    expect(store.get("teams", 2)?.geometry).toEqual({ type: "Point", coordinates: [119.0, 25.1] });
    const upsert = changes.find((c) => c.kind === "upsert");
    expect(upsert && upsert.kind === "upsert" && upsert.previous?.properties["version"]).toBe(1);
    expect(store.lastEventId).toBe(11);
  });

  it("adds a feature it did not have (a new incident)", () => {
    const store = new LiveStore({ layers: LAYERS });
    store.apply(snapshot(1, []));
    store.apply({
      type: "event",
      id: 2,
      event: "incident.created",
      entity_type: "incident",
      entity_id: 5,
      payload: { feature: { type: "Feature", id: 5, geometry: { type: "Point", coordinates: [1, 2] }, properties: { version: 1, status: "reported" } } },
    });
    expect(store.get("incidents", 5)?.properties["status"]).toBe("reported");
  });

  it("applies an event once: a replayed id changes nothing", () => {
    const store = new LiveStore({ layers: LAYERS });
    store.apply(snapshot(10, [team(1, 1)]));
    store.apply(teamEvent(11, team(1, 2, 118.95)));
    const again = store.apply(teamEvent(11, team(1, 2, 118.95)));
    expect(again).toEqual([]);
    expect(store.recent).toHaveLength(1);
  });

  it("never lets an older copy of a feature replace a newer one", () => {
    const store = new LiveStore({ layers: LAYERS });
    store.apply(snapshot(10, [team(1, 5, 118.99)]));
    store.upsert("teams", team(1, 4, 118.5));
    expect(store.get("teams", 1)?.geometry).toEqual({ type: "Point", coordinates: [118.99, 25.1] });
    // The same version (a position report that does not bump it) still moves the team.
    store.apply(teamEvent(11, team(1, 5, 118.7)));
    expect(store.get("teams", 1)?.geometry).toEqual({ type: "Point", coordinates: [118.7, 25.1] });
  });

  it("keeps a drill's events out of the live picture, and shows them in that drill's", () => {
    const live = new LiveStore({ layers: LAYERS });
    const drill = new LiveStore({ exerciseId: 3, layers: LAYERS });
    const other = teamEvent(5, team(9, 1, 118.9, "available", { exercise_id: 4 }), { exercise_id: 4 });
    const mine = teamEvent(6, team(8, 1, 118.9, "available", { exercise_id: 3 }), { exercise_id: 3 });
    for (const store of [live, drill]) {
      store.apply(snapshot(1, []));
      store.apply(other);
      store.apply(mine);
    }
    expect(live.count("teams")).toBe(0);
    expect(drill.count("teams")).toBe(1);
    expect(drill.get("teams", 8)).toBeDefined();
    expect(live.lastEventId).toBe(6);
  });

  it("replaces a layer on a resync snapshot, dropping what the server no longer has", () => {
    const store = new LiveStore({ layers: LAYERS });
    store.apply(snapshot(1, [team(1, 1), team(2, 1)]));
    store.apply({ ...snapshot(50, [team(2, 3)]), reason: "overflow" });
    expect(store.features("teams").map((f) => f.id)).toEqual([2]);
    expect(store.lastEventId).toBe(50);
  });

  it("removes a feature on a deletion event", () => {
    const store = new LiveStore({ layers: LAYERS });
    store.apply(snapshot(1, [team(1, 1), team(2, 1)]));
    store.apply({ type: "event", id: 2, event: "team.deleted", entity_type: "team", entity_id: 1, payload: {} });
    expect(store.count("teams")).toBe(1);
  });

  it("announces every accepted event, including those of entities without a layer", () => {
    const store = new LiveStore({ layers: LAYERS });
    const seen: Change[][] = [];
    store.subscribe((c) => seen.push(c));
    store.apply(snapshot(1, []));
    store.apply({ type: "event", id: 2, event: "assignment.created", entity_type: "assignment", entity_id: 7, payload: { incident_id: 3 } });
    const last = seen[seen.length - 1]!;
    expect(last).toHaveLength(1);
    expect(last[0]!.kind).toBe("event");
  });

  it("keeps what the stream changed while an HTTP page of the layer was on its way", () => {
    const store = new LiveStore({ layers: LAYERS });
    const route = (id: number, version: number, status: string): Feature => ({
      type: "Feature",
      id,
      geometry: null,
      properties: { id, version, status },
    });
    store.replaceLayer("routes", { type: "FeatureCollection", features: [route(1, 1, "dispatched"), route(2, 1, "dispatched")] });
    const started = store.sequence;
    // While GET /assignments is answered: route 1 moves on, route 3 is created.
    store.apply({ type: "event", id: 10, event: "assignment.updated", entity_type: "assignment", entity_id: 1, payload: { feature: route(1, 2, "en_route") } });
    store.apply({ type: "event", id: 11, event: "assignment.created", entity_type: "assignment", entity_id: 3, payload: { feature: route(3, 1, "dispatched") } });
    // The answer reflects the moment before both events, and route 2 has ended since the last page.
    store.replaceLayer("routes", { type: "FeatureCollection", features: [route(1, 1, "dispatched")] }, started);
    expect(store.get("routes", 1)?.properties["status"]).toBe("en_route");
    expect(store.get("routes", 3)).toBeDefined();
    expect(store.get("routes", 2)).toBeUndefined();
  });

  it("takes the feature id from properties.id when the feature has none", () => {
    const store = new LiveStore({ layers: LAYERS });
    store.replaceLayer("depots", {
      type: "FeatureCollection",
      features: [{ type: "Feature", geometry: null, properties: { id: 12, version: 1 } }],
    });
    expect(store.get("depots", 12)?.id).toBe(12);
  });

  it("follows heartbeats and resumes so its last event id stays current", () => {
    const store = new LiveStore({ layers: LAYERS });
    store.apply(snapshot(3, []));
    store.apply({ type: "heartbeat", id: 9 });
    expect(store.lastEventId).toBe(9);
    store.apply({ type: "resumed", id: 9 });
    expect(store.lastEventId).toBe(9);
  });
});
