// Reading what the dispatch endpoints answer (recommendations, assignments, material requests) into the
// shapes the panel draws; the answers' types are generated from the API's OpenAPI document.

import type { Reply } from "./api";
import type { Geometry } from "./types";

export type RecommendationsReply = Reply<"/api/v1/incidents/{incident_id}/recommendations">;
export type AssignmentsReply = Reply<"/api/v1/incidents/{incident_id}/assignments">;
export type MaterialRequestsReply = Reply<"/api/v1/incidents/{incident_id}/material-requests">;
export type Candidate = RecommendationsReply["needs"][number]["candidates"][number];

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

function recommendation(c: Candidate, need: string): Recommendation {
  return {
    teamId: c.team_id,
    name: c.name,
    etaS: c.eta_s,
    distanceM: c.distance_m,
    need,
    matched: c.matched,
    missing: c.missing,
    route: c.route?.geometry ?? null,
    status: null,
    suggested: c.suggested,
    reachable: c.reachable,
    chosenFor: c.chosen_for,
    lacking: (c.equipment_fit?.lacking ?? []).map((x) => ({ label: x.label, labelZh: x.label_zh })),
    unreachableReason: c.unreachable_reason,
  };
}

/** Recommendations grouped by the plan's needs, fastest first within each. */
export function parseRecommendationGroups(body: RecommendationsReply): RecommendationGroup[] {
  return body.needs.map((group) => ({
    need: group.need,
    label: group.label,
    minHeadcount: group.min_headcount,
    assignedHeadcount: group.assigned_headcount,
    met: group.met,
    shortHeadcount: group.short_headcount,
    items: group.candidates.map((c) => recommendation(c, group.need)),
  }));
}

/** Every recommended team once, in the order the groups list them. */
export function parseRecommendations(body: RecommendationsReply): Recommendation[] {
  const seen = new Set<number>();
  return parseRecommendationGroups(body)
    .flatMap((g) => g.items)
    .filter((r) => !seen.has(r.teamId) && seen.add(r.teamId) !== undefined);
}

export function parseAssignments(body: AssignmentsReply): Assignment[] {
  return body.features.flatMap((feature) => {
    const p = feature.properties;
    if (!p) return [];
    return [
      {
        id: feature.id ?? p.id,
        teamId: p.team_id,
        teamName: p.team_name,
        status: p.status,
        etaS: p.eta_s,
        route: feature.geometry,
        at: p.assigned_at,
        active: p.active,
      },
    ];
  });
}

/** One line per material asked for, with where it comes from and what is still short. */
export function parseMaterialRequests(body: MaterialRequestsReply): MaterialRequest[] {
  return body.items.flatMap((request) => {
    const allocations = request.allocations.filter((a) => a.status !== "cancelled");
    return request.items.map((line) => {
      const mine = allocations.filter((a) => a.material === line.material);
      return {
        id: request.id,
        material: line.material,
        name: null,
        quantity: line.quantity,
        unit: null,
        status: mine[0]?.status ?? null,
        allocated: line.allocated,
        shortage: line.outstanding,
        depots: mine.map((a) => `${a.depot_name ?? `#${a.depot_id}`} ${a.quantity}`),
      };
    });
  });
}

export type ChecklistReply = Reply<"/api/v1/incidents/{incident_id}/checklist">;

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
export function parseChecklist(body: ChecklistReply): Checklist {
  const items = body.items
    .map(
      (item): ChecklistItem => ({
        id: item.id,
        code: item.code,
        action: item.action,
        role: item.role,
        dueAt: item.due_at,
        doneAt: item.done_at,
        doneBy: item.done_by,
        version: item.version,
      }),
    )
    .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || a.id - b.id);
  return { plan: body.plan, level: body.response_level, asOf: Date.parse(body.as_of), items };
}

/** Not done and past its deadline at `now` (milliseconds, on the server's clock). */
export function isOverdue(item: ChecklistItem, now: number): boolean {
  return item.doneAt === null && Date.parse(item.dueAt) < now;
}
