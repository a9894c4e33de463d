// The shapes the API and the live stream speak (see /api/v1 and the README's stream section).

export type FeatureId = number | string;

export interface Geometry {
  type: string;
  coordinates?: unknown;
  geometries?: Geometry[];
}

export interface Feature {
  type: "Feature";
  id?: FeatureId;
  geometry: Geometry | null;
  properties: Record<string, unknown>;
}

export interface FeatureCollection {
  type: "FeatureCollection";
  features: Feature[];
  numberMatched?: number;
  links?: { rel: string; href: string }[];
}

/** Live layers: each is one GeoJSON source on the map, fed by the stream. */
export const LIVE_LAYERS = [
  "teams",
  "depots",
  "hazard-sources",
  "sensors",
  "incidents",
  "warnings",
  "shelters",
  "routes",
  "danger-zones",
  "closures",
] as const;
export type LiveLayer = (typeof LIVE_LAYERS)[number];

/** The live layers the demo district fills: what "all demo layers drawn" waits for. */
export const DEMO_LIVE_LAYERS: LiveLayer[] = ["teams", "depots", "hazard-sources", "sensors", "shelters"];

/** Base layers, fetched once over HTTP. */
export const BASE_LAYERS = ["boundary", "towns", "park", "water", "roads"] as const;
export type BaseLayer = (typeof BASE_LAYERS)[number];

/** Event entity types ↔ live layers (the stream protocol's table; routes etc. as the dispatch work names them). */
export const LAYER_OF_ENTITY: Record<string, LiveLayer> = {
  team: "teams",
  depot: "depots",
  hazard_source: "hazard-sources",
  sensor: "sensors",
  incident: "incidents",
  warning: "warnings",
  shelter: "shelters",
  route: "routes",
  assignment: "routes",
  danger_zone: "danger-zones",
  closure: "closures",
  road_closure: "closures",
};

export interface SnapshotMessage {
  type: "snapshot";
  id: number | null;
  reason?: "connect" | "expired" | "overflow" | string;
  layers: Record<string, FeatureCollection>;
}

export interface ResumedMessage {
  type: "resumed";
  id: number;
}

export interface EventMessage {
  type: "event";
  id: number;
  at?: string;
  event: string;
  entity_type: string;
  entity_id: number | null;
  actor?: string | null;
  exercise_id?: number | null;
  payload: { feature?: Feature; [key: string]: unknown };
}

export interface HeartbeatMessage {
  type: "heartbeat";
  id: number | null;
  at?: string;
}

export type ServerMessage = SnapshotMessage | ResumedMessage | EventMessage | HeartbeatMessage;
