// Talking to /api/v1: JSON in and out, RFC 9457 problems turned into ApiError, layers fetched page by page.

import type { paths } from "./api-types";
import type { FeatureCollection } from "./types";

type Method = "get" | "post" | "put" | "patch" | "delete";
type Json<R, S extends number> = R extends { [K in S]: { content: infer C } }
  ? C extends { "application/geo+json": infer T }
    ? T
    : C extends { "application/json": infer T }
      ? T
      : never
  : never;

/** What an API path answers on success (200, else 201; GeoJSON or plain JSON), as the OpenAPI document
 * (api-types.ts) describes it. */
export type Reply<P extends keyof paths, M extends Method = "get"> = paths[P][M] extends { responses: infer R }
  ? [Json<R, 200>] extends [never]
    ? Json<R, 201>
    : Json<R, 200>
  : never;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly field: string | null = null,
    readonly body: unknown = null,
  ) {
    super(detail || title || `HTTP ${status}`);
  }
}

export const API = "/api/v1";

/** A random idempotency key; crypto.randomUUID only exists on secure origins, so fall back to random bytes. */
export function newKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json, application/geo+json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  const init: RequestInit = { method: options.method ?? "GET", headers };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  if (options.signal) init.signal = options.signal;
  const response = await fetch(path.startsWith("/") ? path : `${API}/${path}`, init);
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const problem = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
    throw new ApiError(
      response.status,
      String(problem["title"] ?? response.statusText),
      String(problem["detail"] ?? problem["title"] ?? response.statusText),
      typeof problem["field"] === "string" ? problem["field"] : null,
      data,
    );
  }
  return data as T;
}

export const get = <T>(path: string, signal?: AbortSignal) =>
  request<T>(path, signal ? { signal } : {});

export const post = <T>(path: string, body: unknown, idempotencyKey?: string) =>
  request<T>(path, idempotencyKey ? { method: "POST", body, idempotencyKey } : { method: "POST", body });

/** A whole layer, following `next` links (pages of up to 10,000 features). */
export async function fetchLayer(path: string, params: Record<string, string> = {}): Promise<FeatureCollection> {
  const query = new URLSearchParams({ limit: "10000", ...params });
  let url: string | null = `${API}/${path}?${query.toString()}`;
  const features: FeatureCollection["features"] = [];
  for (let pages = 0; url && pages < 50; pages++) {
    const page: FeatureCollection = await get<FeatureCollection>(url);
    features.push(...(page.features ?? []));
    const next = page.links?.find((l) => l.rel === "next")?.href;
    url = next ? new URL(next, location.href).pathname + new URL(next, location.href).search : null;
  }
  return { type: "FeatureCollection", features };
}
