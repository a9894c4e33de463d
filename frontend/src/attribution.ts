// What the map's attribution says about where its data comes from. The demo district's roads are
// drawn by hand for the demo; OpenStreetMap is named only when its roads are on the map
// (`commandpost import-roads` stores each road's source as "osm").

import { t } from "./i18n";
import type { Feature } from "./types";

/** True when any road shown came from OpenStreetMap. */
export function showsOsmRoads(roads: Feature[]): boolean {
  return roads.some((f) => f.properties["source"] === "osm");
}

/** The attribution line for the roads on the map, in the current language. */
export function attribution(roads: Feature[]): string {
  return showsOsmRoads(roads) ? t("attribution.osm") : t("attribution.demo");
}
