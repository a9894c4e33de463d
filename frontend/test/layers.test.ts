import { describe, expect, it } from "vitest";

import type { LayerInfo } from "../src/types";
import { liveRow } from "../src/ui/layers";

const info = (overrides: Partial<LayerInfo>): LayerInfo => ({
  name: "teams",
  entity_type: "team",
  title: { "zh-CN": "救援队伍", en: "Rescue teams" },
  geometry: "Point",
  path: "teams",
  drills: false,
  legend: null,
  ...overrides,
});

describe("layer panel rows from GET /api/v1/layers", () => {
  it("shows the server's title and legend values, in the server's order, in the map's colours", () => {
    const row = liveRow(info({ legend: { property: "status", values: ["off_duty", "available"] } }));
    expect(row.title).toEqual({ "zh-CN": "救援队伍", en: "Rescue teams" });
    expect(row.legend?.values).toEqual(["off_duty", "available"]);
    expect(row.legend?.colours["available"]).toBe("#22c55e");
  });

  it("lists a layer the dashboard has no style for, with a plain swatch shaped by its geometry", () => {
    const row = liveRow(info({ name: "zones", entity_type: "zone", geometry: "Polygon", title: { "zh-CN": "管控区", en: "Zones" } }));
    expect(row.layer).toBe("zones");
    expect(row.shape).toBe("area");
    expect(row.legend).toBeUndefined();
  });
});
