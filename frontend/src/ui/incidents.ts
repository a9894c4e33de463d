// Incidents: the list, creating one by clicking the map, and for the selected one its response-plan
// checklist (deadlines, what is overdue, ticking an action), recommended teams with ETA, one-action
// dispatch (with an idempotency key), routes, material requests, closing (standing down what is still
// committed) and reopening, and its timeline.

import { ApiError, get, newKey, post, request } from "../api";
import { centreOf, type App } from "../app";
import { clock, fill, h, keepFormState, num } from "../dom";
import {
  isOverdue,
  parseAssignments,
  parseChecklist,
  parseMaterialRequests,
  parseRecommendationGroups,
  type Assignment,
  type Checklist,
  type ChecklistItem,
  type ChecklistReply,
  type MaterialRequest,
  type Recommendation,
  type RecommendationGroup,
} from "../dispatch";
import { getLang, label, onLangChange, t } from "../i18n";
import { INCIDENT_STATUS_COLOURS, TEAM_STATUS_COLOURS } from "../palette";
import type { Feature, FeatureId } from "../types";

/** Where an incident may go next (mirrors the backend's INCIDENT_FLOW). */
export const INCIDENT_FLOW: Record<string, string[]> = {
  reported: ["confirmed", "closed"],
  confirmed: ["responding", "closed"],
  responding: ["contained"],
  contained: ["closed", "responding"],
  closed: [],
};

const INCIDENT_TYPES = ["leak", "fire", "explosion", "hazmat_transport", "forest_fire", "flood", "typhoon", "traffic", "other"];
const LEVELS = ["I", "II", "III", "IV"];

type Section<T> = { state: "idle" | "loading" | "ok" | "unavailable" | "error"; items: T[]; message?: string };

/** What a refused close listed as still committed to the incident (the 409 problem's `teams` and `materials`). */
interface Committed {
  teams: { team_name?: string; team_id?: number; status?: string }[];
  materials: { material?: string; quantity?: number; unit?: string | null; depot_name?: string | null }[];
}

/** How often the checklist is looked at again for deadlines passing while the panel is open. */
const OVERDUE_CHECK_MS = 15_000;

const reported = (f: Feature) => Date.parse(String(f.properties["reported_at"] ?? "")) || 0;

/** Open incidents first, newest first within each group. */
export function incidentOrder(incidents: Feature[]): Feature[] {
  return [...incidents].sort((a, b) => {
    const closedA = a.properties["status"] === "closed" ? 1 : 0;
    const closedB = b.properties["status"] === "closed" ? 1 : 0;
    return closedA - closedB || reported(b) - reported(a);
  });
}

export class IncidentPanel {
  private selected: FeatureId | null = null;
  private detail: Feature | null = null;
  private recommendations: Section<RecommendationGroup> = { state: "idle", items: [] };
  private assignments: Section<Assignment> = { state: "idle", items: [] };
  private materials: Section<MaterialRequest> = { state: "idle", items: [] };
  private checklist: Section<ChecklistItem> & { plan?: string | null } = { state: "idle", items: [] };
  /** Server time minus this console's time: deadlines are judged on the server's clock. */
  private serverOffsetMs = 0;
  private overdueShown = "";
  private ticking = new Set<number>();
  private committed: Committed | null = null;
  private catalogue: { code: string; name: string; unit: string }[] = [];
  /** One idempotency key per (incident, team) until the dispatch succeeds, so a retry never dispatches twice. */
  private dispatchKeys = new Map<string, string>();
  private dispatching = new Set<number>();
  private createAt: [number, number] | null = null;
  private creating = false;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private listScheduled = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly app: App,
    private readonly createButton: HTMLButtonElement,
  ) {
    app.store.subscribe((changes) => {
      let list = false;
      for (const c of changes) {
        if ((c.kind === "upsert" || c.kind === "reset" || c.kind === "remove") && c.layer === "incidents") list = true;
        if (c.kind === "event" && this.selected !== null && this.concernsSelected(c.event)) this.refreshSoon();
        if (c.kind === "upsert" && c.layer === "teams" && this.assignments.items.some((a) => a.teamId === c.feature.id)) {
          list = true;
        }
      }
      if (list) this.scheduleRender();
    });
    onLangChange(() => this.render());
    this.createButton.addEventListener("click", () => this.toggleCreate());
    // A deadline passing is a change nobody sends: redraw when the set of overdue actions changes.
    setInterval(() => {
      if (this.selected !== null && this.overdueKey() !== this.overdueShown) this.render();
    }, OVERDUE_CHECK_MS);
    this.render();
  }

  private serverNow(): number {
    return Date.now() + this.serverOffsetMs;
  }

  private overdueKey(): string {
    const now = this.serverNow();
    return this.checklist.items
      .filter((item) => isOverdue(item, now))
      .map((item) => item.id)
      .join(",");
  }

  get createMode(): boolean {
    return this.creating;
  }

  /** A click on the map while creating: that is where the incident is. */
  placeAt(lngLat: [number, number]): void {
    this.createAt = lngLat;
    this.creating = false;
    document.body.classList.remove("picking");
    this.app.map.select({ type: "Feature", id: 0, geometry: { type: "Point", coordinates: lngLat }, properties: {} });
    this.render();
    this.root.querySelector<HTMLInputElement>("input[name=title]")?.focus();
  }

  select(id: FeatureId | null): void {
    this.selected = id;
    this.createAt = null;
    this.detail = null;
    this.recommendations = { state: "idle", items: [] };
    this.assignments = { state: "idle", items: [] };
    this.materials = { state: "idle", items: [] };
    this.checklist = { state: "idle", items: [] };
    this.committed = null;
    this.app.map.setPreview([]);
    this.render();
    if (id !== null) {
      const f = this.app.store.get("incidents", id);
      const at = f ? centreOf(f.geometry) : null;
      if (at) this.app.flyTo(at);
      void this.load(id);
    }
  }

  private toggleCreate(): void {
    this.creating = !this.creating;
    this.createAt = null;
    document.body.classList.toggle("picking", this.creating);
    if (this.creating) this.app.toast(t("incidents.new_hint"));
    this.render();
  }

  private concernsSelected(event: { entity_type: string; entity_id: number | null; payload: Record<string, unknown> }): boolean {
    if (event.entity_type === "incident" && event.entity_id === this.selected) return true;
    const p = event.payload ?? {};
    const feature = p["feature"] as Feature | undefined;
    // Assignments and closures are features; a material request is a plain entity carrying incident_id.
    const owner = feature?.properties?.["incident_id"] ?? (feature as Record<string, unknown> | undefined)?.["incident_id"];
    return p["incident_id"] === this.selected || owner === this.selected;
  }

  private refreshSoon(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      if (this.selected !== null) void this.load(this.selected, true);
    }, 300);
  }

  private scheduleRender(): void {
    if (this.listScheduled) return;
    this.listScheduled = true;
    requestAnimationFrame(() => {
      this.listScheduled = false;
      this.render();
    });
  }

  private async load(id: FeatureId, quiet = false): Promise<void> {
    if (!quiet) {
      this.recommendations = { state: "loading", items: [] };
      this.render();
    }
    const base = `/api/v1/incidents/${id}`;
    const settle = async <B, T>(path: string, parse: (body: B) => T[]): Promise<Section<T>> => {
      try {
        return { state: "ok", items: parse(await get<B>(path)) };
      } catch (error) {
        if (error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 501)) {
          return { state: "unavailable", items: [] };
        }
        return { state: "error", items: [], message: error instanceof Error ? error.message : String(error) };
      }
    };
    let checklist: Checklist | null = null;
    const [detail, recommendations, assignments, materials, checklistItems] = await Promise.all([
      get<Feature>(base).catch(() => null),
      settle(`${base}/recommendations?per_need=3&routes=2`, parseRecommendationGroups),
      settle(`${base}/assignments`, parseAssignments),
      settle(`${base}/material-requests`, parseMaterialRequests),
      settle(`${base}/checklist`, (body: ChecklistReply) => {
        checklist = parseChecklist(body);
        return checklist.items;
      }),
    ]);
    if (this.selected !== id) return;
    const answered = checklist as Checklist | null;
    this.checklist = { ...checklistItems, plan: answered?.plan ?? null };
    if (answered && Number.isFinite(answered.asOf)) this.serverOffsetMs = answered.asOf - Date.now();
    if (detail) {
      this.detail = detail;
      const { timeline: _timeline, ...props } = detail.properties;
      this.app.store.upsert("incidents", { ...detail, properties: props });
    }
    // An incident with no recommendation endpoint at all says "not available"; one whose incident exists
    // but has nothing to recommend says so plainly.
    this.recommendations = recommendations;
    this.assignments = assignments;
    this.materials = materials;
    if (materials.state === "ok" && this.catalogue.length === 0) void this.loadCatalogue();
    this.drawRoutes();
    this.render();
  }

  private async loadCatalogue(): Promise<void> {
    try {
      const body = await get<{ items: { code: string; name: string; name_zh: string; unit: string }[] }>("/api/v1/materials?limit=1000");
      this.catalogue = body.items.map((m) => ({ code: m.code, name: m.name_zh || m.name, unit: m.unit }));
      this.render();
    } catch {
      /* the request form stays hidden */
    }
  }

  /** The recommended routes of the selected incident, dashed (assigned ones are on the live routes layer). */
  private drawRoutes(): void {
    const assigned = new Set(this.assignments.items.filter((a) => a.active).map((a) => a.teamId));
    const features: Feature[] = [];
    const seen = new Set<number>();
    for (const group of this.recommendations.items) {
      for (const r of group.items.slice(0, 3)) {
        if (!r.route || assigned.has(r.teamId) || seen.has(r.teamId)) continue;
        seen.add(r.teamId);
        features.push({ type: "Feature", id: `r${r.teamId}`, geometry: r.route, properties: { kind: "recommended" } });
      }
    }
    this.app.map.setPreview(features);
  }

  render(): void {
    this.createButton.classList.toggle("is-on", this.creating);
    fill(this.createButton, this.creating ? t("incidents.cancel") : t("incidents.new"));
    // Live updates redraw the panel often; what is being typed into its forms survives.
    const restore = keepFormState(this.root);
    fill(this.root, this.createAt ? this.form() : this.selected !== null ? this.view() : this.list());
    restore();
  }

  private list(): HTMLElement {
    const incidents = incidentOrder(this.app.store.features("incidents"));
    if (!incidents.length) return h("ul", { class: "incident-list" }, h("li", { class: "empty" }, t("incidents.empty")));
    return h(
      "ul",
      { class: "incident-list" },
      incidents.map((f) => {
        const p = f.properties;
        return h(
          "li",
          {
            class: `incident status-${p["status"]} ${p["exercise_id"] ? "is-drill" : ""}`,
            "data-id": f.id,
            tabindex: 0,
            onclick: () => this.app.selectIncident(f.id ?? null),
            onkeydown: (e: KeyboardEvent) => {
              if (e.key === "Enter") this.app.selectIncident(f.id ?? null);
            },
          },
          h("span", { class: "dot", style: { background: INCIDENT_STATUS_COLOURS[String(p["status"])] } }),
          h(
            "div",
            { class: "incident-main" },
            h("div", { class: "incident-title" }, String(p["title"] ?? "")),
            h(
              "div",
              { class: "incident-meta" },
              `${label("incident_type", p["type"])} · ${label("incident_status", p["status"])}`,
              p["response_level"] ? ` · ${label("response_level", p["response_level"])}` : "",
              ` · ${clock(p["reported_at"])}`,
            ),
          ),
        );
      }),
    );
  }

  private form(): HTMLElement {
    const at = this.createAt!;
    const options = (group: string, values: string[]) =>
      values.map((v) => h("option", { value: v }, label(group, v)));
    const submit = async (e: SubmitEvent) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const data = new FormData(form);
      const body: Record<string, unknown> = {
        type: data.get("type"),
        title: String(data.get("title") ?? "").trim(),
        location: { type: "Point", coordinates: [Number(at[0].toFixed(6)), Number(at[1].toFixed(6))] },
        reported_by: this.app.operator(),
      };
      if (data.get("response_level")) body["response_level"] = data.get("response_level");
      const description = String(data.get("description") ?? "").trim();
      if (description) body["description"] = description;
      const button = form.querySelector<HTMLButtonElement>("button[type=submit]");
      if (button) button.disabled = true;
      try {
        const created = await post<Feature>("/api/v1/incidents", body);
        const { timeline: _timeline, ...props } = created.properties;
        this.app.store.upsert("incidents", { ...created, properties: props });
        this.app.toast(t("toast.created"));
        this.app.selectIncident(created.id ?? null);
      } catch (error) {
        this.app.fail(error);
        if (button) button.disabled = false;
      }
    };
    return h(
      "form",
      { class: "incident-form", onsubmit: submit },
      h("h3", null, t("incidents.create")),
      h("label", null, t("incidents.form.where"), h("output", { name: "where" }, `${at[0].toFixed(5)}, ${at[1].toFixed(5)}`)),
      h("label", null, t("incidents.form.title"), h("input", { name: "title", required: true, maxlength: 160, autocomplete: "off" })),
      h("label", null, t("incidents.form.type"), h("select", { name: "type" }, options("incident_type", INCIDENT_TYPES))),
      h(
        "label",
        null,
        t("incidents.form.level"),
        h("select", { name: "response_level" }, h("option", { value: "" }, "—"), options("response_level", LEVELS)),
      ),
      h("label", null, t("incidents.form.description"), h("textarea", { name: "description", rows: 3, maxlength: 10000 })),
      h(
        "div",
        { class: "form-actions" },
        h("button", { type: "submit", class: "btn btn-primary" }, t("incidents.form.submit")),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-ghost",
            onclick: () => {
              this.createAt = null;
              this.app.map.select(null);
              this.render();
            },
          },
          t("incidents.cancel"),
        ),
      ),
    );
  }

  private view(): HTMLElement {
    const id = this.selected!;
    const live = this.app.store.get("incidents", id);
    const f = live ?? this.detail;
    if (!f) return h("div", { class: "muted" }, "…");
    const p = f.properties;
    const status = String(p["status"]);
    return h(
      "div",
      { class: `incident-view ${p["exercise_id"] ? "is-drill" : ""}`, "data-id": id },
      h(
        "div",
        { class: "view-nav" },
        h("button", { class: "btn btn-ghost", onclick: () => this.app.selectIncident(null) }, "‹ ", t("incidents.back")),
        h(
          "button",
          {
            class: "btn btn-ghost",
            onclick: () => {
              const at = centreOf(f.geometry);
              if (at) this.app.flyTo(at, 14);
            },
          },
          t("incidents.locate"),
        ),
      ),
      h("h3", { class: "incident-heading" }, String(p["title"] ?? "")),
      h(
        "div",
        { class: "chips" },
        h("span", { class: "chip", style: { background: INCIDENT_STATUS_COLOURS[status], color: "#0b1220" } }, label("incident_status", status)),
        h("span", { class: "chip" }, label("incident_type", p["type"])),
        status === "closed"
          ? p["response_level"]
            ? h("span", { class: "chip" }, label("response_level", p["response_level"]))
            : null
          : h(
              "select",
              {
                // No name: it shows the stored level, never a value kept across a live redraw.
                class: "level-select",
                "aria-label": t("incidents.form.level"),
                onchange: (e: Event) => this.changeLevel(f, (e.target as HTMLSelectElement).value),
              },
              p["response_level"] ? null : h("option", { value: "", selected: true }, `${t("incidents.form.level")} —`),
              LEVELS.map((v) => h("option", { value: v, selected: v === p["response_level"] }, label("response_level", v))),
            ),
      ),
      p["description"] ? h("p", { class: "incident-desc" }, String(p["description"])) : null,
      h(
        "div",
        { class: "status-actions" },
        (INCIDENT_FLOW[status] ?? []).map((next) =>
          h("button", { class: "btn btn-ghost btn-status", "data-status": next, onclick: () => this.changeStatus(f, next) }, t("incidents.status_to", { status: label("incident_status", next) })),
        ),
      ),
      status === "closed" ? this.reopenForm(f) : null,
      this.closeSection(f),
      this.checklistSection(),
      this.recommendationSection(),
      this.assignmentSection(),
      this.materialSection(),
      this.timelineSection(),
    );
  }

  /** What a refused close listed, with the choice to stand it all down and close. */
  private closeSection(f: Feature): HTMLElement | null {
    const c = this.committed;
    if (!c || f.properties["status"] === "closed") return null;
    return h(
      "div",
      { class: "close-blocked", role: "alert" },
      h("p", null, t("close.blocked")),
      h(
        "ul",
        { class: "plain" },
        c.teams.map((x) => h("li", { class: "committed-team" }, `${x.team_name ?? `#${x.team_id}`} · ${label("team_status", x.status)}`)),
        c.materials.map((m) =>
          h(
            "li",
            { class: "committed-material" },
            `${this.materialName(m.material ?? "")} ${num(m.quantity ?? 0, 1)} ${m.unit ?? ""} · ${m.depot_name ?? ""} · ${label("allocation_status", "reserved")}`,
          ),
        ),
      ),
      h(
        "div",
        { class: "form-actions" },
        h("button", { class: "btn btn-primary btn-stand-down", onclick: () => this.changeStatus(f, "closed", true) }, t("close.stand_down")),
        h(
          "button",
          {
            class: "btn btn-ghost",
            onclick: () => {
              this.committed = null;
              this.render();
            },
          },
          t("incidents.cancel"),
        ),
      ),
    );
  }

  private reopenForm(f: Feature): HTMLElement {
    const submit = async (e: SubmitEvent) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const reason = String(new FormData(form).get("reason") ?? "").trim();
      if (!reason) return;
      try {
        const updated = await post<Feature>(`/api/v1/incidents/${f.id}/reopen`, {
          by: this.app.operator(),
          reason,
          version: f.properties["version"],
        });
        form.reset();
        this.accept(updated);
        this.app.toast(t("toast.reopened"));
        if (this.selected !== null) void this.load(this.selected, true);
      } catch (error) {
        this.app.fail(error);
      }
    };
    return h(
      "form",
      { class: "inline-form reopen-form", onsubmit: submit },
      h("input", { name: "reason", required: true, maxlength: 1000, placeholder: t("incidents.reopen_reason"), "aria-label": t("incidents.reopen_reason") }),
      h("button", { type: "submit", class: "btn" }, t("incidents.reopen")),
    );
  }

  /** The response plan's actions with their deadlines; overdue ones stand out; the officer ticks them. */
  private checklistSection(): HTMLElement | null {
    const c = this.checklist;
    if (c.state === "idle" || c.state === "unavailable") return null;
    const title = h("h4", null, t("checklist.title"), c.plan ? h("span", { class: "muted checklist-plan" }, ` · ${c.plan}`) : null);
    if (c.state === "loading") return h("section", { class: "sub checklist" }, title, h("p", { class: "muted" }, "…"));
    if (c.state === "error") return h("section", { class: "sub checklist" }, title, h("p", { class: "muted" }, t("errors.generic", { detail: c.message ?? "" })));
    const now = this.serverNow();
    this.overdueShown = this.overdueKey();
    const overdue = c.items.filter((item) => isOverdue(item, now)).length;
    const done = c.items.filter((item) => item.doneAt !== null).length;
    return h(
      "section",
      { class: "sub checklist" },
      title,
      c.items.length
        ? h("p", { class: `checklist-counts ${overdue ? "has-overdue" : ""}` }, t("checklist.counts", { done, total: c.items.length }), overdue ? h("span", { class: "overdue-count" }, ` · ${t("checklist.overdue_count", { n: overdue })}`) : null)
        : h("p", { class: "muted" }, t("checklist.empty")),
      h(
        "ol",
        { class: "checklist-list" },
        c.items.map((item) => {
          const late = isOverdue(item, now);
          const state = item.doneAt !== null ? "done" : late ? "overdue" : "open";
          const minutesLate = Math.floor((now - Date.parse(item.dueAt)) / 60_000);
          return h(
            "li",
            { class: `check-item is-${state}`, "data-id": item.id, "data-code": item.code, "data-status": state },
            h(
              "button",
              {
                class: "check-tick",
                title: t("checklist.tick"),
                "aria-label": t("checklist.tick"),
                "aria-pressed": item.doneAt !== null ? "true" : "false",
                disabled: item.doneAt !== null || this.ticking.has(item.id),
                onclick: () => this.tick(item),
              },
              item.doneAt !== null ? "✓" : "",
            ),
            h(
              "div",
              { class: "check-main" },
              h("div", { class: "check-action" }, item.action),
              h(
                "div",
                { class: "check-meta" },
                label("duty_role", item.role),
                " · ",
                item.doneAt !== null
                  ? t("checklist.done_at", { at: clock(item.doneAt), who: item.doneBy ?? "—" })
                  : late
                    ? h("span", { class: "overdue-by" }, t("checklist.overdue_by", { due: clock(item.dueAt), min: Math.max(minutesLate, 1) }))
                    : t("checklist.due", { due: clock(item.dueAt) }),
              ),
            ),
          );
        }),
      ),
    );
  }

  private async tick(item: ChecklistItem): Promise<void> {
    const incident = this.selected;
    if (incident === null || this.ticking.has(item.id)) return;
    this.ticking.add(item.id);
    this.render();
    try {
      const body: Record<string, unknown> = { by: this.app.operator() };
      if (item.version !== null) body["version"] = item.version;
      await post(`/api/v1/incidents/${incident}/checklist/${item.id}/done`, body, newKey());
      this.app.toast(t("toast.action_done", { action: item.action }));
    } catch (error) {
      this.app.fail(error);
    } finally {
      this.ticking.delete(item.id);
      if (this.selected === incident) await this.load(incident, true);
    }
  }

  private materialName(code: string): string {
    return this.catalogue.find((c) => c.code === code)?.name ?? code;
  }

  private recommendationSection(): HTMLElement {
    const r = this.recommendations;
    const assigned = new Set(this.assignments.items.filter((a) => a.active).map((a) => a.teamId));
    let body: Node | Node[];
    if (r.state === "loading" || r.state === "idle") body = h("p", { class: "muted" }, t("reco.loading"));
    else if (r.state === "unavailable") body = h("p", { class: "muted reco-unavailable" }, t("reco.unavailable"));
    else if (r.state === "error") body = h("p", { class: "muted" }, t("errors.generic", { detail: r.message ?? "" }));
    else if (!r.items.some((g) => g.items.length)) body = h("p", { class: "muted" }, t("reco.empty"));
    else body = r.items.map((group) => this.group(group, assigned));
    return h("section", { class: "sub recommendations" }, h("h4", null, t("reco.title")), body);
  }

  private needTitle(group: RecommendationGroup): string | null {
    return group.need === null ? null : getLang() === "zh" && group.label ? group.label : label("capability", group.need);
  }

  private group(group: RecommendationGroup, assigned: Set<number | null>): HTMLElement {
    const title = this.needTitle(group);
    const elsewhere = (need: string): string => {
      const other = this.recommendations.items.find((g) => g.need === need);
      return (other && this.needTitle(other)) ?? need;
    };
    return h(
      "div",
      { class: `reco-group ${group.met ? "is-met" : ""}`, "data-need": group.need ?? "" },
      title
        ? h(
            "div",
            { class: "reco-need" },
            h("span", null, title),
            group.minHeadcount
              ? h("span", { class: "muted" }, t("reco.headcount", { need: group.minHeadcount, sent: group.assignedHeadcount ?? 0 }))
              : null,
            group.shortHeadcount ? h("span", { class: "missing reco-short" }, t("reco.short", { n: group.shortHeadcount })) : null,
          )
        : null,
      h(
        "ol",
        { class: "reco-list" },
        group.items.map((rec) => {
          const team = this.app.store.get("teams", rec.teamId);
          const status = String(team?.properties["status"] ?? rec.status ?? "available");
          const done = assigned.has(rec.teamId) || (status !== "available" && status !== "returning");
          return h(
            "li",
            { class: `reco ${rec.suggested ? "is-suggested" : ""}`, "data-team-id": rec.teamId },
            h(
              "div",
              { class: "reco-main" },
              h("span", { class: "dot", style: { background: TEAM_STATUS_COLOURS[status] ?? "#94a3b8" } }),
              h("span", { class: "reco-name", onclick: () => this.app.showDetails("teams", rec.teamId) }, rec.name),
              h(
                "span",
                { class: "reco-eta" },
                rec.etaS !== null
                  ? t("reco.eta", { min: num(rec.etaS / 60, 1) })
                  : rec.reachable
                    ? ""
                    : h("span", { title: rec.unreachableReason ?? "" }, t("reco.unreachable")),
                rec.distanceM !== null ? ` · ${t("reco.distance", { km: num(rec.distanceM / 1000, 1) })}` : "",
              ),
            ),
            h(
              "div",
              { class: "reco-why" },
              rec.suggested ? h("span", { class: "chip chip-suggested" }, t("reco.suggested")) : null,
              !rec.suggested && rec.chosenFor && rec.chosenFor !== group.need
                ? h("span", { class: "chip reco-chosen-elsewhere" }, t("reco.chosenFor", { need: elsewhere(rec.chosenFor) }))
                : null,
              rec.lacking.length
                ? h(
                    "span",
                    { class: "missing reco-lacking" },
                    t("reco.lacking", { items: rec.lacking.map((x) => (getLang() === "zh" ? x.labelZh : x.label)).join("、") }),
                  )
                : null,
              rec.missing.length
                ? h("span", { class: "missing" }, t("reco.missing", { caps: rec.missing.map((c) => label("capability", c)).join("、") }))
                : rec.matched.length
                  ? h("span", null, rec.matched.map((c) => label("capability", c)).join("、"))
                  : null,
            ),
            h(
              "button",
              {
                class: `btn ${done ? "btn-ghost" : "btn-primary"} btn-dispatch`,
                disabled: done || !rec.reachable || this.dispatching.has(rec.teamId),
                onclick: () => this.dispatch(rec, group.need),
              },
              done ? t("reco.dispatched") : t("reco.dispatch"),
            ),
          );
        }),
      ),
    );
  }

  private assignmentSection(): HTMLElement | null {
    const a = this.assignments;
    if (a.state === "unavailable" || a.state === "idle") return null;
    return h(
      "section",
      { class: "sub assignments" },
      h("h4", null, t("assign.title")),
      a.items.length
        ? h(
            "ul",
            { class: "plain" },
            a.items.map((x) => {
              const team = x.teamId !== null ? this.app.store.get("teams", x.teamId) : undefined;
              const teamStatus = String(team?.properties["status"] ?? x.status ?? "");
              return h(
                "li",
                { class: "assignment", "data-team-id": x.teamId },
                h("span", { class: "dot", style: { background: TEAM_STATUS_COLOURS[teamStatus] ?? "#94a3b8" } }),
                `${x.teamName ?? team?.properties["name"] ?? `#${x.teamId}`} · ${label("team_status", teamStatus)}`,
                x.etaS !== null ? ` · ${t("reco.eta", { min: num(x.etaS / 60, 1) })}` : "",
              );
            }),
          )
        : h("p", { class: "muted" }, t("assign.empty")),
    );
  }

  private materialSection(): HTMLElement | null {
    const m = this.materials;
    if (m.state === "idle" || m.state === "loading") return null;
    if (m.state === "unavailable") {
      return h("section", { class: "sub materials" }, h("h4", null, t("materials.title")), h("p", { class: "muted" }, t("materials.unavailable")));
    }
    const request = async (e: SubmitEvent) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const data = new FormData(form);
      try {
        await post(
          `/api/v1/incidents/${this.selected}/material-requests`,
          { items: [{ material: data.get("material"), quantity: Number(data.get("quantity")) }], requested_by: this.app.operator() },
          newKey(),
        );
        form.reset();
        this.app.toast(t("toast.requested"));
        if (this.selected !== null) void this.load(this.selected, true);
      } catch (error) {
        this.app.fail(error);
      }
    };
    return h(
      "section",
      { class: "sub materials" },
      h("h4", null, t("materials.title")),
      m.items.length
        ? h(
            "ul",
            { class: "plain" },
            m.items.map((x) =>
              h(
                "li",
                null,
                `${x.name ?? this.catalogue.find((c) => c.code === x.material)?.name ?? x.material} ${num(x.quantity, 1)} ${x.unit ?? this.catalogue.find((c) => c.code === x.material)?.unit ?? ""}`,
                x.status ? ` · ${label("allocation_status", x.status)}` : "",
                x.depots.length ? ` · ${x.depots.join("、")}` : "",
                x.shortage ? h("span", { class: "missing" }, ` · ${t("materials.shortage", { q: num(x.shortage, 1) })}`) : null,
              ),
            ),
          )
        : h("p", { class: "muted" }, t("materials.empty")),
      this.catalogue.length
        ? h(
            "form",
            { class: "inline-form", onsubmit: request },
            h("select", { name: "material", "aria-label": t("materials.material") }, this.catalogue.map((c) => h("option", { value: c.code }, `${c.name} (${c.unit})`))),
            h("input", { name: "quantity", type: "number", min: 0.001, step: "any", required: true, "aria-label": t("materials.quantity"), placeholder: t("materials.quantity") }),
            h("button", { type: "submit", class: "btn" }, t("materials.request")),
          )
        : null,
    );
  }

  private timelineSection(): HTMLElement {
    const items = (this.detail?.properties["timeline"] as Record<string, unknown>[] | undefined) ?? [];
    const addNote = async (e: SubmitEvent) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const text = String(new FormData(form).get("text") ?? "").trim();
      if (!text) return;
      try {
        await post(`/api/v1/incidents/${this.selected}/timeline`, { text, author: this.app.operator() });
        form.reset();
        this.app.toast(t("toast.note_added"));
        if (this.selected !== null) void this.load(this.selected, true);
      } catch (error) {
        this.app.fail(error);
      }
    };
    return h(
      "section",
      { class: "sub timeline" },
      h("h4", null, t("incidents.timeline")),
      h(
        "ol",
        { class: "timeline-list" },
        [...items].reverse().map((item) =>
          h(
            "li",
            null,
            h("time", null, clock(item["at"])),
            h("span", { class: `tl-text tl-${String(item["kind"] ?? "")}`, "data-type": String(item["type"] ?? "") }, timelineText(item, (code) => this.materialName(code))),
            item["author"] || item["actor"] ? h("span", { class: "tl-who" }, String(item["author"] ?? item["actor"])) : null,
          ),
        ),
      ),
      h(
        "form",
        { class: "inline-form", onsubmit: addNote },
        h("input", { name: "text", placeholder: t("incidents.note_placeholder"), maxlength: 10000, "aria-label": t("incidents.note") }),
        h("button", { type: "submit", class: "btn" }, t("incidents.note")),
      ),
    );
  }

  private accept(updated: Feature): void {
    this.detail = updated;
    const { timeline: _timeline, ...props } = updated.properties;
    this.app.store.upsert("incidents", { ...updated, properties: props });
  }

  /** A new response level: its plan's checklist opens with it. */
  private async changeLevel(f: Feature, level: string): Promise<void> {
    if (!level) return;
    try {
      const updated = await request<Feature>(`/api/v1/incidents/${f.id}`, {
        method: "PATCH",
        body: { response_level: level, version: f.properties["version"] },
      });
      this.accept(updated);
      this.app.toast(t("toast.level_changed", { level: label("response_level", level) }));
    } catch (error) {
      this.app.fail(error);
    } finally {
      if (this.selected !== null) void this.load(this.selected, true);
    }
  }

  private async changeStatus(f: Feature, status: string, standDown = false): Promise<void> {
    try {
      const body: Record<string, unknown> = { status, by: this.app.operator(), version: f.properties["version"] };
      if (standDown) body["stand_down"] = true;
      const updated = await post<Feature>(`/api/v1/incidents/${f.id}/status`, body);
      this.committed = null;
      this.accept(updated);
      if (standDown) this.app.toast(t("toast.stood_down"));
      this.render();
      if (status === "closed" && this.selected !== null) void this.load(this.selected, true);
    } catch (error) {
      const problem = error instanceof ApiError && error.status === 409 ? (error.body as Partial<Committed> | null) : null;
      if (problem && (problem.teams?.length || problem.materials?.length)) {
        // Still committed: say what, and offer to stand it all down with the close.
        this.committed = { teams: problem.teams ?? [], materials: problem.materials ?? [] };
        this.render();
        return;
      }
      this.app.fail(error);
      if (this.selected !== null) void this.load(this.selected, true);
    }
  }

  private async dispatch(rec: Recommendation, need: string | null): Promise<void> {
    const incident = this.selected;
    if (incident === null || this.dispatching.has(rec.teamId)) return;
    const slot = `${incident}:${rec.teamId}`;
    const key = this.dispatchKeys.get(slot) ?? newKey();
    this.dispatchKeys.set(slot, key);
    this.dispatching.add(rec.teamId);
    this.render();
    try {
      const body: Record<string, unknown> = { team_id: rec.teamId, assigned_by: this.app.operator() };
      if (need) body["need"] = need;
      const made = await post<Feature>(`/api/v1/incidents/${incident}/assignments`, body, key);
      if (made?.type === "Feature") this.app.store.upsert("routes", made);
      this.dispatchKeys.delete(slot);
      this.app.toast(t("toast.dispatched", { team: rec.name }));
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) this.dispatchKeys.delete(slot);
      this.app.fail(error);
    } finally {
      this.dispatching.delete(rec.teamId);
      if (this.selected === incident) await this.load(incident, true);
    }
  }
}

export const incidentTypes = INCIDENT_TYPES;

type Details = Record<string, unknown>;

const text = (v: unknown): string => (v === null || v === undefined ? "—" : String(v));

/** A quantity as people read it: 20, 2.5 (never 20.000). */
const amount = (v: unknown): string => (typeof v === "number" ? String(Math.round(v * 1000) / 1000) : text(v));

/** An event of the incident's timeline in the reader's language, from the facts the server sent. */
function eventText(type: string, d: Details, materialName: (code: string) => string): string | null {
  const team = text(d["team_name"] ?? (d["team_id"] !== undefined ? `#${text(d["team_id"])}` : null));
  switch (type) {
    case "incident.updated": {
      const changes = (d["changes"] ?? {}) as Record<string, { from?: unknown; to?: unknown }>;
      const level = changes["response_level"];
      const parts = Object.keys(changes).map((field) =>
        field === "response_level" && level
          ? t("timeline.level", { from: label("response_level", level.from), to: label("response_level", level.to) })
          : t(`field.${field}`) !== `field.${field}` ? t(`field.${field}`) : field,
      );
      return parts.length ? t("timeline.edited", { fields: parts.join("、") }) : null;
    }
    case "incident.checklist_opened":
      return d["plan"] ? t("timeline.checklist_opened_plan", { plan: text(d["plan"]) }) : null;
    case "incident.action_done": {
      if (!d["action"]) return null;
      const line = t(d["automatic"] ? "timeline.action_done_auto" : "timeline.action_done", { action: text(d["action"]) });
      return d["late"] ? `${line}（${t("timeline.late")}）` : line;
    }
    case "incident.reopened":
      return t("timeline.reopened", { reason: text(d["reason"]) });
    case "incident.stood_down":
      return t("timeline.stood_down", { teams: text(d["teams"]), materials: text(d["materials"]) });
    case "assignment.created":
      return t("timeline.dispatched", { team });
    case "assignment.status_changed":
      return t("timeline.team_step", { team, from: label("assignment_status", d["from"]), to: label("assignment_status", d["to"]) });
    case "assignment.rerouted":
      return t("timeline.rerouted", { team });
    case "material_request.created": {
      const items = Array.isArray(d["items"]) ? (d["items"] as Details[]) : [];
      const listed = items.map((i) => {
        const line = `${materialName(text(i["material"]))} ${amount(i["quantity"])}${i["unit"] ? ` ${text(i["unit"])}` : ""}`;
        return i["shortage"] ? `${line}（${t("materials.shortage", { q: amount(i["shortage"]) })}）` : line;
      });
      return t("timeline.materials_requested", { items: listed.join("、") });
    }
    case "material_request.allocation_dispatched":
    case "material_request.allocation_delivered":
    case "material_request.allocation_cancelled":
      return t("timeline.allocation", {
        material: materialName(text(d["material"])),
        q: amount(d["quantity"]),
        depot: text(d["depot_name"]),
        status: label("allocation_status", d["to"]),
      });
    case "closure.created":
      return t(d["kind"] === "danger_zone" ? "timeline.danger_zone" : "timeline.closure", { reason: text(d["reason"]) });
    case "closure.lifted":
      return t(d["kind"] === "danger_zone" ? "timeline.danger_zone_lifted" : "timeline.closure_lifted");
    default:
      return null;
  }
}

/** A timeline line in the reader's language: status changes and known events are worded here. */
export function timelineText(item: Record<string, unknown>, materialName: (code: string) => string = (code) => code): string {
  const raw = String(item["text"] ?? "");
  const status = /^status: (\w+) → (\w+)$/.exec(raw);
  if (item["kind"] === "status" && status) {
    return t("timeline.status", { from: label("incident_status", status[1]), to: label("incident_status", status[2]) });
  }
  const type = typeof item["type"] === "string" ? item["type"] : null;
  if (type === "incident.created") {
    const title = raw.startsWith("reported: ") ? raw.slice("reported: ".length) : "";
    return title ? t("timeline.reported_title", { title }) : t("timeline.reported");
  }
  const details = item["details"];
  if (type && details && typeof details === "object") {
    const worded = eventText(type, details as Details, materialName);
    if (worded) return worded;
  }
  if (type === "incident.updated" && raw.startsWith("edited: ")) {
    return t("timeline.edited", { fields: raw.slice("edited: ".length) });
  }
  if (type && t(`timeline.${type}`) !== `timeline.${type}`) return t(`timeline.${type}`);
  return raw || type || String(item["kind"] ?? "");
}
