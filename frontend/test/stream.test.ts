import { describe, expect, it } from "vitest";

import { StreamClient, streamUrl, type ConnectionState, type SocketLike, type Timers } from "../src/stream";
import type { ServerMessage } from "../src/types";

/** A socket the test drives by hand: open it, push frames into it, close it. */
class FakeSocket implements SocketLike {
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  closed = false;
  constructor(readonly url: string) {}
  open() {
    this.onopen?.({});
  }
  send(message: unknown) {
    this.onmessage?.({ data: typeof message === "string" ? message : JSON.stringify(message) });
  }
  drop() {
    this.closed = true;
    this.onclose?.({ code: 1006 });
  }
  close() {
    this.closed = true;
  }
}

/** Timers the test advances by hand. */
class FakeTimers implements Timers {
  private t = 0;
  private queue: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  setTimeout(fn: () => void, ms: number) {
    const id = this.next++;
    this.queue.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown) {
    this.queue = this.queue.filter((x) => x.id !== handle);
  }
  now() {
    return this.t;
  }
  advance(ms: number) {
    const until = this.t + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const due = this.queue[0];
      if (!due || due.at > until) break;
      this.queue.shift();
      this.t = due.at;
      due.fn();
    }
    this.t = until;
  }
}

function setup(options: { staleAfterMs?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const received: ServerMessage[] = [];
  const states: ConnectionState[] = [];
  const timers = new FakeTimers();
  const client = new StreamClient({
    url: (since) => `ws://x/api/v1/stream${since === null ? "" : `?since=${since}`}`,
    socket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    onMessage: (m) => received.push(m),
    onState: (s) => states.push(s),
    timers,
    random: () => 1,
    backoffMs: [100, 200, 400],
    ...options,
  });
  return { client, sockets, received, states, timers, last: () => sockets[sockets.length - 1]! };
}

const snapshot = (id: number) => ({ type: "snapshot", id, reason: "connect", layers: { teams: { type: "FeatureCollection", features: [] } } });
const event = (id: number) => ({
  type: "event",
  id,
  event: "team.updated",
  entity_type: "team",
  entity_id: 1,
  payload: { feature: { type: "Feature", id: 1, geometry: null, properties: { version: id } } },
});

describe("StreamClient", () => {
  it("connects without `since` first and is live once the snapshot arrives", () => {
    const { client, sockets, states, last } = setup();
    client.start();
    expect(sockets).toHaveLength(1);
    expect(last().url).toBe("ws://x/api/v1/stream");
    expect(states).toEqual(["connecting"]);
    last().open();
    last().send(snapshot(7));
    expect(client.state).toBe("live");
    expect(client.lastId).toBe(7);
  });

  it("reconnects after a drop and resumes from the last event id it saw", () => {
    const { client, sockets, received, timers, last } = setup();
    client.start();
    last().send(snapshot(10));
    last().send(event(11));
    last().send(event(12));
    last().drop();
    expect(client.state).toBe("reconnecting");
    timers.advance(99);
    expect(sockets).toHaveLength(1);
    timers.advance(1);
    expect(sockets).toHaveLength(2);
    expect(last().url).toBe("ws://x/api/v1/stream?since=12");
    last().send({ type: "resumed", id: 12 });
    last().send(event(13));
    expect(client.state).toBe("live");
    expect(received.map((m) => `${m.type}:${m.id}`)).toEqual(["snapshot:10", "event:11", "event:12", "resumed:12", "event:13"]);
  });

  it("drops an event it has already passed (no duplicate on resume)", () => {
    const { client, received, last } = setup();
    client.start();
    last().send(snapshot(5));
    last().send(event(6));
    last().send(event(6));
    last().send(event(4));
    last().send(event(7));
    expect(received.filter((m) => m.type === "event").map((m) => m.id)).toEqual([6, 7]);
    expect(client.stats.duplicates).toBe(2);
  });

  it("starts over from a fresh snapshot when the server says the id expired", () => {
    const { client, received, timers, last } = setup();
    client.start();
    last().send(snapshot(5));
    last().send(event(6));
    last().drop();
    timers.advance(100);
    expect(last().url).toContain("since=6");
    last().send({ type: "snapshot", id: 900, reason: "expired", layers: {} });
    last().send(event(901));
    expect(client.lastId).toBe(901);
    expect(received.slice(-2).map((m) => m.id)).toEqual([900, 901]);
  });

  it("backs off longer with each failed attempt, and starts again from the first step once live", () => {
    const { client, sockets, timers, last } = setup();
    client.start();
    last().drop();
    timers.advance(100);
    expect(sockets).toHaveLength(2);
    last().drop();
    timers.advance(199);
    expect(sockets).toHaveLength(2);
    timers.advance(1);
    expect(sockets).toHaveLength(3);
    last().drop();
    timers.advance(400);
    expect(sockets).toHaveLength(4);
    last().send(snapshot(1));
    last().drop();
    timers.advance(100);
    expect(sockets).toHaveLength(5);
  });

  it("replaces a connection that has gone silent past the heartbeat allowance", () => {
    const { client, sockets, timers, last } = setup({ staleAfterMs: 1000 });
    client.start();
    last().open();
    last().send(snapshot(3));
    timers.advance(900);
    last().send({ type: "heartbeat", id: 3 });
    timers.advance(900);
    expect(sockets).toHaveLength(1);
    timers.advance(100);
    expect(sockets[0]!.closed).toBe(true);
    expect(client.state).toBe("reconnecting");
    timers.advance(100);
    expect(sockets).toHaveLength(2);
    expect(last().url).toContain("since=3");
  });

  it("moves its position forward on a heartbeat that is ahead (events it was not subscribed to)", () => {
    const { client, timers, last } = setup();
    client.start();
    last().send(snapshot(3));
    last().send({ type: "heartbeat", id: 40 });
    last().drop();
    timers.advance(100);
    expect(last().url).toContain("since=40");
  });

  it("ignores frames that are not JSON messages and late frames of a replaced socket", () => {
    const { client, received, timers, sockets, last } = setup();
    client.start();
    last().send("not json");
    last().send({ nothing: 1 });
    last().send(snapshot(2));
    const first = sockets[0]!;
    first.drop();
    timers.advance(100);
    first.send(event(3)); // the old socket's late frame
    expect(received.map((m) => m.id)).toEqual([2]);
    expect(client.stats.malformed).toBe(2);
  });

  it("stops for good when told to", () => {
    const { client, sockets, timers, last } = setup();
    client.start();
    last().send(snapshot(1));
    client.stop();
    expect(last().closed).toBe(true);
    expect(client.state).toBe("stopped");
    timers.advance(10_000);
    expect(sockets).toHaveLength(1);
  });
});

describe("streamUrl", () => {
  it("asks for the layers, the resume point and the drill, on ws or wss like the page", () => {
    const url = new URL(streamUrl({ protocol: "https:", host: "cp.example:8443" }, 42, ["teams", "incidents"], 7));
    expect(url.protocol).toBe("wss:");
    expect(url.host).toBe("cp.example:8443");
    expect(url.pathname).toBe("/api/v1/stream");
    expect(url.searchParams.get("since")).toBe("42");
    expect(url.searchParams.get("layers")).toBe("teams,incidents");
    expect(url.searchParams.get("exercise_id")).toBe("7");
    const live = new URL(streamUrl({ protocol: "http:", host: "127.0.0.1:8000" }, null, ["teams"], null));
    expect(live.protocol).toBe("ws:");
    expect(live.searchParams.has("since")).toBe(false);
    expect(live.searchParams.has("exercise_id")).toBe(false);
  });
});
