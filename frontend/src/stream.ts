// The live stream client: one websocket to /api/v1/stream that reconnects on its own and resumes from the
// last event id it saw, so the map catches up without a reload. It hands on only fresh messages, in order:
// an event whose id it has already passed is a duplicate and is dropped here.

import type { ServerMessage } from "./types";

/** The part of a WebSocket this client uses; tests hand in a fake. */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

export type ConnectionState = "connecting" | "live" | "reconnecting" | "stopped";

export interface ConnectionInfo {
  /** Failed attempts in a row since the stream was last live. */
  attempt: number;
  /** Whether this client has ever been live. */
  everLive: boolean;
  lastId: number | null;
  /** Milliseconds until the next attempt, while reconnecting. */
  retryInMs?: number;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface StreamOptions {
  /** The websocket URL for a connection that resumes after `since` (null: start with a snapshot). */
  url: (since: number | null) => string;
  onMessage: (message: ServerMessage) => void;
  onState?: (state: ConnectionState, info: ConnectionInfo) => void;
  socket?: SocketFactory;
  /** Delay before each reconnect attempt; the last one repeats. Jittered by up to a half. */
  backoffMs?: number[];
  /** A connection silent for this long (no event, no heartbeat) is presumed dead and replaced. */
  staleAfterMs?: number;
  timers?: Timers;
  random?: () => number;
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

const browserSocket: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

export class StreamClient {
  lastId: number | null = null;
  state: ConnectionState = "stopped";
  readonly stats = { received: 0, duplicates: 0, malformed: 0, connections: 0 };

  private socket: SocketLike | null = null;
  private generation = 0;
  private attempt = 0;
  private everLive = false;
  private retryTimer: unknown = null;
  private watchdog: unknown = null;
  private stopped = true;
  private readonly opts: Required<Omit<StreamOptions, "onState">> & Pick<StreamOptions, "onState">;

  constructor(options: StreamOptions) {
    this.opts = {
      socket: browserSocket,
      backoffMs: [500, 1000, 2000, 4000, 8000],
      staleAfterMs: 45_000,
      timers: defaultTimers,
      random: Math.random,
      ...options,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.generation++;
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "client stopped");
    this.setState("stopped");
  }

  /** Try again now instead of waiting out the backoff (e.g. the browser says it is back online). */
  reconnectNow(): void {
    if (this.stopped || this.state !== "reconnecting") return;
    this.clearTimers();
    this.connect();
  }

  /** Drop the current connection as if the network had (used when a page wakes from sleep, and by tests). */
  drop(): void {
    if (this.socket) this.lost(this.generation);
  }

  private connect(): void {
    const generation = ++this.generation;
    this.setState(this.everLive || this.attempt > 0 ? "reconnecting" : "connecting");
    let socket: SocketLike;
    try {
      socket = this.opts.socket(this.opts.url(this.lastId));
    } catch {
      this.lost(generation);
      return;
    }
    this.socket = socket;
    this.stats.connections++;
    socket.onopen = () => {
      if (generation === this.generation) this.armWatchdog(generation);
    };
    socket.onmessage = (ev) => {
      if (generation === this.generation) this.receive(ev.data, generation);
    };
    socket.onclose = () => {
      if (generation === this.generation) this.lost(generation);
    };
    socket.onerror = () => {
      /* a close event follows */
    };
  }

  private receive(data: unknown, generation: number): void {
    this.armWatchdog(generation);
    let message: ServerMessage;
    try {
      message = JSON.parse(String(data)) as ServerMessage;
    } catch {
      this.stats.malformed++;
      return;
    }
    if (typeof message !== "object" || message === null || typeof message.type !== "string") {
      this.stats.malformed++;
      return;
    }
    this.stats.received++;
    switch (message.type) {
      case "snapshot":
        this.lastId = typeof message.id === "number" ? message.id : null;
        this.becomeLive();
        break;
      case "resumed":
        if (typeof message.id === "number") this.lastId = Math.max(this.lastId ?? 0, message.id);
        this.becomeLive();
        break;
      case "event":
        if (typeof message.id !== "number") {
          this.stats.malformed++;
          return;
        }
        if (this.lastId !== null && message.id <= this.lastId) {
          this.stats.duplicates++;
          return;
        }
        this.lastId = message.id;
        if (this.state !== "live") this.becomeLive();
        break;
      case "heartbeat":
        // Everything up to the heartbeat's id has been sent to this client (filtered by its layers).
        if (typeof message.id === "number" && (this.lastId === null || message.id > this.lastId)) {
          this.lastId = message.id;
        }
        if (this.state !== "live") this.becomeLive();
        break;
      default:
        return;
    }
    this.opts.onMessage(message);
  }

  private becomeLive(): void {
    this.attempt = 0;
    this.everLive = true;
    this.setState("live");
  }

  private lost(generation: number): void {
    if (generation !== this.generation || this.stopped) return;
    this.generation++;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      try {
        socket.close(4000, "replaced");
      } catch {
        /* already closed */
      }
    }
    const steps = this.opts.backoffMs;
    const base = steps[Math.min(this.attempt, steps.length - 1)] ?? 1000;
    const delay = Math.round(base * (0.5 + this.opts.random() * 0.5));
    this.attempt++;
    this.retryTimer = this.opts.timers.setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
    this.setState("reconnecting", delay);
  }

  private armWatchdog(generation: number): void {
    if (this.watchdog !== null) this.opts.timers.clearTimeout(this.watchdog);
    this.watchdog = this.opts.timers.setTimeout(() => {
      this.watchdog = null;
      this.lost(generation);
    }, this.opts.staleAfterMs);
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) this.opts.timers.clearTimeout(this.retryTimer);
    if (this.watchdog !== null) this.opts.timers.clearTimeout(this.watchdog);
    this.retryTimer = this.watchdog = null;
  }

  private setState(state: ConnectionState, retryInMs?: number): void {
    this.state = state;
    const info: ConnectionInfo = { attempt: this.attempt, everLive: this.everLive, lastId: this.lastId };
    if (retryInMs !== undefined) info.retryInMs = retryInMs;
    this.opts.onState?.(state, info);
  }
}

/** The stream URL for this page: same host, ws or wss, the layers wanted, and the drill when viewing one. */
export function streamUrl(
  location: { protocol: string; host: string },
  since: number | null,
  layers: readonly string[],
  exerciseId: number | null,
): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const params = new URLSearchParams();
  if (since !== null) params.set("since", String(since));
  params.set("layers", layers.join(","));
  if (exerciseId !== null) params.set("exercise_id", String(exerciseId));
  return `${scheme}//${location.host}/api/v1/stream?${params.toString()}`;
}
