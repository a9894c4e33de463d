// Colours, shared by the map's data-driven styles and the legend, so the two never disagree.

export const TEAM_STATUS_COLOURS: Record<string, string> = {
  available: "#22c55e",
  dispatched: "#f59e0b",
  en_route: "#38bdf8",
  on_scene: "#e879f9",
  returning: "#2dd4bf",
  off_duty: "#94a3b8",
};

export const RISK_COLOURS: Record<string, string> = {
  red: "#ef4444",
  orange: "#f97316",
  yellow: "#facc15",
  blue: "#3b82f6",
};

export const GRADE_COLOURS: Record<string, string> = {
  I: RISK_COLOURS.red!,
  II: RISK_COLOURS.orange!,
  III: RISK_COLOURS.yellow!,
  IV: RISK_COLOURS.blue!,
};

export const SENSOR_STATE_COLOURS: Record<string, string> = {
  normal: "#34d399",
  alarm_1: "#fb923c",
  alarm_2: "#ef4444",
  fault: "#eab308",
  offline: "#64748b",
};

export const INCIDENT_STATUS_COLOURS: Record<string, string> = {
  reported: "#ff3b3b",
  confirmed: "#ff3b3b",
  responding: "#ff3b3b",
  contained: "#fbbf24",
  closed: "#64748b",
};

// Threat zones by level of concern (the server's `concern`): deaths likely, serious harm, discomfort.
export const ZONE_CONCERN_COLOURS: Record<string, string> = {
  severe: "#dc2626",
  serious: "#f97316",
  mild: "#facc15",
};

export const DEPOT_COLOUR = "#d4a373";
export const SHELTER_COLOUR = "#4ade80";
export const ROUTE_COLOUR = "#38bdf8";
export const DRILL_COLOUR = "#c084fc";
export const FALLBACK = "#94a3b8";

/** A MapLibre `match` expression: the property's value → its colour. */
export function matchColour(property: string, colours: Record<string, string>, fallback: unknown = FALLBACK): unknown[] {
  const pairs = Object.entries(colours).flat();
  return ["match", ["coalesce", ["get", property], ""], ...pairs, fallback];
}
