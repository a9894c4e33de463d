import { afterEach, describe, expect, it } from "vitest";

import { attribution, showsOsmRoads } from "../src/attribution";
import { setLang } from "../src/i18n";
import type { Feature } from "../src/types";

const road = (source: string): Feature => ({
  type: "Feature",
  id: 1,
  geometry: { type: "LineString", coordinates: [[118.9, 25.1], [118.91, 25.1]] },
  properties: { source },
});

afterEach(() => setLang("zh"));

describe("map attribution", () => {
  it("says the demo roads are invented and does not credit OpenStreetMap for them", () => {
    const roads = [road("approximation"), road("approximation")];
    expect(showsOsmRoads(roads)).toBe(false);
    expect(attribution(roads)).toContain("并非 OpenStreetMap");
    expect(attribution(roads)).not.toContain("©");
    setLang("en");
    expect(attribution(roads)).toBe("Quangang demo data: roads invented for the demo, not OpenStreetMap");
  });

  it("credits OpenStreetMap when imported roads are shown", () => {
    const roads = [road("osm")];
    expect(showsOsmRoads(roads)).toBe(true);
    expect(attribution(roads)).toContain("© OpenStreetMap contributors");
  });
});
