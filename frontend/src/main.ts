// The dashboard's start: build the map and panels, load the base map over HTTP, then keep the live
// layers current from the websocket stream (falling back to polling the REST layers while it is down).

import "./style.css";

import { Marker, type MapGeoJSONFeature } from "maplibre-gl";

import { API, fetchLayer, get } from "./api";
import { describeError, makeToaster, type App } from "./app";
import { byId, fill, h, num } from "./dom";
import { LANG_STORAGE_KEY, getLang, initialLang, label, onLangChange, setLang, t } from "./i18n";
import { MapView } from "./map";
import { LiveStore } from "./store";
import { StreamClient, streamUrl, type ConnectionInfo, type ConnectionState } from "./stream";
import {
  BASE_LAYERS,
  DEMO_LIVE_LAYERS,
  type BaseLayer,
  type Feature,
  type FeatureCollection,
  type FeatureId,
  type LayerInfo,
  type LiveLayer,
  type ServerMessage,
} from "./types";
import { DetailsPanel } from "./ui/details";
import { WarningFeed } from "./ui/feed";
import { IncidentPanel } from "./ui/incidents";
import { LayerPanel } from "./ui/layers";
import { simulatedBadge } from "./ui/simulated";

const POLL_MS = 5000;
const LAYERS_RETRY_MS = 2000;

/** The live layers the server serves (GET /api/v1/layers): the stream, the polling and the panel follow it. */
let liveLayers: LayerInfo[] = [];

const storage: Storage | null = (() => {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
})();

const params = new URLSearchParams(location.search);
const exerciseId = Number.parseInt(params.get("exercise") ?? params.get("exercise_id") ?? "", 10) || null;
setLang(initialLang(location.search, storage?.getItem(LANG_STORAGE_KEY) ?? null));

const timings: Record<string, number> = {};
const mark = (name: string) => {
  if (!(name in timings)) timings[name] = Math.round(performance.now());
};

const store = new LiveStore({ exerciseId });
const toast = makeToaster(byId("toasts"));
const tooltip = byId("tooltip");
const operatorInput = byId<HTMLInputElement>("operator");
operatorInput.value = storage?.getItem("commandpost.operator") ?? "";
operatorInput.addEventListener("change", () => {
  try {
    storage?.setItem("commandpost.operator", operatorInput.value.trim());
  } catch {
    /* not remembered */
  }
});

let details: DetailsPanel;
let incidents: IncidentPanel;
let selectedIncident: FeatureId | null = null;
const selectListeners: ((id: FeatureId | null) => void)[] = [];

function describe(layer: LiveLayer | BaseLayer, feature: MapGeoJSONFeature): string | null {
  const live = feature.id !== undefined ? store.get(layer as LiveLayer, feature.id) : undefined;
  const p = live?.properties ?? feature.properties ?? {};
  const name = String(p["name"] ?? p["title"] ?? p["ref"] ?? "");
  const state =
    layer === "teams"
      ? label("team_status", p["status"])
      : layer === "sensors"
        ? label("sensor_state", p["state"])
        : layer === "incidents"
          ? label("incident_status", p["status"])
          : layer === "warnings"
            ? label("warning_level", p["level"])
            : layer === "hazard-sources"
              ? label("hazard_grade", p["grade"])
              : "";
  return [t(`layer.${layer}`), name, state].filter(Boolean).join(" · ");
}

const map = new MapView(byId("map"), {
  onFeatureClick: (layer, feature, lngLat) => {
    if (incidents.createMode) {
      incidents.placeAt(lngLat);
      return;
    }
    if (layer === "incidents" && feature.id !== undefined) app.selectIncident(feature.id);
    if (feature.id !== undefined) app.showDetails(layer, feature.id, feature.properties ?? {});
  },
  onEmptyClick: (lngLat) => {
    if (incidents.createMode) incidents.placeAt(lngLat);
    else details.close();
  },
  onHover: (text, point) => {
    tooltip.hidden = !text;
    if (text) {
      tooltip.textContent = text;
      tooltip.style.transform = `translate(${point.x + 14}px, ${point.y + 14}px)`;
    }
  },
  describe,
});

const app: App = {
  store,
  map,
  exerciseId,
  operator: () => operatorInput.value.trim() || t("operator.default"),
  toast,
  fail: (error) => toast(describeError(error), "error"),
  selectIncident: (id) => {
    selectedIncident = id;
    incidents.select(id);
    for (const fn of selectListeners) fn(id);
  },
  selectedIncident: () => selectedIncident,
  showDetails: (layer, id, properties) => details.show(layer, id, properties),
  flyTo: (lngLat, zoom) => map.map.flyTo({ center: lngLat, zoom: Math.max(map.map.getZoom(), zoom ?? 12.5), speed: 1.6 }),
  onSelect: (fn) => selectListeners.push(fn),
};

details = new DetailsPanel(byId("details"), app);
incidents = new IncidentPanel(byId("incidents"), app, byId<HTMLButtonElement>("new-incident"));
new WarningFeed(byId("feed"), byId("feed-badge"), byId("red-alert"), app);
void simulatedBadge(byId("simulated"));
const layerPanel = new LayerPanel(byId("layers"), app, storage);

// --- the map follows the store --------------------------------------------------------------

store.subscribe((changes) => {
  for (const c of changes) {
    if (c.kind === "reset") map.reset(c.layer, () => store.features(c.layer));
    else if (c.kind === "upsert") map.upsert(c.layer, c.feature);
    else if (c.kind === "remove") map.remove(c.layer, c.id);
    else if (c.kind === "event" && c.event.entity_type === "road_layer") void loadBase("roads");
  }
  scheduleStats();
});

// --- header: title, drill banner, counts, connection, clock, language ------------------------

const conn = byId("conn");
let connState: ConnectionState = "connecting";
let connInfo: ConnectionInfo = { attempt: 0, everLive: false, lastId: null };
let polling: ReturnType<typeof setInterval> | null = null;

function renderConnection(): void {
  const state = polling && connState !== "live" ? "polling" : connState;
  conn.dataset["state"] = state;
  const parts = [t(`conn.${state}`)];
  if (state === "live" && store.lastEventId !== null) parts.push(t("conn.last_event", { id: store.lastEventId }));
  if (state === "reconnecting" && connInfo.retryInMs !== undefined) parts.push(t("conn.retry_in", { s: Math.ceil(connInfo.retryInMs / 1000) }));
  fill(conn, h("span", { class: "conn-dot" }), parts.join(" · "));
  conn.title = parts.join(" · ");
}

let statsScheduled = false;
function scheduleStats(): void {
  if (statsScheduled) return;
  statsScheduled = true;
  setTimeout(() => {
    statsScheduled = false;
    renderStats();
    renderConnection();
  }, 500);
}

function renderStats(): void {
  const teams = store.features("teams");
  const people = teams.reduce((sum, f) => sum + (Number(f.properties["headcount"]) || 0), 0);
  const available = teams.filter((f) => f.properties["status"] === "available").length;
  const active = store.features("incidents").filter((f) => f.properties["status"] !== "closed").length;
  const warnings = store.features("warnings").filter((f) => f.properties["status"] !== "cleared").length;
  const stat = (key: string, n: number, cls = "") => h("span", { class: `stat ${cls}` }, t(key, { n: num(n) }));
  fill(
    byId("stats"),
    stat("count.teams", teams.length),
    stat("count.people", people),
    stat("count.available", available, "stat-ok"),
    stat("count.active_incidents", active, active ? "stat-hot" : ""),
    stat("count.active_warnings", warnings, warnings ? "stat-warn" : ""),
  );
}

function renderChrome(): void {
  document.documentElement.lang = getLang() === "zh" ? "zh-CN" : "en";
  fill(byId("title"), t("app.title"));
  fill(byId("subtitle"), t("app.subtitle"));
  fill(byId("lang"), t("lang.switch"));
  byId("lang").setAttribute("aria-label", t("lang.switch"));
  fill(byId("operator-label"), t("operator.label"));
  operatorInput.placeholder = t("operator.default");
  fill(byId("feed-title"), t("feed.title"));
  fill(byId("incidents-title"), t("incidents.title"));
  fill(byId("pick-hint"), t("incidents.new_hint"));
  const banner = byId("drill-banner");
  banner.hidden = exerciseId === null;
  if (exerciseId !== null) {
    fill(
      banner,
      h("span", null, t("drill.banner", { id: exerciseId })),
      h("a", { href: location.pathname, class: "drill-exit" }, t("drill.exit")),
    );
  }
  renderStats();
  renderConnection();
}

document.body.classList.toggle("drill", exerciseId !== null);
byId("lang").addEventListener("click", () => setLang(getLang() === "zh" ? "en" : "zh", storage));
byId("toggle-left").addEventListener("click", () => document.body.classList.toggle("left-open"));
onLangChange(renderChrome);
renderChrome();
setInterval(() => {
  const now = new Date();
  fill(byId("clock"), now.toLocaleTimeString(getLang() === "zh" ? "zh-CN" : "en-GB", { hour12: false }));
}, 1000);

// --- data: base map once, live layers from the stream ------------------------------------------

const BASE_PATHS: Record<BaseLayer, string> = {
  boundary: "basemap/boundary",
  towns: "basemap/towns",
  park: "basemap/park",
  water: "basemap/water",
  roads: "roads",
};
const baseLoaded = new Set<BaseLayer>();

async function loadBase(layer: BaseLayer): Promise<void> {
  try {
    // The road layer is paged; the base map's drawn layers come whole and take no query.
    const data = layer === "roads" ? await fetchLayer(BASE_PATHS[layer]) : await get<FeatureCollection>(`${API}/${BASE_PATHS[layer]}`);
    map.setBase(layer, data);
    baseLoaded.add(layer);
    if (layer === "towns") townLabels(data);
  } catch (error) {
    console.warn(`base layer ${layer} not loaded`, error);
  }
}

const townMarkers: Marker[] = [];
function townLabels(data: FeatureCollection): void {
  townMarkers.splice(0).forEach((m) => m.remove());
  for (const f of data.features) {
    if (f.geometry?.type !== "Point") continue;
    const name = String((getLang() === "en" && f.properties["name_en"]) || f.properties["name"] || "");
    const el = h("div", { class: "town-label" }, name);
    townMarkers.push(new Marker({ element: el, anchor: "left", offset: [6, 0] }).setLngLat(f.geometry.coordinates as [number, number]).addTo(map.map));
  }
}
onLangChange(() => void loadBase("towns"));

function liveParams(layer: LayerInfo): Record<string, string> {
  return exerciseId !== null && layer.drills ? { exercise_id: String(exerciseId) } : {};
}

async function pollOnce(): Promise<void> {
  await Promise.all(
    liveLayers.map(async (layer) => {
      try {
        const since = store.sequence;
        store.replaceLayer(layer.name, await fetchLayer(layer.path, liveParams(layer)), since);
      } catch (error) {
        console.warn(`layer ${layer.name} not loaded`, error);
      }
    }),
  );
  mark("liveLoaded");
}

function startPolling(): void {
  if (polling) return;
  void pollOnce();
  polling = setInterval(() => void pollOnce(), POLL_MS);
  renderConnection();
}

function stopPolling(): void {
  if (!polling) return;
  clearInterval(polling);
  polling = null;
  renderConnection();
}

const stream = new StreamClient({
  url: (since) =>
    streamUrl(
      location,
      since,
      liveLayers.map((layer) => layer.name),
      exerciseId,
    ),
  onMessage: (message: ServerMessage) => {
    store.apply(message);
    if (message.type === "snapshot") mark("liveLoaded");
    if (message.type !== "event") renderConnection();
  },
  onState: (state, info) => {
    connState = state;
    connInfo = info;
    if (state === "live") stopPolling();
    else if (state === "reconnecting" && (info.attempt >= 2 || !info.everLive)) startPolling();
    renderConnection();
  },
});

window.addEventListener("online", () => stream.reconnectNow());
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  if (incidents.createMode) byId<HTMLButtonElement>("new-incident").click();
  else details.close();
});

// --- "all demo layers drawn": checked on the map itself, for the tests and the benchmark ---------

const DRAWN: (BaseLayer | LiveLayer)[] = ["boundary", "water", "park", "roads", "towns", ...DEMO_LIVE_LAYERS];
map.map.on("idle", () => {
  if (timings["allDrawn"] !== undefined) return;
  if (DRAWN.every((layer) => map.rendered(layer) > 0)) {
    mark("allDrawn");
    document.body.dataset["drawn"] = "true";
  }
});

/** The live layers, asked until the server answers. */
async function loadLayers(): Promise<LayerInfo[]> {
  for (;;) {
    try {
      const { layers } = await get<{ layers: LayerInfo[] }>("/api/v1/layers");
      return layers;
    } catch (error) {
      console.warn("layer list not loaded", error);
      await new Promise((resolve) => setTimeout(resolve, LAYERS_RETRY_MS));
    }
  }
}

async function startLive(): Promise<void> {
  liveLayers = await loadLayers();
  store.setLayers(liveLayers);
  layerPanel.setLayers(liveLayers);
  stream.start();
}

async function start(): Promise<void> {
  // Data and style load side by side; the map applies what came first once its style is ready.
  void startLive();
  void map.ready.then(() => mark("mapLoaded"));
  try {
    const info = await get<{ bbox?: [number, number, number, number] | null }>("/api/v1/basemap");
    if (info.bbox) map.fit(info.bbox);
  } catch {
    /* keep the default view */
  }
  await Promise.all(BASE_LAYERS.map((layer) => loadBase(layer)));
  mark("baseLoaded");
}

void start();

// --- a debug hook: what the page shows, for the browser tests, the benchmark and curious officers ---

declare global {
  interface Window {
    __commandpost: unknown;
  }
}

window.__commandpost = {
  map: map.map,
  store,
  stream,
  timings,
  exerciseId,
  counts: () => Object.fromEntries([...store.layers].map(([layer, features]) => [layer, features.size])),
  rendered: (layer: BaseLayer | LiveLayer) => map.rendered(layer),
  renderedAt: (layer: BaseLayer | LiveLayer, lngLat: [number, number], radius?: number) => map.renderedAt(layer, lngLat, radius),
  feature: (layer: LiveLayer, id: FeatureId): Feature | undefined => store.get(layer, id),
  connection: () => ({ state: connState, polling: polling !== null, lastEventId: store.lastEventId, stats: stream.stats }),
  renders: () => map.renders,
  previewedRoutes: () => map.previewed,
  baseLoaded: () => [...baseLoaded],
  drop: () => stream.drop(),
  ...(params.has("debug") ? { inject: (message: ServerMessage) => store.apply(message) } : {}),
};
