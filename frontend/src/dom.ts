// A few lines instead of a UI framework: build elements, format times and numbers.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, unknown>;

/** `h("button", {class: "x", onclick: fn, "data-id": 3}, "text")` */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value as EventListener);
    } else if (name === "class") {
      el.className = String(value);
    } else if (name === "style" && typeof value === "object") {
      for (const [prop, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined || v === null) continue;
        if (prop.startsWith("--")) el.style.setProperty(prop, String(v));
        else (el.style as unknown as Record<string, string>)[prop] = String(v);
      }
    } else if (name === "value" || name === "checked" || name === "disabled" || name === "selected") {
      (el as unknown as Record<string, unknown>)[name] = value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el: Node, children: (Child | Child[])[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(el, child);
    else if (child === null || child === undefined || child === false) continue;
    else el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Local wall-clock time, HH:MM:SS (with the date when not today). */
export function clock(iso: unknown, now = new Date()): string {
  if (typeof iso !== "string") return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return d.toDateString() === now.toDateString() ? time : `${d.getMonth() + 1}-${pad(d.getDate())} ${time}`;
}

export function num(value: unknown, digits = 0): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  return value.toLocaleString(undefined, { maximumFractionDigits: digits });
}

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
const FIELDS = "input[name], select[name], textarea[name]";

function fieldKey(el: Element): string {
  return `${el.closest("section")?.className ?? ""}|${el.closest("form")?.className ?? ""}|${el.getAttribute("name")}`;
}

/**
 * Note what is typed into `root`'s named form fields (and which one has the caret); the function
 * returned puts it back once `root` has been rebuilt. A panel redrawn by a live update must not
 * wipe the note or the quantity a dispatcher is typing.
 */
export function keepFormState(root: Element): () => void {
  const values = new Map<string, string>();
  for (const el of root.querySelectorAll<Field>(FIELDS)) values.set(fieldKey(el), el.value);
  const active = document.activeElement;
  const focused = active && root.contains(active) && active.matches(FIELDS) ? fieldKey(active) : null;
  let caret: [number | null, number | null] | null = null;
  try {
    if (active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement) caret = [active.selectionStart, active.selectionEnd];
  } catch {
    caret = null; // number inputs have no selection
  }
  return () => {
    for (const el of root.querySelectorAll<Field>(FIELDS)) {
      const value = values.get(fieldKey(el));
      if (value !== undefined && el.value !== value) el.value = value;
      if (focused !== null && fieldKey(el) === focused) {
        el.focus();
        if (caret && (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement)) {
          try {
            el.setSelectionRange(caret[0], caret[1]);
          } catch {
            /* not a text field */
          }
        }
      }
    }
  };
}
