import { describe, expect, it } from "vitest";

import { parseReadings } from "../src/chart";
import { parseAssignments, parseMaterialRequests, parseRecommendationGroups, parseRecommendations } from "../src/dispatch";
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

describe("dispatch answers", () => {
  it("reads a flat list of recommendations", () => {
    const recs = parseRecommendations({
      items: [
        { team_id: 4, team_name: "危化品救援队", eta_s: 420, distance_m: 5200, missing: ["foam"], route: { type: "LineString", coordinates: [[1, 2], [3, 4]] } },
        { team: { id: 9, name: "消防救援大队" }, eta_min: 12 },
      ],
    });
    expect(recs.map((r) => [r.teamId, r.name, r.etaS])).toEqual([
      [4, "危化品救援队", 420],
      [9, "消防救援大队", 720],
    ]);
    expect(recs[0]!.route?.type).toBe("LineString");
    expect(recs[0]!.missing).toEqual(["foam"]);
  });

  it("reads the plan's needs with their ranked candidates, as GET /incidents/{id}/recommendations answers", () => {
    const groups = parseRecommendationGroups({
      incident_id: 3,
      plan: { name: "火灾 III级" },
      needs: [
        {
          need: "fire",
          label: "灭火救援",
          min_headcount: 30,
          assigned_headcount: 0,
          met: true,
          candidates: [
            {
              rank: 1,
              team_id: 1,
              name: "消防救援大队",
              reachable: true,
              eta_s: 312.4,
              distance_m: 4100,
              matched: ["firefighting"],
              missing: [],
              suggested: true,
              route: { type: "Feature", geometry: { type: "LineString", coordinates: [[0, 0], [1, 1]] }, properties: {} },
            },
            { rank: 2, team_id: 8, name: "远方队", reachable: false, eta_s: null, distance_m: null, matched: [], missing: ["foam"], suggested: false, route: null },
          ],
        },
      ],
    });
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ need: "fire", label: "灭火救援", minHeadcount: 30, met: true });
    expect(groups[0]!.items.map((r) => [r.teamId, r.etaS, r.suggested, r.reachable])).toEqual([
      [1, 312.4, true, true],
      [8, null, false, false],
    ]);
    expect(groups[0]!.items[0]!.route).toEqual({ type: "LineString", coordinates: [[0, 0], [1, 1]] });
  });

  it("reads which need a team is chosen for, the equipment it lacks and why it cannot get there", () => {
    const [hazmat] = parseRecommendationGroups({
      needs: [
        {
          need: "hazmat",
          short_headcount: 5,
          candidates: [
            {
              team_id: 2,
              name: "B",
              eta_s: 90,
              suggested: false,
              chosen_for: "fire_rescue",
              equipment_fit: { fits: false, lacking: [{ code: "gas_tight_suit", label: "gas-tight suit", label_zh: "气密型防化服" }] },
            },
            { team_id: 3, name: "C", reachable: false, eta_s: null, unreachable_reason: "the start is 5.6 km from the nearest open road" },
          ],
        },
      ],
    });
    expect(hazmat!.shortHeadcount).toBe(5);
    expect(hazmat!.items[0]).toMatchObject({ chosenFor: "fire_rescue", lacking: [{ label: "gas-tight suit", labelZh: "气密型防化服" }] });
    expect(hazmat!.items[1]).toMatchObject({ reachable: false, unreachableReason: "the start is 5.6 km from the nearest open road", lacking: [] });
  });

  it("lists each recommended team once across needs", () => {
    const recs = parseRecommendations({
      needs: [
        { need: "hazmat", candidates: [{ team_id: 1, name: "A", eta_s: 60 }, { team_id: 2, name: "B", eta_s: 90 }] },
        { need: "medical", candidates: [{ team_id: 2, name: "B", eta_s: 90 }, { team_id: 3, name: "C", eta_s: 100 }] },
      ],
    });
    expect(recs.map((r) => `${r.teamId}:${r.need}`)).toEqual(["1:hazmat", "2:hazmat", "3:medical"]);
  });

  it("reads assignments given as GeoJSON features", () => {
    const list = parseAssignments({
      type: "FeatureCollection",
      features: [
        { type: "Feature", id: 1, geometry: { type: "LineString", coordinates: [[0, 0], [1, 1]] }, properties: { team_id: 4, status: "en_route", eta_s: 300 } },
      ],
    });
    expect(list[0]).toMatchObject({ id: 1, teamId: 4, status: "en_route", etaS: 300 });
    expect(list[0]!.route?.type).toBe("LineString");
  });

  it("reads material requests line by line, with their depots and what is short", () => {
    const lines = parseMaterialRequests({
      items: [
        {
          id: 1,
          items: [
            { material: "foam_concentrate", quantity: 30, allocated: 24, outstanding: 6 },
            { material: "absorbent_boom", quantity: 100, allocated: 100, outstanding: 0 },
          ],
          allocations: [
            { depot_name: "泉港区储备库", material: "foam_concentrate", quantity: 20, status: "reserved" },
            { depot_name: "园区储备库", material: "foam_concentrate", quantity: 4, status: "dispatched" },
            { depot_name: "园区储备库", material: "foam_concentrate", quantity: 9, status: "cancelled" },
            { depot_name: "园区储备库", material: "absorbent_boom", quantity: 100, status: "delivered" },
          ],
        },
      ],
    });
    expect(lines.map((l) => [l.material, l.quantity, l.shortage, l.depots])).toEqual([
      ["foam_concentrate", 30, 6, ["泉港区储备库 20", "园区储备库 4"]],
      ["absorbent_boom", 100, 0, ["园区储备库 100"]],
    ]);
    expect(lines[1]!.status).toBe("delivered");
  });

  it("answers nothing for an answer it cannot read", () => {
    expect(parseRecommendations(null)).toEqual([]);
    expect(parseRecommendations({ detail: "nope" })).toEqual([]);
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
