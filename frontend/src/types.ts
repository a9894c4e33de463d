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

/** A live layer's name (GET /api/v1/layers lists them): one GeoJSON source on the map, fed by the stream. */
export type LiveLayer = string;

/** One live layer as the server lists it (GET /api/v1/layers). */
export interface LayerInfo {
  name: LiveLayer;
  /** The `entity_type` of the events that update it. */
  entity_type: string;
  title: Record<string, string>;
  geometry: string;
  /** Its paged GeoJSON layer, under /api/v1. */
  path: string;
  /** A drill has its own features on it (fetched with exercise_id). */
  drills: boolean;
  legend: { property: string; values: string[] } | null;
}

/** The live layers the demo district fills: what "all demo layers drawn" waits for. */
export const DEMO_LIVE_LAYERS: LiveLayer[] = ["teams", "depots", "hazard-sources", "sensors", "shelters"];

/** Base layers, fetched once over HTTP. */
export const BASE_LAYERS = ["boundary", "towns", "park", "water", "roads"] as const;
export type BaseLayer = (typeof BASE_LAYERS)[number];

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
