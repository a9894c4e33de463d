// The map: MapLibre GL JS with a style built here from the district's own data (no tiles, no glyphs, no
// network beyond this server). One GeoJSON source per layer; live layers take deltas with `updateData`
// by stable feature id, batched once per animation frame.

import {
  AttributionControl,
  Map as MlMap,
  setWorkerUrl,
  type GeoJSONSource,
  type LayerSpecification,
  type LngLatBoundsLike,
  type MapGeoJSONFeature,
  type MapMouseEvent,
  type StyleSpecification,
} from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";

import {
  DEPOT_COLOUR,
  DRILL_COLOUR,
  GRADE_COLOURS,
  INCIDENT_STATUS_COLOURS,
  RISK_COLOURS,
  ROUTE_COLOUR,
  SENSOR_STATE_COLOURS,
  SHELTER_COLOUR,
  TEAM_STATUS_COLOURS,
  matchColour, ZONE_CONCERN_COLOURS } from "./palette";
import { attribution } from "./attribution";
import { onLangChange } from "./i18n";
import type { BaseLayer, Feature, FeatureCollection, FeatureId, LiveLayer } from "./types";

setWorkerUrl(workerUrl);

export type SourceName = BaseLayer | LiveLayer | "selection" | "preview";

/** The style layers drawn for each switchable layer, bottom to top. */
export const STYLE_LAYERS: Record<BaseLayer | LiveLayer, string[]> = {
  boundary: ["boundary-fill", "boundary-line"],
  water: ["water-fill"],
  park: ["park-fill", "park-line"],
  roads: ["roads-casing", "roads-line"],
  towns: ["towns-circle"],
  closures: ["closures-fill", "closures-line", "closure-zones-fill", "closure-zones-line"],
  "threat-zones": ["threat-zones-fill", "threat-zones-line"],
  warnings: ["warnings-fill", "warnings-line", "warnings-point"],
  "hazard-sources": ["hazard-sources-fill", "hazard-sources-line", "hazard-sources-point"],
  routes: ["routes-casing", "routes-line"],
  shelters: ["shelters-icon"],
  depots: ["depots-icon"],
  sensors: ["sensors-circle"],
  teams: ["teams-circle"],
  incidents: ["incidents-halo", "incidents-circle"],
};

/** Layers a click can select, topmost first. */
const CLICKABLE: (BaseLayer | LiveLayer)[] = [
  "incidents",
  "teams",
  "sensors",
  "depots",
  "shelters",
  "hazard-sources",
  "warnings",
  "routes",
  "closures",
  "threat-zones",
];

const POLYGONAL = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
const POINTS = ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false];
const IN_DRILL = ["!=", ["coalesce", ["get", "exercise_id"], 0], 0];
const NOT_CLEARED = ["!=", ["get", "status"], "cleared"];
const IN_FORCE = ["!=", ["get", "active"], false];
const ZONE = ["==", ["get", "kind"], "danger_zone"];

const empty = (): FeatureCollection => ({ type: "FeatureCollection", features: [] });

function style(): StyleSpecification {
  const sources: StyleSpecification["sources"] = {};
  const names: SourceName[] = [
    "boundary",
    "towns",
    "park",
    "water",
    "roads",
    "teams",
    "depots",
    "hazard-sources",
    "sensors",
    "incidents",
    "warnings",
    "shelters",
    "routes",
    "closures",
    "threat-zones",
    "preview",
    "selection",
  ];
  for (const name of names) {
    sources[name] = { type: "geojson", data: empty() as never, buffer: 32, tolerance: 0.3 };
  }
  const teamColour = matchColour("status", TEAM_STATUS_COLOURS);
  // The risk colour when the source has one, else its grade's colour.
  const hazardColour = matchColour("risk_colour", RISK_COLOURS, matchColour("grade", GRADE_COLOURS));
  const layers = [
    { id: "background", type: "background", paint: { "background-color": "#0b1220" } },
    {
      id: "boundary-fill",
      type: "fill",
      source: "boundary",
      paint: { "fill-color": "#162033", "fill-opacity": 1 },
    },
    { id: "water-fill", type: "fill", source: "water", paint: { "fill-color": "#123a5a" } },
    {
      id: "park-fill",
      type: "fill",
      source: "park",
      paint: { "fill-color": "#3a2a17", "fill-opacity": 0.85 },
    },
    {
      id: "park-line",
      type: "line",
      source: "park",
      paint: { "line-color": "#d97706", "line-width": 1.5, "line-dasharray": [3, 2] },
    },
    {
      id: "boundary-line",
      type: "line",
      source: "boundary",
      paint: { "line-color": "#7dd3fc", "line-width": 2, "line-opacity": 0.8 },
    },
    {
      id: "roads-casing",
      type: "line",
      source: "roads",
      layout: { "line-cap": "round", "line-join": "round" },
      paint: {
        "line-color": "#0b1220",
        "line-width": ["interpolate", ["linear"], ["zoom"], 9, 2, 14, 9],
      },
    },
    {
      id: "roads-line",
      type: "line",
      source: "roads",
      layout: { "line-cap": "round", "line-join": "round" },
      paint: {
        "line-color": [
          "match",
          ["get", "road_class"],
          ["motorway", "trunk"],
          "#f8b84e",
          ["primary", "secondary"],
          "#cbd5e1",
          "#64748b",
        ],
        "line-width": [
          "interpolate",
          ["linear"],
          ["zoom"],
          9,
          ["match", ["get", "road_class"], ["motorway", "trunk"], 1.6, ["primary", "secondary"], 1.1, 0.6],
          14,
          ["match", ["get", "road_class"], ["motorway", "trunk"], 6, ["primary", "secondary"], 4, 2],
        ],
      },
    },
    {
      id: "towns-circle",
      type: "circle",
      source: "towns",
      paint: {
        "circle-radius": 3,
        "circle-color": "#e2e8f0",
        "circle-stroke-color": "#0b1220",
        "circle-stroke-width": 1,
      },
    },
    {
      id: "closures-fill",
      type: "fill",
      source: "closures",
      filter: ["all", POLYGONAL, IN_FORCE, ["!", ZONE]],
      paint: { "fill-color": "#f97316", "fill-opacity": 0.18 },
    },
    {
      id: "closures-line",
      type: "line",
      source: "closures",
      filter: ["all", IN_FORCE, ["!", ZONE]],
      paint: { "line-color": "#ef4444", "line-width": 4, "line-dasharray": [1, 1] },
    },
    {
      id: "closure-zones-fill",
      type: "fill",
      source: "closures",
      filter: ["all", POLYGONAL, IN_FORCE, ZONE],
      paint: { "fill-color": "#ef4444", "fill-opacity": 0.25 },
    },
    {
      id: "closure-zones-line",
      type: "line",
      source: "closures",
      filter: ["all", POLYGONAL, IN_FORCE, ZONE],
      paint: { "line-color": "#ef4444", "line-width": 2, "line-dasharray": [2, 1] },
    },
    {
      // Widest (mildest) first in the data is not guaranteed: a low opacity keeps nested zones legible.
      id: "threat-zones-fill",
      type: "fill",
      source: "threat-zones",
      filter: ["all", POLYGONAL, NOT_CLEARED],
      paint: { "fill-color": matchColour("concern", ZONE_CONCERN_COLOURS), "fill-opacity": 0.16 },
    },
    {
      id: "threat-zones-line",
      type: "line",
      source: "threat-zones",
      filter: ["all", POLYGONAL, NOT_CLEARED],
      paint: { "line-color": matchColour("concern", ZONE_CONCERN_COLOURS), "line-width": 2 },
    },
    {
      id: "warnings-fill",
      type: "fill",
      source: "warnings",
      filter: ["all", POLYGONAL, NOT_CLEARED],
      paint: { "fill-color": matchColour("level", RISK_COLOURS), "fill-opacity": 0.18 },
    },
    {
      id: "warnings-line",
      type: "line",
      source: "warnings",
      filter: ["all", POLYGONAL, NOT_CLEARED],
      paint: {
        "line-color": matchColour("level", RISK_COLOURS),
        "line-width": ["match", ["get", "status"], "active", 3, 1.5],
      },
    },
    {
      id: "warnings-point",
      type: "circle",
      source: "warnings",
      filter: ["all", POINTS, NOT_CLEARED],
      paint: {
        "circle-radius": ["match", ["get", "status"], "active", 22, 16],
        "circle-color": matchColour("level", RISK_COLOURS),
        "circle-opacity": 0.22,
        "circle-stroke-color": matchColour("level", RISK_COLOURS),
        "circle-stroke-width": ["match", ["get", "status"], "active", 3, 1.5],
      },
    },
    {
      id: "hazard-sources-fill",
      type: "fill",
      source: "hazard-sources",
      filter: POLYGONAL,
      paint: { "fill-color": hazardColour, "fill-opacity": 0.45 },
    },
    {
      id: "hazard-sources-line",
      type: "line",
      source: "hazard-sources",
      filter: POLYGONAL,
      paint: { "line-color": hazardColour, "line-width": 2 },
    },
    {
      id: "hazard-sources-point",
      type: "circle",
      source: "hazard-sources",
      filter: POINTS,
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 9, 5, 14, 10],
        "circle-color": hazardColour,
        "circle-opacity": 0.85,
        "circle-stroke-color": "#0b1220",
        "circle-stroke-width": 2,
      },
    },
    {
      id: "routes-casing",
      type: "line",
      source: "routes",
      filter: IN_FORCE,
      layout: { "line-cap": "round", "line-join": "round" },
      paint: { "line-color": "#0b1220", "line-width": 7, "line-opacity": 0.8 },
    },
    {
      id: "routes-line",
      type: "line",
      source: "routes",
      filter: IN_FORCE,
      layout: { "line-cap": "round", "line-join": "round" },
      paint: {
        "line-color": matchColour("status", TEAM_STATUS_COLOURS, ROUTE_COLOUR),
        "line-width": 4,
      },
    },
    {
      id: "preview-casing",
      type: "line",
      source: "preview",
      layout: { "line-cap": "round", "line-join": "round" },
      paint: { "line-color": "#0b1220", "line-width": ["match", ["get", "kind"], "assigned", 9, 6], "line-opacity": 0.8 },
    },
    {
      id: "preview-line",
      type: "line",
      source: "preview",
      layout: { "line-cap": "round", "line-join": "round" },
      paint: {
        "line-color": ["match", ["get", "kind"], "assigned", ROUTE_COLOUR, "#a5b4fc"],
        "line-width": ["match", ["get", "kind"], "assigned", 5, 3],
        "line-dasharray": ["match", ["get", "kind"], "assigned", ["literal", [1, 0]], ["literal", [2, 1.5]]],
      },
    },
    {
      id: "shelters-icon",
      type: "symbol",
      source: "shelters",
      layout: { "icon-image": "shelter", "icon-allow-overlap": true, "icon-size": 0.5 },
    },
    {
      id: "depots-icon",
      type: "symbol",
      source: "depots",
      layout: { "icon-image": "depot", "icon-allow-overlap": true, "icon-size": 0.5 },
    },
    {
      id: "sensors-circle",
      type: "circle",
      source: "sensors",
      paint: {
        "circle-radius": [
          "interpolate",
          ["linear"],
          ["zoom"],
          10,
          ["match", ["get", "state"], ["alarm_1", "alarm_2"], 6, 3],
          16,
          ["match", ["get", "state"], ["alarm_1", "alarm_2"], 10, 6],
        ],
        "circle-color": matchColour("state", SENSOR_STATE_COLOURS),
        "circle-stroke-color": ["match", ["get", "state"], ["alarm_1", "alarm_2"], "#ffffff", "#0b1220"],
        "circle-stroke-width": ["match", ["get", "state"], ["alarm_1", "alarm_2"], 2, 1],
      },
    },
    {
      id: "teams-circle",
      type: "circle",
      source: "teams",
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 9, 4, 14, 8],
        "circle-color": teamColour,
        "circle-stroke-color": ["case", IN_DRILL, DRILL_COLOUR, "#0b1220"],
        "circle-stroke-width": ["case", IN_DRILL, 2.5, 1.5],
      },
    },
    {
      id: "incidents-halo",
      type: "circle",
      source: "incidents",
      filter: ["!=", ["get", "status"], "closed"],
      paint: {
        "circle-radius": 18,
        "circle-color": ["case", IN_DRILL, DRILL_COLOUR, "#ff3b3b"],
        "circle-opacity": 0.25,
        "circle-blur": 0.4,
      },
    },
    {
      id: "incidents-circle",
      type: "circle",
      source: "incidents",
      paint: {
        "circle-radius": 9,
        "circle-color": matchColour("status", INCIDENT_STATUS_COLOURS),
        "circle-stroke-color": ["case", IN_DRILL, DRILL_COLOUR, "#ffffff"],
        "circle-stroke-width": 3,
      },
    },
    {
      id: "selection-ring",
      type: "circle",
      source: "selection",
      filter: POINTS,
      paint: {
        "circle-radius": 16,
        "circle-color": "rgba(0,0,0,0)",
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 3,
      },
    },
    {
      id: "selection-line",
      type: "line",
      source: "selection",
      filter: ["!", POINTS],
      paint: { "line-color": "#ffffff", "line-width": 3 },
    },
  ];
  return { version: 8, sources, layers: layers as LayerSpecification[] };
}

/** Icons drawn on a canvas at start-up: nothing to fetch. */
function icon(draw: (ctx: CanvasRenderingContext2D, size: number) => void, size = 36): ImageData {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d")!;
  draw(ctx, size);
  return ctx.getImageData(0, 0, size, size);
}

function depotIcon(): ImageData {
  return icon((ctx, s) => {
    ctx.fillStyle = "#0b1220";
    ctx.fillRect(2, 2, s - 4, s - 4);
    ctx.fillStyle = DEPOT_COLOUR;
    ctx.fillRect(6, 6, s - 12, s - 12);
    ctx.fillStyle = "#0b1220";
    ctx.fillRect(s / 2 - 2, 9, 4, s - 18);
    ctx.fillRect(9, s / 2 - 2, s - 18, 4);
  });
}

function shelterIcon(): ImageData {
  return icon((ctx, s) => {
    ctx.beginPath();
    ctx.moveTo(s / 2, 2);
    ctx.lineTo(s - 2, s - 3);
    ctx.lineTo(2, s - 3);
    ctx.closePath();
    ctx.fillStyle = "#0b1220";
    ctx.fill();
    ctx.beginPath();
    ctx.moveTo(s / 2, 8);
    ctx.lineTo(s - 8, s - 7);
    ctx.lineTo(8, s - 7);
    ctx.closePath();
    ctx.fillStyle = SHELTER_COLOUR;
    ctx.fill();
  });
}

export interface MapCallbacks {
  onFeatureClick: (layer: LiveLayer | BaseLayer, feature: MapGeoJSONFeature, lngLat: [number, number]) => void;
  onEmptyClick: (lngLat: [number, number]) => void;
  onHover?: (text: string | null, point: { x: number; y: number }) => void;
  describe?: (layer: LiveLayer | BaseLayer, feature: MapGeoJSONFeature) => string | null;
}

export class MapView {
  readonly map: MlMap;
  readonly ready: Promise<void>;
  /** Map redraws so far: the benchmark divides these by time. */
  renders = 0;
  private pending = new Map<LiveLayer, { upserts: Map<FeatureId, Feature>; removes: Set<FeatureId> }>();
  private resets = new Map<LiveLayer, () => Feature[]>();
  private frame: number | null = null;
  private loaded = false;
  private layerOfStyle = new Map<string, BaseLayer | LiveLayer>();

  constructor(container: HTMLElement, private readonly callbacks: MapCallbacks) {
    for (const [layer, ids] of Object.entries(STYLE_LAYERS)) {
      for (const id of ids) this.layerOfStyle.set(id, layer as BaseLayer | LiveLayer);
    }
    this.map = new MlMap({
      container,
      style: style(),
      center: [118.86, 25.16],
      zoom: 10.5,
      attributionControl: false,
      fadeDuration: 0,
      maxPitch: 0,
      dragRotate: false,
      canvasContextAttributes: { antialias: false },
    });
    this.map.touchZoomRotate.disableRotation();
    this.credit();
    onLangChange(() => this.credit());
    this.map.on("render", () => {
      this.renders++;
    });
    this.ready = new Promise((resolve) => {
      this.map.once("load", () => {
        this.map.addImage("depot", depotIcon(), { pixelRatio: 1 });
        this.map.addImage("shelter", shelterIcon(), { pixelRatio: 1 });
        this.loaded = true;
        resolve();
        if (this.resets.size || this.pending.size || this.bases.size) this.schedule();
      });
    });
    this.map.on("click", (e) => this.click(e));
    this.map.on("mousemove", (e) => this.hover(e));
  }

  fit(bbox: [number, number, number, number], animate = false): void {
    const bounds: LngLatBoundsLike = [
      [bbox[0], bbox[1]],
      [bbox[2], bbox[3]],
    ];
    this.map.fitBounds(bounds, { padding: 24, animate });
  }

  setBase(layer: BaseLayer, data: FeatureCollection): void {
    this.bases.set(layer, data);
    if (layer === "roads") this.credit();
    this.schedule();
  }

  private attributionControl: AttributionControl | null = null;

  /** Credit the data on the map: OpenStreetMap only when its roads are shown. */
  private credit(): void {
    if (this.attributionControl) this.map.removeControl(this.attributionControl);
    this.attributionControl = new AttributionControl({
      compact: true,
      customAttribution: attribution(this.bases.get("roads")?.features ?? []),
    });
    this.map.addControl(this.attributionControl);
  }

  private bases = new Map<BaseLayer, FeatureCollection>();

  /** Replace a live layer on the next frame with what `all()` returns then. */
  reset(layer: LiveLayer, all: () => Feature[]): void {
    this.resets.set(layer, all);
    this.pending.delete(layer);
    this.schedule();
  }

  upsert(layer: LiveLayer, feature: Feature): void {
    if (this.resets.has(layer) || feature.id === undefined) {
      this.schedule();
      return;
    }
    const batch = this.batch(layer);
    batch.removes.delete(feature.id);
    batch.upserts.set(feature.id, feature);
    this.schedule();
  }

  remove(layer: LiveLayer, id: FeatureId): void {
    if (this.resets.has(layer)) return;
    const batch = this.batch(layer);
    batch.upserts.delete(id);
    batch.removes.add(id);
    this.schedule();
  }

  /** Draw the selected feature's outline (or nothing). */
  select(feature: Feature | null): void {
    if (!this.loaded) return;
    this.source("selection")?.setData({
      type: "FeatureCollection",
      features: feature && feature.geometry ? [{ ...feature, id: 1 }] : [],
    } as never);
  }

  /** Routes of the selected incident: recommended (dashed) and assigned (solid). */
  /** Routes drawn by setPreview, for the tests. */
  previewed = 0;

  setPreview(features: Feature[]): void {
    this.previewed = features.length;
    if (!this.loaded) return;
    this.source("preview")?.setData({ type: "FeatureCollection", features } as never);
  }

  setVisible(layer: BaseLayer | LiveLayer, visible: boolean): void {
    if (!this.loaded) {
      void this.ready.then(() => this.setVisible(layer, visible));
      return;
    }
    for (const id of (STYLE_LAYERS[layer] ?? [])) {
      if (this.map.getLayer(id)) this.map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
    }
  }

  /** Distinct features of a layer drawn in the current view (what the tests and the benchmark check). */
  rendered(layer: BaseLayer | LiveLayer): number {
    const ids = (STYLE_LAYERS[layer] ?? []).filter((id) => this.map.getLayer(id));
    if (ids.length === 0) return 0;
    const seen = new Set<unknown>();
    for (const f of this.map.queryRenderedFeatures({ layers: ids })) {
      seen.add(f.id ?? JSON.stringify(f.geometry));
    }
    return seen.size;
  }

  /** Ids of the features of a layer drawn within `radius` px of a place. */
  renderedAt(layer: BaseLayer | LiveLayer, lngLat: [number, number], radius = 6): FeatureId[] {
    const p = this.map.project(lngLat);
    const ids = (STYLE_LAYERS[layer] ?? []).filter((id) => this.map.getLayer(id));
    return this.map
      .queryRenderedFeatures(
        [
          [p.x - radius, p.y - radius],
          [p.x + radius, p.y + radius],
        ],
        { layers: ids },
      )
      .map((f) => f.id as FeatureId);
  }

  private source(name: SourceName): GeoJSONSource | undefined {
    return this.map.getSource<GeoJSONSource>(name);
  }

  private batch(layer: LiveLayer) {
    let batch = this.pending.get(layer);
    if (!batch) {
      batch = { upserts: new Map(), removes: new Set() };
      this.pending.set(layer, batch);
    }
    return batch;
  }

  private schedule(): void {
    if (this.frame !== null || !this.loaded) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.flush();
    });
  }

  private flush(): void {
    for (const [layer, data] of this.bases) this.source(layer)?.setData(data as never);
    this.bases.clear();
    for (const [layer, all] of this.resets) {
      this.source(layer)?.setData({ type: "FeatureCollection", features: all() } as never);
    }
    this.resets.clear();
    for (const [layer, batch] of this.pending) {
      const source = this.source(layer);
      if (!source) continue;
      const diff: { add?: Feature[]; remove?: FeatureId[] } = {};
      if (batch.upserts.size) diff.add = [...batch.upserts.values()];
      if (batch.removes.size) diff.remove = [...batch.removes];
      void source.updateData(diff as never);
    }
    this.pending.clear();
  }

  private hit(e: MapMouseEvent): { layer: BaseLayer | LiveLayer; feature: MapGeoJSONFeature } | null {
    const box: [[number, number], [number, number]] = [
      [e.point.x - 5, e.point.y - 5],
      [e.point.x + 5, e.point.y + 5],
    ];
    const styleIds = CLICKABLE.flatMap((l) => STYLE_LAYERS[l] ?? []).filter((id) => this.map.getLayer(id));
    const found = this.map.queryRenderedFeatures(box, { layers: styleIds });
    // queryRenderedFeatures lists the topmost first; prefer points over areas under them.
    for (const layer of CLICKABLE) {
      const f = found.find((x) => this.layerOfStyle.get(x.layer.id) === layer);
      if (f) return { layer, feature: f };
    }
    return null;
  }

  private click(e: MapMouseEvent): void {
    const hit = this.hit(e);
    const at: [number, number] = [e.lngLat.lng, e.lngLat.lat];
    if (hit) this.callbacks.onFeatureClick(hit.layer, hit.feature, at);
    else this.callbacks.onEmptyClick(at);
  }

  private hover(e: MapMouseEvent): void {
    const hit = this.hit(e);
    this.map.getCanvas().style.cursor = hit ? "pointer" : "";
    if (this.callbacks.onHover) {
      const text = hit && this.callbacks.describe ? this.callbacks.describe(hit.layer, hit.feature) : null;
      this.callbacks.onHover(text, e.point);
    }
  }
}
