// The layer switcher with its legend: one row per layer (a swatch, the name, a count), and under the
// data-styled layers the values their colours stand for.

import type { App } from "../app";
import { fill, h } from "../dom";
import { getLang, label, onLangChange, t } from "../i18n";
import {
  DEPOT_COLOUR,
  FALLBACK,
  GRADE_COLOURS,
  INCIDENT_STATUS_COLOURS,
  RISK_COLOURS,
  ROUTE_COLOUR,
  SENSOR_STATE_COLOURS,
  SHELTER_COLOUR,
  TEAM_STATUS_COLOURS, ZONE_CONCERN_COLOURS } from "../palette";
import type { BaseLayer, LayerInfo, LiveLayer } from "../types";

type Shape = "dot" | "square" | "line" | "area" | "triangle";

export interface Row {
  layer: BaseLayer | LiveLayer;
  swatch: string;
  shape: Shape;
  title?: Record<string, string>;
  legend?: { group: string; values: string[]; colours: Record<string, string> };
}

/** How the map draws each live layer (its colours live with the map's styles, in palette.ts). */
const LIVE_STYLE: Record<string, { swatch: string; shape: Shape; legend?: { group: string; colours: Record<string, string> } }> = {
  incidents: { swatch: INCIDENT_STATUS_COLOURS.reported!, shape: "dot" },
  warnings: { swatch: RISK_COLOURS.orange!, shape: "area", legend: { group: "warning_level", colours: RISK_COLOURS } },
  teams: { swatch: TEAM_STATUS_COLOURS.available!, shape: "dot", legend: { group: "team_status", colours: TEAM_STATUS_COLOURS } },
  "hazard-sources": { swatch: RISK_COLOURS.red!, shape: "area", legend: { group: "hazard_grade", colours: GRADE_COLOURS } },
  sensors: { swatch: SENSOR_STATE_COLOURS.normal!, shape: "dot", legend: { group: "sensor_state", colours: SENSOR_STATE_COLOURS } },
  depots: { swatch: DEPOT_COLOUR, shape: "square" },
  shelters: { swatch: SHELTER_COLOUR, shape: "triangle" },
  routes: { swatch: ROUTE_COLOUR, shape: "line" },
  closures: { swatch: "#ef4444", shape: "line" },
  "threat-zones": {
    swatch: ZONE_CONCERN_COLOURS.severe!,
    shape: "area",
    legend: { group: "zone_concern", colours: ZONE_CONCERN_COLOURS },
  },
};

const SHAPE_OF_GEOMETRY: Record<string, Shape> = { Point: "dot", LineString: "line", Polygon: "area" };

/** The panel's row for a layer the server lists: its style, its title and legend from the server. */
export function liveRow(info: LayerInfo): Row {
  const style = LIVE_STYLE[info.name] ?? { swatch: FALLBACK, shape: SHAPE_OF_GEOMETRY[info.geometry] ?? "dot" };
  const legend =
    info.legend && style.legend
      ? { group: style.legend.group, values: info.legend.values, colours: style.legend.colours }
      : undefined;
  return { layer: info.name, swatch: style.swatch, shape: style.shape, title: info.title, legend };
}

const BASE_ROWS: Row[] = [
  { layer: "roads", swatch: "#cbd5e1", shape: "line" },
  { layer: "park", swatch: "#d97706", shape: "area" },
  { layer: "water", swatch: "#123a5a", shape: "area" },
  { layer: "towns", swatch: "#e2e8f0", shape: "dot" },
  { layer: "boundary", swatch: "#7dd3fc", shape: "line" },
];

const STORAGE_KEY = "commandpost.hidden-layers";

export class LayerPanel {
  private hidden: Set<string>;
  private scheduled = false;
  private liveRows: Row[] = [];

  constructor(
    private readonly root: HTMLElement,
    private readonly app: App,
    private readonly storage: Storage | null,
  ) {
    let saved: string[] = [];
    try {
      saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? "[]") as string[];
    } catch {
      saved = [];
    }
    this.hidden = new Set(Array.isArray(saved) ? saved : []);
    for (const layer of this.hidden) app.map.setVisible(layer as LiveLayer, false);
    app.store.subscribe((changes) => {
      if (changes.some((c) => c.kind === "reset" || (c.kind === "upsert" && !c.previous) || c.kind === "remove")) this.schedule();
    });
    onLangChange(() => this.render());
    this.render();
  }

  /** The live layers the server lists (GET /api/v1/layers), in its order. */
  setLayers(layers: LayerInfo[]): void {
    this.liveRows = layers.map(liveRow);
    this.render();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  private toggle(layer: BaseLayer | LiveLayer, visible: boolean): void {
    if (visible) this.hidden.delete(layer);
    else this.hidden.add(layer);
    this.app.map.setVisible(layer, visible);
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify([...this.hidden]));
    } catch {
      /* not remembered */
    }
  }

  render(): void {
    const row = (r: Row, live: boolean) => {
      const count = live ? this.app.store.count(r.layer as LiveLayer) : null;
      return h(
        "li",
        { class: "layer-row", "data-layer": r.layer },
        h(
          "label",
          null,
          h("input", {
            type: "checkbox",
            checked: !this.hidden.has(r.layer),
            onchange: (e: Event) => this.toggle(r.layer, (e.target as HTMLInputElement).checked),
          }),
          h("span", { class: `swatch swatch-${r.shape}`, style: { "--c": r.swatch } }),
          h("span", { class: "layer-name" }, r.title?.[getLang() === "zh" ? "zh-CN" : "en"] ?? t(`layer.${r.layer}`)),
          count !== null ? h("span", { class: "layer-count" }, count ? String(count) : "") : null,
        ),
        r.legend
          ? h(
              "ul",
              { class: "legend" },
              r.legend.values.map((value) =>
                h(
                  "li",
                  null,
                  h("span", { class: `swatch swatch-${r.shape === "area" ? "area" : "dot"}`, style: { "--c": r.legend!.colours[value] ?? FALLBACK } }),
                  label(r.legend!.group, value),
                ),
              ),
            )
          : null,
      );
    };
    fill(
      this.root,
      h("h2", { class: "panel-title" }, t("layers.title"), h("span", { class: "panel-sub" }, ` · ${t("legend.title")}`)),
      h("ul", { class: "layer-list" }, this.liveRows.map((r) => row(r, true))),
      h("ul", { class: "layer-list base" }, BASE_ROWS.map((r) => row(r, false))),
    );
  }
}
