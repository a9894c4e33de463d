// The layer switcher with its legend: one row per layer (a swatch, the name, a count), and under the
// data-styled layers the values their colours stand for.

import type { App } from "../app";
import { fill, h } from "../dom";
import { label, onLangChange, t } from "../i18n";
import {
  DEPOT_COLOUR,
  GRADE_COLOURS,
  INCIDENT_STATUS_COLOURS,
  RISK_COLOURS,
  ROUTE_COLOUR,
  SENSOR_STATE_COLOURS,
  SHELTER_COLOUR,
  TEAM_STATUS_COLOURS,
} from "../palette";
import type { BaseLayer, LiveLayer } from "../types";

interface Row {
  layer: BaseLayer | LiveLayer;
  swatch: string;
  shape: "dot" | "square" | "line" | "area" | "triangle";
  legend?: { group: string; colours: Record<string, string> };
}

const LIVE_ROWS: Row[] = [
  { layer: "incidents", swatch: INCIDENT_STATUS_COLOURS.reported!, shape: "dot" },
  { layer: "warnings", swatch: RISK_COLOURS.orange!, shape: "area", legend: { group: "warning_level", colours: RISK_COLOURS } },
  { layer: "teams", swatch: TEAM_STATUS_COLOURS.available!, shape: "dot", legend: { group: "team_status", colours: TEAM_STATUS_COLOURS } },
  { layer: "hazard-sources", swatch: RISK_COLOURS.red!, shape: "area", legend: { group: "hazard_grade", colours: GRADE_COLOURS } },
  { layer: "sensors", swatch: SENSOR_STATE_COLOURS.normal!, shape: "dot", legend: { group: "sensor_state", colours: SENSOR_STATE_COLOURS } },
  { layer: "depots", swatch: DEPOT_COLOUR, shape: "square" },
  { layer: "shelters", swatch: SHELTER_COLOUR, shape: "triangle" },
  { layer: "routes", swatch: ROUTE_COLOUR, shape: "line" },
  { layer: "danger-zones", swatch: "#ef4444", shape: "area" },
  { layer: "closures", swatch: "#ef4444", shape: "line" },
];

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
          h("span", { class: "layer-name" }, t(`layer.${r.layer}`)),
          count !== null ? h("span", { class: "layer-count" }, count ? String(count) : "") : null,
        ),
        r.legend
          ? h(
              "ul",
              { class: "legend" },
              Object.entries(r.legend.colours).map(([value, colour]) =>
                h("li", null, h("span", { class: `swatch swatch-${r.shape === "area" ? "area" : "dot"}`, style: { "--c": colour } }), label(r.legend!.group, value)),
              ),
            )
          : null,
      );
    };
    fill(
      this.root,
      h("h2", { class: "panel-title" }, t("layers.title"), h("span", { class: "panel-sub" }, ` · ${t("legend.title")}`)),
      h("ul", { class: "layer-list" }, LIVE_ROWS.map((r) => row(r, true))),
      h("ul", { class: "layer-list base" }, BASE_ROWS.map((r) => row(r, false))),
    );
  }
}
