// Reading what the dispatch endpoints answer (recommendations, assignments, material requests) into one
// shape for the panel, tolerant of the exact field names, so the console keeps working as they evolve.

import type { Geometry } from "./types";

export interface Recommendation {
  teamId: number;
  name: string;
  etaS: number | null;
  distanceM: number | null;
  need: string | null;
  matched: string[];
  missing: string[];
  route: Geometry | null;
  status: string | null;
  suggested: boolean;
  reachable: boolean;
  /** The need this team is chosen for, when one team counts for one need (maybe another need). */
  chosenFor: string | null;
  /** Equipment the chemical calls for that this team lacks (labels in both languages). */
  lacking: { label: string; labelZh: string }[];
  /** Why it cannot be routed to the incident. */
  unreachableReason: string | null;
}

export interface RecommendationGroup {
  need: string | null;
  label: string | null;
  minHeadcount: number | null;
  assignedHeadcount: number | null;
  met: boolean | null;
  /** People still missing for this need once the chosen teams are counted. */
  shortHeadcount: number | null;
  items: Recommendation[];
}

export interface Assignment {
  id: number | string | null;
  teamId: number | null;
  teamName: string | null;
  status: string | null;
  etaS: number | null;
  route: Geometry | null;
  at: string | null;
  active: boolean;
}

export interface MaterialRequest {
  id: number | string | null;
  material: string;
  name: string | null;
  quantity: number | null;
  unit: string | null;
  status: string | null;
  allocated: number | null;
  shortage: number | null;
  depots: string[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const num = (...values: unknown[]): number | null => {
  for (const v of values) if (typeof v === "number" && Number.isFinite(v)) return v;
  return null;
};

const str = (...values: unknown[]): string | null => {
  for (const v of values) if (typeof v === "string" && v) return v;
  return null;
};

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === "string") : []);

function geometry(...values: unknown[]): Geometry | null {
  for (const v of values) {
    if (!isObj(v)) continue;
    if (v["type"] === "Feature" && isObj(v["geometry"])) return v["geometry"] as unknown as Geometry;
    if (typeof v["type"] === "string" && "coordinates" in v) return v as unknown as Geometry;
    if (isObj(v["geometry"])) return v["geometry"] as unknown as Geometry;
  }
  return null;
}

/** The list inside an answer: a bare array, or under items/features/one of `keys`; features are flattened. */
export function itemsOf(body: unknown, ...keys: string[]): Obj[] {
  let list: unknown = body;
  if (isObj(body)) {
    for (const key of ["items", "features", ...keys]) {
      if (Array.isArray(body[key])) {
        list = body[key];
        break;
      }
    }
  }
  if (!Array.isArray(list)) return [];
  return list.filter(isObj).map((item) =>
    item["type"] === "Feature" && isObj(item["properties"])
      ? { ...item["properties"], geometry: item["geometry"], id: item["id"] ?? item["properties"]["id"] }
      : item,
  );
}

function seconds(item: Obj): number | null {
  const s = num(item["eta_s"], item["eta_seconds"], item["travel_time_s"], item["duration_s"], item["time_s"]);
  if (s !== null) return s;
  const min = num(item["eta_min"], item["eta_minutes"], item["travel_time_min"]);
  return min !== null ? min * 60 : null;
}

function team(item: Obj): Obj {
  return isObj(item["team"]) ? (item["team"] as Obj) : {};
}

function recommendation(item: Obj, need: string | null): Recommendation | null {
  const t = team(item);
  const teamProps = isObj(t["properties"]) ? (t["properties"] as Obj) : t;
  const teamId = num(item["team_id"], teamProps["id"], t["id"], item["id"]);
  if (teamId === null) return null;
  return {
    teamId,
    name: str(item["team_name"], item["name"], teamProps["name"]) ?? `#${teamId}`,
    etaS: seconds(item),
    distanceM: num(item["distance_m"], item["distance"], isObj(item["route"]) ? (item["route"] as Obj)["distance_m"] : null),
    need: need ?? str(item["need"], item["for"]),
    matched: strings(item["matched"] ?? item["capabilities_matched"] ?? item["matched_capabilities"]),
    missing: strings(item["missing"] ?? item["capabilities_missing"] ?? item["missing_capabilities"]),
    route: geometry(item["route"], item["route_geometry"], item["geometry"]),
    status: str(item["status"], teamProps["status"]),
    suggested: item["suggested"] === true,
    reachable: item["reachable"] !== false,
    chosenFor: str(item["chosen_for"]),
    lacking: lackingOf(item["equipment_fit"]),
    unreachableReason: str(item["unreachable_reason"]),
  };
}

function lackingOf(fit: unknown): { label: string; labelZh: string }[] {
  if (!isObj(fit) || !Array.isArray(fit["lacking"])) return [];
  return fit["lacking"].filter(isObj).map((x) => {
    const label = str(x["label"], x["code"]) ?? "?";
    return { label, labelZh: str(x["label_zh"]) ?? label };
  });
}

/**
 * Recommendations grouped by the plan's needs (`{"needs": [{"need", "label", "candidates": [...]}]}`),
 * fastest first within each; a flat list of teams makes one group without a need.
 */
export function parseRecommendationGroups(body: unknown): RecommendationGroup[] {
  const groups = isObj(body) ? (body["needs"] ?? body["groups"]) : null;
  if (Array.isArray(groups)) {
    return groups.filter(isObj).map((group) => {
      const need = str(group["need"], group["name"], group["capability"]);
      return {
        need,
        label: str(group["label"]),
        minHeadcount: num(group["min_headcount"]),
        assignedHeadcount: num(group["assigned_headcount"]),
        met: typeof group["met"] === "boolean" ? group["met"] : null,
        shortHeadcount: num(group["short_headcount"]),
        items: itemsOf(group, "candidates", "teams", "recommendations")
          .map((item) => recommendation(item, need))
          .filter((r): r is Recommendation => r !== null),
      };
    });
  }
  const items = itemsOf(body, "recommendations", "teams", "candidates")
    .map((item) => recommendation(item, null))
    .filter((r): r is Recommendation => r !== null);
  return items.length
    ? [{ need: null, label: null, minHeadcount: null, assignedHeadcount: null, met: null, shortHeadcount: null, items }]
    : [];
}

/** Every recommended team once, in the order the groups list them. */
export function parseRecommendations(body: unknown): Recommendation[] {
  const seen = new Set<number>();
  return parseRecommendationGroups(body)
    .flatMap((g) => g.items)
    .filter((r) => !seen.has(r.teamId) && seen.add(r.teamId) !== undefined);
}

export function parseAssignments(body: unknown): Assignment[] {
  return itemsOf(body, "assignments").map((item) => {
    const t = team(item);
    return {
      id: (item["id"] as number | string | undefined) ?? null,
      teamId: num(item["team_id"], t["id"]),
      teamName: str(item["team_name"], t["name"], isObj(t["properties"]) ? (t["properties"] as Obj)["name"] : null),
      status: str(item["status"], item["state"]),
      etaS: seconds(item),
      route: geometry(item["route"], item["route_geometry"], item["geometry"]),
      at: str(item["assigned_at"], item["created_at"], item["at"]),
      active: item["active"] !== false,
    };
  });
}

/** One line per material asked for, with where it comes from and what is still short. */
export function parseMaterialRequests(body: unknown): MaterialRequest[] {
  const out: MaterialRequest[] = [];
  for (const request of itemsOf(body, "requests", "material_requests")) {
    const allocations = itemsOf(request["allocations"] ?? []).filter((a) => a["status"] !== "cancelled");
    const lines = Array.isArray(request["items"]) ? request["items"].filter(isObj) : [request];
    for (const line of lines) {
      const material = str(line["material"], line["material_code"], line["code"]) ?? "?";
      const mine = allocations.filter((a) => (a["material"] ?? material) === material);
      out.push({
        id: (request["id"] as number | string | undefined) ?? null,
        material,
        name: str(line["material_name"], line["name_zh"], line["name"]),
        quantity: num(line["quantity"], line["requested"]),
        unit: str(line["unit"]),
        status: str(...mine.map((a) => a["status"]), request["status"]),
        allocated: num(line["allocated"], line["quantity_allocated"]),
        shortage: num(line["outstanding"], line["shortage"], line["short"]),
        depots: mine
          .map((a) => {
            const name = str(a["depot_name"], isObj(a["depot"]) ? (a["depot"] as Obj)["name"] : null) ?? `#${a["depot_id"]}`;
            const q = num(a["quantity"]);
            return q === null ? name : `${name} ${q}`;
          }),
      });
    }
  }
  return out;
}

/** One action of the incident's response-plan checklist. */
export interface ChecklistItem {
  id: number;
  code: string;
  action: string;
  role: string;
  dueAt: string;
  doneAt: string | null;
  doneBy: string | null;
  version: number | null;
}

export interface Checklist {
  plan: string | null;
  level: string | null;
  /** The server's time when it answered, as milliseconds since the epoch (NaN when not said). */
  asOf: number;
  items: ChecklistItem[];
}

/** The answer of `GET /incidents/{id}/checklist`, oldest deadline first. */
export function parseChecklist(body: unknown): Checklist {
  const obj = isObj(body) ? body : {};
  const items = itemsOf(obj)
    .map((item): ChecklistItem | null => {
      const id = num(item["id"]);
      const dueAt = str(item["due_at"]);
      if (id === null || dueAt === null) return null;
      return {
        id,
        code: str(item["code"]) ?? "",
        action: str(item["action"]) ?? "",
        role: str(item["role"]) ?? "",
        dueAt,
        doneAt: str(item["done_at"]),
        doneBy: str(item["done_by"]),
        version: num(item["version"]),
      };
    })
    .filter((item): item is ChecklistItem => item !== null)
    .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || a.id - b.id);
  return { plan: str(obj["plan"]), level: str(obj["response_level"]), asOf: Date.parse(String(obj["as_of"] ?? "")), items };
}

/** Not done and past its deadline at `now` (milliseconds, on the server's clock). */
export function isOverdue(item: ChecklistItem, now: number): boolean {
  return item.doneAt === null && Date.parse(item.dueAt) < now;
}
