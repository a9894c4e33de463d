// What the panels share: the live store, the map, who is on duty at this console, and a few actions.

import { ApiError } from "./api";
import { h } from "./dom";
import { t } from "./i18n";
import type { MapView } from "./map";
import type { LiveStore } from "./store";
import type { BaseLayer, FeatureId, LiveLayer } from "./types";

export interface App {
  store: LiveStore;
  map: MapView;
  exerciseId: number | null;
  /** Who acts at this console (sent as `by` with acknowledgements and the like). */
  operator(): string;
  toast(text: string, kind?: "ok" | "error"): void;
  /** Turn a failed request into a message the officer can read. */
  fail(error: unknown): void;
  selectIncident(id: FeatureId | null): void;
  selectedIncident(): FeatureId | null;
  showDetails(layer: LiveLayer | BaseLayer, id: FeatureId, properties?: Record<string, unknown>): void;
  flyTo(lngLat: [number, number], zoom?: number): void;
  /** Register interest in the selected incident changing. */
  onSelect(fn: (id: FeatureId | null) => void): void;
}

export function makeToaster(container: HTMLElement): App["toast"] {
  return (text, kind = "ok") => {
    const note = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
    container.appendChild(note);
    setTimeout(() => note.classList.add("toast-out"), kind === "error" ? 6000 : 3000);
    setTimeout(() => note.remove(), kind === "error" ? 6600 : 3600);
  };
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 409) return t("errors.conflict");
    const where = error.field ? ` (${error.field})` : "";
    return t("errors.generic", { detail: `${error.detail}${where}` });
  }
  return t("errors.generic", { detail: error instanceof Error ? error.message : String(error) });
}

/** A point's coordinates, or the centre of a geometry's bounding box. */
export function centreOf(geometry: { type: string; coordinates?: unknown } | null): [number, number] | null {
  if (!geometry || geometry.coordinates === undefined) return null;
  if (geometry.type === "Point") return geometry.coordinates as [number, number];
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === "number") {
      const [x, y] = c as [number, number];
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    } else if (Array.isArray(c)) c.forEach(walk);
  };
  walk(geometry.coordinates);
  return Number.isFinite(minX) ? [(minX + maxX) / 2, (minY + maxY) / 2] : null;
}
