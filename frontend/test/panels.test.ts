import { describe, expect, it } from "vitest";

import { parseReadings } from "../src/chart";
import {
  parseAssignments,
  parseMaterialRequests,
  parseRecommendationGroups,
  parseRecommendations,
  type AssignmentsReply,
  type Candidate,
  type MaterialRequestsReply,
  type RecommendationsReply,
} from "../src/dispatch";
import type { Feature } from "../src/types";
import { feedOrder, newestUnacknowledgedRed } from "../src/ui/feed";
import { setLang } from "../src/i18n";
import { incidentOrder, timelineText } from "../src/ui/incidents";

const warning = (id: number, level: string, status: string, issued: string): Feature => ({
  type: "Feature",
  id,
  geometry: { type: "Point", coordinates: [118.9, 25.1] },
  properties: { id, level, status, issued_at: issued, version: 1 },
});

describe("warning feed", () => {
  const warnings = [
    warning(1, "yellow", "active", "2026-11-22T10:00:00Z"),
    warning(2, "red", "acknowledged", "2026-11-22T10:05:00Z"),
    warning(3, "red", "active", "2026-11-22T10:01:00Z"),
    warning(4, "blue", "cleared", "2026-11-22T10:09:00Z"),
    warning(5, "red", "active", "2026-11-22T10:02:00Z"),
    warning(6, "orange", "active", "2026-11-22T10:08:00Z"),
  ];

  it("puts what waits for acknowledgement first, most severe and newest first; cleared ones leave", () => {
    expect(feedOrder(warnings).map((w) => w.id)).toEqual([5, 3, 6, 1, 2]);
  });

  it("raises the newest red warning nobody has acknowledged", () => {
    const { warning: newest, others } = newestUnacknowledgedRed(warnings);
    expect(newest?.id).toBe(5);
    expect(others).toBe(1);
    expect(newestUnacknowledgedRed(warnings.filter((w) => w.id !== 3 && w.id !== 5)).warning).toBeNull();
  });
});

describe("incident list", () => {
  it("shows open incidents first, newest first", () => {
    const inc = (id: number, status: string, at: string): Feature => ({
      type: "Feature",
      id,
      geometry: null,
      properties: { status, reported_at: at },
    });
    const order = incidentOrder([
      inc(1, "closed", "2026-11-22T12:00:00Z"),
      inc(2, "reported", "2026-11-22T09:00:00Z"),
      inc(3, "responding", "2026-11-22T11:00:00Z"),
    ]);
    expect(order.map((f) => f.id)).toEqual([3, 2, 1]);
  });
});

describe("incident timeline", () => {
  it("words status changes and known events in the reader's language", () => {
    expect(timelineText({ kind: "status", text: "status: confirmed → responding" })).toBe("状态：已核实 → 处置中");
    expect(timelineText({ kind: "event", type: "incident.created", text: "reported: 储罐泄漏" })).toBe("事件上报：储罐泄漏");
    expect(timelineText({ kind: "event", type: "incident.checklist_opened", text: "checklist opened" })).toBe("预案处置清单已启动");
    expect(timelineText({ kind: "note", text: "已设置警戒区" })).toBe("已设置警戒区");
    expect(timelineText({ kind: "event", type: "incident.something_new", text: "something new" })).toBe("something new");
    setLang("en");
    expect(timelineText({ kind: "status", text: "status: reported → confirmed" })).toBe("status: reported → confirmed");
    setLang("zh");
  });
});

type Need = RecommendationsReply["needs"][number];
type AssignmentFeature = AssignmentsReply["features"][number];
type MaterialRequestBody = MaterialRequestsReply["items"][number];
type Allocation = MaterialRequestBody["allocations"][number];

const AT = "2026-11-22T10:00:00+08:00";

const candidate = (c: Pick<Candidate, "team_id" | "name"> & Partial<Candidate>): Candidate => ({
  rank: 1,
  kind: "professional",
  tier: "district",
  headcount: 10,
  position: [118.9, 25.1],
  reachable: true,
  eta_s: null,
  distance_m: null,
  matched: [],
  missing: [],
  suggested: false,
  chosen_for: null,
  equipment_fit: null,
  unreachable_reason: null,
  route: null,
  ...c,
});

const need = (n: Pick<Need, "need" | "candidates"> & Partial<Need>): Need => ({
  label: null,
  capabilities: [],
  min_headcount: 0,
  assigned_headcount: 0,
  suggested_headcount: 0,
  suggested_team_ids: [],
  short_headcount: 0,
  covered_eta_s: null,
  met: false,
  candidates_total: n.candidates.length,
  ...n,
});

const recommendations = (needs: Need[]): RecommendationsReply => ({
  incident_id: 3,
  plan: { id: 1, name: "火灾 III级", incident_type: "fire", response_level: "III", level_assumed: false },
  needs,
  chosen: [],
  missing: [],
  chemicals: [],
  equipment_needed_for_hazmat: [],
  unreachable_reason: null,
  approach: null,
  available_teams: 12,
  network: { nodes: 100, edges: 200, closed_segments: 0 },
  as_of: AT,
});

const allocation = (a: Pick<Allocation, "depot_name" | "material" | "quantity" | "status">): Allocation => ({
  id: 1,
  request_id: 1,
  incident_id: 3,
  depot_id: 7,
  eta_s: 600,
  distance_m: 8000,
  reserved_at: AT,
  dispatched_at: null,
  delivered_at: null,
  cancelled_at: null,
  version: 1,
  ...a,
});

describe("dispatch answers", () => {
  it("reads the plan's needs with their ranked candidates, as GET /incidents/{id}/recommendations answers", () => {
    const groups = parseRecommendationGroups(
      recommendations([
        need({
          need: "fire",
          label: "灭火救援",
          min_headcount: 30,
          met: true,
          candidates: [
            candidate({
              team_id: 1,
              name: "消防救援大队",
              eta_s: 312.4,
              distance_m: 4100,
              matched: ["firefighting"],
              suggested: true,
              route: {
                type: "Feature",
                geometry: { type: "LineString", coordinates: [[0, 0], [1, 1]] },
                properties: { reachable: true, team_id: 1, incident_id: 3 },
              },
            }),
            candidate({ rank: 2, team_id: 8, name: "远方队", reachable: false, missing: ["foam"] }),
          ],
        }),
      ]),
    );
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ need: "fire", label: "灭火救援", minHeadcount: 30, met: true });
    expect(groups[0]!.items.map((r) => [r.teamId, r.etaS, r.suggested, r.reachable])).toEqual([
      [1, 312.4, true, true],
      [8, null, false, false],
    ]);
    expect(groups[0]!.items[0]!.route).toEqual({ type: "LineString", coordinates: [[0, 0], [1, 1]] });
    expect(groups[0]!.items[1]!.missing).toEqual(["foam"]);
  });

  it("reads which need a team is chosen for, the equipment it lacks and why it cannot get there", () => {
    const [hazmat] = parseRecommendationGroups(
      recommendations([
        need({
          need: "hazmat",
          short_headcount: 5,
          candidates: [
            candidate({
              team_id: 2,
              name: "B",
              eta_s: 90,
              suggested: false,
              chosen_for: "fire_rescue",
              equipment_fit: { fits: false, lacking: [{ code: "gas_tight_suit", label: "gas-tight suit", label_zh: "气密型防化服" }] },
            }),
            candidate({ team_id: 3, name: "C", reachable: false, eta_s: null, unreachable_reason: "the start is 5.6 km from the nearest open road" }),
          ],
        }),
      ]),
    );
    expect(hazmat!.shortHeadcount).toBe(5);
    expect(hazmat!.items[0]).toMatchObject({ chosenFor: "fire_rescue", lacking: [{ label: "gas-tight suit", labelZh: "气密型防化服" }] });
    expect(hazmat!.items[1]).toMatchObject({ reachable: false, unreachableReason: "the start is 5.6 km from the nearest open road", lacking: [] });
  });

  it("lists each recommended team once across needs", () => {
    const recs = parseRecommendations(
      recommendations([
        need({ need: "hazmat", candidates: [candidate({ team_id: 1, name: "A", eta_s: 60 }), candidate({ team_id: 2, name: "B", eta_s: 90 })] }),
        need({ need: "medical", candidates: [candidate({ team_id: 2, name: "B", eta_s: 90 }), candidate({ team_id: 3, name: "C", eta_s: 100 })] }),
      ]),
    );
    expect(recs.map((r) => `${r.teamId}:${r.need}`)).toEqual(["1:hazmat", "2:hazmat", "3:medical"]);
  });

  it("reads assignments given as GeoJSON features", () => {
    const feature: AssignmentFeature = {
      type: "Feature",
      id: 1,
      geometry: { type: "LineString", coordinates: [[0, 0], [1, 1]] },
      properties: {
        id: 1,
        incident_id: 3,
        team_id: 4,
        team_name: "危化品救援队",
        need: "hazmat",
        status: "en_route",
        active: true,
        eta_s: 300,
        distance_m: 4000,
        legs: [],
        assigned_by: null,
        assigned_at: AT,
        status_at: AT,
        closed_at: null,
        exercise_id: null,
        version: 2,
        updated_at: AT,
      },
    };
    const list = parseAssignments({ type: "FeatureCollection", features: [feature], numberMatched: 1, numberReturned: 1, links: [] });
    expect(list[0]).toMatchObject({ id: 1, teamId: 4, teamName: "危化品救援队", status: "en_route", etaS: 300, at: AT });
    expect(list[0]!.route?.type).toBe("LineString");
  });

  it("reads material requests line by line, with their depots and what is short", () => {
    const request: MaterialRequestBody = {
      id: 1,
      incident_id: 3,
      items: [
        { material: "foam_concentrate", quantity: 30, allocated: 24, outstanding: 6 },
        { material: "absorbent_boom", quantity: 100, allocated: 100, outstanding: 0 },
      ],
      fully_allocated: false,
      allocations: [
        allocation({ depot_name: "泉港区储备库", material: "foam_concentrate", quantity: 20, status: "reserved" }),
        allocation({ depot_name: "园区储备库", material: "foam_concentrate", quantity: 4, status: "dispatched" }),
        allocation({ depot_name: "园区储备库", material: "foam_concentrate", quantity: 9, status: "cancelled" }),
        allocation({ depot_name: "园区储备库", material: "absorbent_boom", quantity: 100, status: "delivered" }),
      ],
      requested_by: null,
      note: null,
      created_at: AT,
      exercise_id: null,
      version: 1,
      updated_at: AT,
    };
    const lines = parseMaterialRequests({ items: [request], numberMatched: 1, numberReturned: 1, links: [] });
    expect(lines.map((l) => [l.material, l.quantity, l.shortage, l.depots])).toEqual([
      ["foam_concentrate", 30, 6, ["泉港区储备库 20", "园区储备库 4"]],
      ["absorbent_boom", 100, 0, ["园区储备库 100"]],
    ]);
    expect(lines[1]!.status).toBe("delivered");
  });
});

describe("sensor readings", () => {
  it("reads the readings endpoint's series, oldest first, skipping what is not a number", () => {
    const readings = parseReadings({
      sensor: 3,
      readings: [
        { at: "2026-11-22T10:02:00Z", value: 12.5 },
        { at: "2026-11-22T10:01:00Z", value: 10 },
        { at: "garbage", value: 1 },
        { at: "2026-11-22T10:03:00Z", value: null },
      ],
    });
    expect(readings.map((r) => r.value)).toEqual([10, 12.5]);
  });
});
