// The alarm and warning feed, and the red alert nobody can miss: a banner over the map and a flashing
// frame around the screen (no sound) until someone acknowledges the newest red warning.

import { get, post } from "../api";
import { centreOf, type App } from "../app";
import { clock, fill, h } from "../dom";
import { label, onLangChange, t } from "../i18n";
import { RISK_COLOURS } from "../palette";
import type { Feature } from "../types";

const NEXT_LEVEL: Record<string, string> = { blue: "yellow", yellow: "orange", orange: "red" };
const RANK: Record<string, number> = { blue: 1, yellow: 2, orange: 3, red: 4 };

const issued = (f: Feature) => Date.parse(String(f.properties["issued_at"] ?? "")) || 0;

/** Warnings in force, the ones still waiting for acknowledgement first, then most severe, then newest. */
export function feedOrder(warnings: Feature[]): Feature[] {
  return warnings
    .filter((w) => w.properties["status"] !== "cleared")
    .sort((a, b) => {
      const activeA = a.properties["status"] === "active" ? 1 : 0;
      const activeB = b.properties["status"] === "active" ? 1 : 0;
      if (activeA !== activeB) return activeB - activeA;
      const rank = (RANK[String(b.properties["level"])] ?? 0) - (RANK[String(a.properties["level"])] ?? 0);
      return rank || issued(b) - issued(a);
    });
}

/** The newest red warning nobody has acknowledged yet, and how many others are waiting. */
export function newestUnacknowledgedRed(warnings: Feature[]): { warning: Feature | null; others: number } {
  const red = warnings
    .filter((w) => w.properties["level"] === "red" && w.properties["status"] === "active")
    .sort((a, b) => issued(b) - issued(a));
  return { warning: red[0] ?? null, others: Math.max(0, red.length - 1) };
}

interface RosterCall {
  step: number;
  person: string;
  role: string;
  phone?: string | null;
  at: string;
}

interface BlindDetector {
  sensor: number;
  ref?: string | null;
  state: string;
  since: string;
}

/** Whom the duty roster called because nobody acknowledged the warning, in call order. */
export function rosterCalls(w: Feature): RosterCall[] {
  const calls = w.properties["roster_calls"];
  return Array.isArray(calls) ? (calls as RosterCall[]) : [];
}

/** The warning's detectors that are offline or in fault: where nobody can see the danger. */
export function blindDetectors(w: Feature): BlindDetector[] {
  const blind = w.properties["blind_detectors"];
  return Array.isArray(blind) ? (blind as BlindDetector[]) : [];
}

function rosterLine(w: Feature): HTMLElement | null {
  const calls = rosterCalls(w);
  if (calls.length === 0) return null;
  return h(
    "div",
    { class: "warning-roster", "data-calls": calls.length },
    h("span", { class: "roster-label" }, t("feed.roster_called")),
    ...calls.map((c) =>
      h(
        "span",
        { class: "roster-call", title: c.phone ? `${c.person} ${c.phone}` : c.person },
        t("feed.roster_call", { who: c.person, role: label("duty_role", c.role), at: clock(c.at) }),
      ),
    ),
  );
}

function blindLine(w: Feature): HTMLElement | null {
  const blind = blindDetectors(w);
  if (blind.length === 0) return null;
  const which = blind.map((d) => `${d.ref ?? d.sensor} ${label("sensor_state", d.state)}`).join("、");
  return h(
    "div",
    { class: "warning-blind", "data-blind": blind.length, role: "status" },
    t("feed.blind", { n: blind.length, which }),
  );
}

export class WarningFeed {
  private fresh = new Set<unknown>();
  private scheduled = false;
  private busy = new Set<unknown>();

  constructor(
    private readonly list: HTMLElement,
    private readonly badge: HTMLElement,
    private readonly alert: HTMLElement,
    private readonly app: App,
  ) {
    app.store.subscribe((changes) => {
      let touched = false;
      for (const c of changes) {
        if ((c.kind === "upsert" || c.kind === "remove" || c.kind === "reset") && c.layer === "warnings") {
          touched = true;
          if (c.kind === "upsert" && (!c.previous || c.previous.properties["level"] !== c.feature.properties["level"])) {
            this.flash(c.feature.id);
          }
        }
      }
      if (touched) this.schedule();
    });
    onLangChange(() => this.render());
    this.render();
  }

  private flash(id: unknown): void {
    this.fresh.add(id);
    setTimeout(() => {
      this.fresh.delete(id);
      this.schedule();
    }, 8000);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  render(): void {
    const warnings = feedOrder(this.app.store.features("warnings"));
    const waiting = warnings.filter((w) => w.properties["status"] === "active").length;
    fill(this.badge, waiting ? t("feed.unacked", { n: waiting }) : "");
    this.badge.hidden = waiting === 0;
    fill(
      this.list,
      warnings.length === 0
        ? h("li", { class: "empty" }, t("feed.empty"))
        : warnings.map((w) => this.item(w)),
    );
    this.renderAlert();
  }

  private item(w: Feature): HTMLElement {
    const p = w.properties;
    const level = String(p["level"]);
    const active = p["status"] === "active";
    const busy = this.busy.has(w.id);
    return h(
      "li",
      {
        class: `warning level-${level} ${active ? "is-active" : "is-acked"} ${this.fresh.has(w.id) ? "is-fresh" : ""}`,
        "data-id": w.id,
        "data-level": level,
        "data-status": String(p["status"]),
        style: { borderLeftColor: RISK_COLOURS[level] ?? "#94a3b8" },
      },
      h(
        "div",
        { class: "warning-head" },
        h("span", { class: "level-tag", style: { background: RISK_COLOURS[level] } }, label("warning_level", level)),
        h("span", { class: "warning-title", onclick: () => this.locate(w) }, String(p["title"] ?? "")),
      ),
      h(
        "div",
        { class: "warning-meta" },
        clock(p["issued_at"]),
        " · ",
        p["source"] === "sensor" ? label("warning_source", "sensor") : String(p["issued_by"] ?? ""),
        " · ",
        active ? label("warning_status", "active") : t("feed.acknowledged_by", { who: String(p["acknowledged_by"] ?? "") }),
      ),
      blindLine(w),
      rosterLine(w),
      h(
        "div",
        { class: "warning-actions" },
        active
          ? h("button", { class: "btn btn-ack", disabled: busy, onclick: () => this.acknowledge(w) }, t("feed.ack"))
          : null,
        NEXT_LEVEL[level]
          ? h("button", { class: "btn btn-ghost btn-escalate", disabled: busy, onclick: () => this.escalate(w) }, t("feed.escalate"))
          : null,
        p["incident_id"]
          ? h("button", { class: "btn btn-ghost", onclick: () => this.app.selectIncident(p["incident_id"] as number) }, t("details.open_incident"))
          : h("button", { class: "btn btn-ghost btn-to-incident", disabled: busy, onclick: () => this.toIncident(w) }, t("feed.to_incident")),
      ),
    );
  }

  private renderAlert(): void {
    const { warning, others } = newestUnacknowledgedRed(this.app.store.features("warnings"));
    document.body.classList.toggle("alarm-on", warning !== null);
    document.title = (warning ? "⚠ " : "") + t("app.title");
    if (!warning) {
      this.alert.hidden = true;
      fill(this.alert);
      return;
    }
    this.alert.hidden = false;
    this.alert.dataset["id"] = String(warning.id);
    fill(
      this.alert,
      h("span", { class: "alert-level" }, t("alert.new_red")),
      h(
        "span",
        { class: "alert-title" },
        String(warning.properties["title"] ?? ""),
        others ? h("span", { class: "alert-more" }, ` +${others}`) : null,
      ),
      h("span", { class: "alert-time" }, clock(warning.properties["issued_at"])),
      h("button", { class: "btn btn-ghost", onclick: () => this.locate(warning) }, t("alert.show")),
      h("button", { class: "btn btn-ack btn-alert-ack", onclick: () => this.acknowledge(warning) }, t("alert.ack_now")),
    );
  }

  private locate(w: Feature): void {
    const at = centreOf(w.geometry);
    if (at) this.app.flyTo(at, 14);
    if (w.id !== undefined) this.app.showDetails("warnings", w.id);
  }

  private async act(w: Feature, path: string, body: Record<string, unknown>, done: string): Promise<void> {
    if (this.busy.has(w.id)) return;
    this.busy.add(w.id);
    this.render();
    try {
      // In drill mode every action is taken in the drill: the server refuses live warnings there.
      const drill = this.app.exerciseId === null ? "" : `?exercise_id=${this.app.exerciseId}`;
      const feature = await post<Feature>(`/api/v1/warnings/${w.id}/${path}${drill}`, {
        by: this.app.operator(),
        ...body,
      });
      if (path === "incident") {
        this.app.store.upsert("incidents", feature);
        this.app.selectIncident(feature.id ?? null);
        const fresh = await get<Feature>(`/api/v1/warnings/${w.id}`);
        this.app.store.upsert("warnings", fresh);
      } else {
        this.app.store.upsert("warnings", feature);
      }
      this.app.toast(t(done));
    } catch (error) {
      this.app.fail(error);
    } finally {
      this.busy.delete(w.id);
      this.render();
    }
  }

  private acknowledge(w: Feature): Promise<void> {
    return this.act(w, "acknowledge", {}, "toast.acknowledged");
  }

  private escalate(w: Feature): Promise<void> {
    const to = NEXT_LEVEL[String(w.properties["level"])];
    return to ? this.act(w, "escalate", { to_level: to }, "toast.escalated") : Promise.resolve();
  }

  private toIncident(w: Feature): Promise<void> {
    const type = w.properties["source"] === "sensor" ? "leak" : "other";
    return this.act(w, "incident", { type }, "toast.created");
  }
}
