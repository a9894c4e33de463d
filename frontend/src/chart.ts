// A sensor's last hour as a small SVG line chart, with its two alarm thresholds drawn across it.

export interface Reading {
  at: number; // ms since epoch
  value: number;
}

/** Readings from whatever list shape the readings endpoint answers with, oldest first. */
export function parseReadings(body: unknown): Reading[] {
  const list: unknown[] = Array.isArray(body)
    ? body
    : typeof body === "object" && body !== null
      ? ((body as Record<string, unknown>)["items"] ??
          (body as Record<string, unknown>)["readings"] ??
          (body as Record<string, unknown>)["features"] ??
          []) as unknown[]
      : [];
  const out: Reading[] = [];
  for (const raw of Array.isArray(list) ? list : []) {
    if (typeof raw !== "object" || raw === null) continue;
    const r = (
      "properties" in raw ? (raw as { properties: Record<string, unknown> }).properties : raw
    ) as Record<string, unknown>;
    const when = r["at"] ?? r["time"] ?? r["ts"] ?? r["measured_at"] ?? r["observed_at"];
    const value = r["value"] ?? r["reading"];
    const at = typeof when === "number" ? when : Date.parse(String(when));
    if (Number.isFinite(at) && typeof value === "number" && Number.isFinite(value)) out.push({ at, value });
  }
  return out.sort((a, b) => a.at - b.at);
}

const SVG = "http://www.w3.org/2000/svg";

function el(name: string, attrs: Record<string, string | number>): SVGElement {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

export function trendChart(
  readings: Reading[],
  opts: { alarm1?: number | null; alarm2?: number | null; unit?: string | null; from: number; to: number },
): SVGSVGElement {
  const width = 300;
  const height = 90;
  const padL = 30;
  const padB = 14;
  const values = readings.map((r) => r.value);
  const thresholds = [opts.alarm1, opts.alarm2].filter((v): v is number => typeof v === "number");
  const top = Math.max(1, ...values, ...thresholds) * 1.1;
  const x = (at: number) => padL + ((at - opts.from) / Math.max(1, opts.to - opts.from)) * (width - padL - 4);
  const y = (v: number) => 4 + (1 - v / top) * (height - padB - 4);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "trend", role: "img" }) as SVGSVGElement;
  svg.appendChild(el("rect", { x: padL, y: 4, width: width - padL - 4, height: height - padB - 4, class: "trend-bg" }));
  for (const [value, cls] of [
    [opts.alarm1, "trend-a1"],
    [opts.alarm2, "trend-a2"],
  ] as const) {
    if (typeof value !== "number") continue;
    svg.appendChild(el("line", { x1: padL, x2: width - 4, y1: y(value), y2: y(value), class: cls }));
    const label = el("text", { x: padL - 3, y: y(value) + 3, class: "trend-label", "text-anchor": "end" });
    label.textContent = String(value);
    svg.appendChild(label);
  }
  if (readings.length) {
    const d = readings.map((r, i) => `${i ? "L" : "M"}${x(r.at).toFixed(1)},${y(r.value).toFixed(1)}`).join("");
    svg.appendChild(el("path", { d, class: "trend-line" }));
    const last = readings[readings.length - 1]!;
    svg.appendChild(el("circle", { cx: x(last.at), cy: y(last.value), r: 3, class: "trend-dot" }));
  }
  const axis = el("text", { x: width - 4, y: height - 2, class: "trend-label", "text-anchor": "end" });
  axis.textContent = opts.unit ?? "";
  svg.appendChild(axis);
  const ago = el("text", { x: padL, y: height - 2, class: "trend-label" });
  ago.textContent = "-60′";
  svg.appendChild(ago);
  return svg;
}
