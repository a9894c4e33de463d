// The details card: what a click on the map selected, kept up to date while it is open.

import { get } from "../api";
import { centreOf, type App } from "../app";
import { parseReadings, trendChart, type Reading } from "../chart";
import { clock, fill, h, num } from "../dom";
import { label, onLangChange, t } from "../i18n";
import { GRADE_COLOURS, RISK_COLOURS, SENSOR_STATE_COLOURS, TEAM_STATUS_COLOURS } from "../palette";
import type { BaseLayer, Feature, FeatureId, LiveLayer } from "../types";

type Props = Record<string, unknown>;

const row = (name: string, value: Node | string | null) =>
  value === null || value === "" ? null : h("div", { class: "kv" }, h("span", { class: "k" }, name), h("span", { class: "v" }, value));

const chip = (text: string, colour?: string) =>
  h("span", { class: "chip", style: colour ? { background: colour, color: "#0b1220" } : undefined }, text);

const REFRESHED: LiveLayer[] = ["teams", "depots", "hazard-sources", "sensors", "warnings", "shelters"];

const list = (items: unknown) => (Array.isArray(items) ? items : []);

export class DetailsPanel {
  private layer: LiveLayer | BaseLayer | null = null;
  private id: FeatureId | null = null;
  private baseProps: Props = {};
  private trendFor: FeatureId | null = null;
  private trend: HTMLElement = h("div", { class: "trend-box" });

  constructor(
    private readonly root: HTMLElement,
    private readonly app: App,
  ) {
    app.store.subscribe((changes) => {
      if (this.layer === null || this.id === null) return;
      if (changes.some((c) => (c.kind === "upsert" || c.kind === "remove") && c.layer === this.layer && (c.kind === "upsert" ? c.feature.id : c.id) === this.id) || changes.some((c) => c.kind === "reset" && c.layer === this.layer)) {
        this.render();
      }
    });
    onLangChange(() => this.render());
    this.root.hidden = true;
  }

  show(layer: LiveLayer | BaseLayer, id: FeatureId, baseProps: Props = {}): void {
    this.layer = layer;
    this.id = id;
    this.baseProps = baseProps;
    if (layer !== "sensors" || this.trendFor !== id) this.trendFor = null;
    this.render();
    this.refresh(layer, id);
  }

  /** The entity as the server has it now: telemetry (a detector's last reading) is not on the stream. */
  private refresh(layer: LiveLayer | BaseLayer, id: FeatureId): void {
    if (!REFRESHED.includes(layer as LiveLayer)) return;
    get<Feature>(`/api/v1/${layer}/${id}`)
      .then((feature) => {
        if (feature?.type === "Feature") this.app.store.upsert(layer as LiveLayer, feature);
      })
      .catch(() => {
        /* the live copy stays */
      });
  }

  close(): void {
    this.layer = this.id = null;
    this.root.hidden = true;
    this.app.map.select(null);
  }

  private feature(): Feature | null {
    if (this.layer === null || this.id === null) return null;
    const live = this.app.store.get(this.layer as LiveLayer, this.id);
    if (live) return live;
    return { type: "Feature", id: this.id, geometry: null, properties: this.baseProps };
  }

  private render(): void {
    const feature = this.feature();
    if (!feature || this.layer === null) {
      this.root.hidden = true;
      return;
    }
    this.app.map.select(feature.geometry ? feature : null);
    const p = feature.properties;
    const body = this.body(this.layer, p, feature);
    fill(
      this.root,
      h(
        "header",
        { class: "card-head" },
        h("span", { class: "card-kind" }, t(`layer.${this.layer}`)),
        h("button", { class: "icon-btn", title: t("details.close"), "aria-label": t("details.close"), onclick: () => this.close() }, "×"),
      ),
      h("h3", { class: "card-title" }, String(p["name"] ?? p["title"] ?? p["ref"] ?? `#${this.id}`)),
      body,
    );
    this.root.hidden = false;
    this.root.dataset["layer"] = this.layer;
    this.root.dataset["id"] = String(this.id);
  }

  private body(layer: LiveLayer | BaseLayer, p: Props, feature: Feature): Node {
    switch (layer) {
      case "teams":
        return h(
          "div",
          null,
          row(t("details.status"), chip(label("team_status", p["status"]), TEAM_STATUS_COLOURS[String(p["status"])])),
          row(t("details.kind"), `${label("team_kind", p["kind"])} · ${label("team_tier", p["tier"])}`),
          row(t("details.members"), num(p["headcount"])),
          row(t("details.contact"), [p["contact_name"], p["contact_phone"]].filter(Boolean).join(" ")),
          row(t("details.town"), (p["town"] as string) ?? null),
          row(t("details.position_at"), p["position_at"] ? clock(p["position_at"]) : null),
          h("h4", null, t("details.capabilities")),
          h("div", { class: "chips" }, list(p["capabilities"]).map((c) => chip(label("capability", c)))),
          h("h4", null, t("details.vehicles")),
          h(
            "ul",
            { class: "plain" },
            list(p["vehicles"]).map((v) => {
              const vehicle = v as { type?: string; count?: number };
              return h("li", null, `${vehicle.type ?? "?"} × ${vehicle.count ?? 1}`);
            }),
          ),
          h("h4", null, t("details.equipment")),
          h("ul", { class: "plain" }, list(p["equipment"]).map((e) => h("li", null, String(e)))),
        );
      case "depots":
        return h(
          "div",
          null,
          row(t("details.operator"), (p["operator"] as string) ?? null),
          row(t("details.address"), (p["address"] as string) ?? null),
          row(t("details.contact"), [p["contact_name"], p["contact_phone"]].filter(Boolean).join(" ")),
          h("h4", null, t("details.stock")),
          h(
            "table",
            { class: "grid" },
            h(
              "tr",
              null,
              h("th", null, ""),
              h("th", null, t("details.on_hand")),
              h("th", null, t("details.reserved")),
              h("th", null, t("details.available")),
            ),
            list(p["stock"]).map((s) => {
              const line = s as Props;
              const unit = String(line["unit"] ?? "");
              return h(
                "tr",
                null,
                h("td", null, String(line["name_zh"] ?? line["material"])),
                h("td", null, `${num(line["on_hand"], 1)} ${unit}`),
                h("td", null, num(line["reserved"], 1)),
                h("td", { class: Number(line["available"]) <= 0 ? "short" : "" }, num(line["available"], 1)),
              );
            }),
          ),
        );
      case "hazard-sources": {
        const colour = RISK_COLOURS[String(p["risk_colour"])] ?? GRADE_COLOURS[String(p["grade"])];
        return h(
          "div",
          null,
          row(t("details.enterprise"), (p["enterprise"] as string) ?? null),
          row(t("details.grade"), chip(label("hazard_grade", p["grade"]), colour)),
          row(t("details.r_value"), num(p["r_value"], 1)),
          row(t("details.exposed"), num(p["exposed_population"])),
          row(t("details.sensors"), String(list(p["sensor_ids"]).length)),
          h("h4", null, t("details.chemicals")),
          h(
            "ul",
            { class: "plain" },
            list(p["chemicals"]).map((c) => {
              const chem = c as Props;
              return h(
                "li",
                null,
                h("b", null, String(chem["name"])),
                chem["cas"] ? ` (CAS ${chem["cas"]})` : "",
                " · ",
                t("details.quantity_t", { q: num(chem["quantity_t"], 1) }),
              );
            }),
          ),
        );
      }
      case "sensors":
        this.loadTrend(feature);
        return h(
          "div",
          null,
          row(t("details.status"), chip(label("sensor_state", p["state"]), SENSOR_STATE_COLOURS[String(p["state"])])),
          row(t("details.kind"), label("sensor_kind", p["kind"])),
          row(t("details.substance"), [p["substance"], p["cas"] ? `CAS ${p["cas"]}` : ""].filter(Boolean).join(" ")),
          row(t("details.value"), p["last_value"] === null || p["last_value"] === undefined ? "—" : `${num(p["last_value"], 2)} ${p["unit"] ?? ""}`),
          row(t("details.thresholds"), `${num(p["alarm_1"], 1)} / ${num(p["alarm_2"], 1)} ${p["unit"] ?? ""}`),
          row(t("details.last_reading"), p["last_reading_at"] ? clock(p["last_reading_at"]) : "—"),
          h("h4", null, t("details.trend")),
          this.trend,
        );
      case "warnings":
        return h(
          "div",
          null,
          row(t("details.level"), chip(label("warning_level", p["level"]), RISK_COLOURS[String(p["level"])])),
          row(t("details.status"), label("warning_status", p["status"])),
          row(t("details.issued"), `${clock(p["issued_at"])} ${p["issued_by"] ?? ""}`),
          p["description"] ? h("p", null, String(p["description"])) : null,
        );
      case "incidents":
        return h(
          "div",
          null,
          row(t("details.kind"), label("incident_type", p["type"])),
          row(t("details.status"), label("incident_status", p["status"])),
          row(t("incidents.form.level"), p["response_level"] ? label("response_level", p["response_level"]) : null),
          p["description"] ? h("p", null, String(p["description"])) : null,
          h(
            "button",
            { class: "btn", onclick: () => this.app.selectIncident(feature.id ?? null) },
            t("details.open_incident"),
          ),
        );
      case "shelters":
        return h(
          "div",
          null,
          row(t("details.capacity"), num(p["capacity"])),
          row(t("details.address"), (p["address"] as string) ?? null),
          row(t("details.town"), (p["town"] as string) ?? null),
        );
      default:
        return h(
          "div",
          null,
          Object.entries(p)
            .filter(([, v]) => v !== null && typeof v !== "object")
            .slice(0, 12)
            .map(([k, v]) => row(k, String(v))),
        );
    }
  }

  /** The sensor's last hour from GET /sensors/{id}/readings; says so when that history is not served. */
  private loadTrend(feature: Feature): void {
    const id = feature.id ?? null;
    if (this.trendFor !== id) {
      this.trendFor = id;
      this.history = "loading";
      const from = new Date(Date.now() - 3600_000).toISOString();
      get<unknown>(`/api/v1/sensors/${id}/readings?from=${encodeURIComponent(from)}&limit=2000`)
        .then((body) => {
          if (this.trendFor !== id) return;
          this.history = parseReadings(body);
          this.drawTrend();
        })
        .catch(() => {
          if (this.trendFor !== id) return;
          this.history = "unavailable";
          this.drawTrend();
        });
    }
    this.drawTrend();
  }

  private history: Reading[] | "loading" | "unavailable" = "loading";

  private drawTrend(): void {
    const feature = this.feature();
    if (!feature || this.layer !== "sensors") return;
    if (this.history === "loading") {
      fill(this.trend, h("span", { class: "muted" }, "…"));
      return;
    }
    if (this.history === "unavailable") {
      fill(this.trend, h("span", { class: "muted" }, t("details.trend_unavailable")));
      return;
    }
    const p = feature.properties;
    const to = Date.now();
    const readings = [...this.history];
    // The reading the sensor layer carries may be newer than the history fetched when the card opened.
    const lastAt = typeof p["last_reading_at"] === "string" ? Date.parse(p["last_reading_at"]) : NaN;
    const newest = readings.length ? readings[readings.length - 1]!.at : -Infinity;
    if (typeof p["last_value"] === "number" && Number.isFinite(lastAt) && lastAt > newest) {
      readings.push({ at: lastAt, value: p["last_value"] });
    }
    const recent = readings.filter((r) => r.at >= to - 3600_000);
    if (!recent.length) {
      fill(this.trend, h("span", { class: "muted" }, t("details.trend_none")));
      return;
    }
    fill(
      this.trend,
      trendChart(recent, {
        alarm1: p["alarm_1"] as number,
        alarm2: p["alarm_2"] as number,
        unit: (p["unit"] as string) ?? null,
        from: to - 3600_000,
        to,
      }),
    );
  }
}

export function centre(feature: Feature): [number, number] | null {
  return centreOf(feature.geometry);
}
