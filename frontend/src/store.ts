// The live picture in memory: one map of features per live layer, kept by stable feature id. Snapshots
// replace a layer; events upsert the feature they carry (payload.feature) into the layer of their entity
// type. The map and the panels listen for changes.

import type { EventMessage, Feature, FeatureCollection, FeatureId, LayerInfo, LiveLayer, ServerMessage } from "./types";

export type Change =
  | { kind: "reset"; layer: LiveLayer }
  | { kind: "upsert"; layer: LiveLayer; feature: Feature; previous: Feature | undefined }
  | { kind: "remove"; layer: LiveLayer; id: FeatureId; previous: Feature | undefined }
  | { kind: "event"; event: EventMessage };

export type Listener = (changes: Change[]) => void;

const RECENT_EVENTS = 200;

function featureId(feature: Feature): FeatureId | undefined {
  if (feature.id !== undefined && feature.id !== null) return feature.id;
  const own = feature.properties?.["id"];
  return typeof own === "number" || typeof own === "string" ? own : undefined;
}

function versionOf(feature: Feature | undefined): number | null {
  const v = feature?.properties?.["version"];
  return typeof v === "number" ? v : null;
}

export class LiveStore {
  readonly layers = new Map<LiveLayer, Map<FeatureId, Feature>>();
  /** The newest events accepted, newest last: the activity log. */
  readonly recent: EventMessage[] = [];
  lastEventId: number | null = null;
  readonly exerciseId: number | null;
  private readonly listeners = new Set<Listener>();
  /** When each feature was last put (a counter), so a slow HTTP answer cannot undo a newer event. */
  private seq = 0;
  private readonly stamps = new Map<LiveLayer, Map<FeatureId, number>>();
  /** Event entity type → the layer its features go to. */
  private readonly layerOfEntity = new Map<string, LiveLayer>();

  constructor(options: { exerciseId?: number | null; layers?: LayerInfo[] } = {}) {
    this.exerciseId = options.exerciseId ?? null;
    this.setLayers(options.layers ?? []);
  }

  /** The live layers the server serves (GET /api/v1/layers); layers already held are kept. */
  setLayers(layers: LayerInfo[]): void {
    for (const layer of layers) {
      if (!this.layers.has(layer.name)) {
        this.layers.set(layer.name, new Map());
        this.stamps.set(layer.name, new Map());
      }
      this.layerOfEntity.set(layer.entity_type, layer.name);
    }
  }

  private isLiveLayer(name: string): boolean {
    return this.layers.has(name);
  }

  /** A layer's features, made empty the first time it is put to. */
  private held(layer: LiveLayer): Map<FeatureId, Feature> {
    let features = this.layers.get(layer);
    if (!features) {
      features = new Map();
      this.layers.set(layer, features);
      this.stamps.set(layer, new Map());
    }
    return features;
  }

  /** A point in this store's history: pass it to `replaceLayer` to keep what changed after it. */
  get sequence(): number {
    return this.seq;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  features(layer: LiveLayer): Feature[] {
    return [...(this.layers.get(layer)?.values() ?? [])];
  }

  get(layer: LiveLayer, id: FeatureId): Feature | undefined {
    return this.layers.get(layer)?.get(id);
  }

  count(layer: LiveLayer): number {
    return this.layers.get(layer)?.size ?? 0;
  }

  /** Apply one message from the stream; returns (and announces) what changed. */
  apply(message: ServerMessage): Change[] {
    const changes: Change[] = [];
    if (message.type === "snapshot") {
      for (const [name, collection] of Object.entries(message.layers ?? {})) {
        if (this.isLiveLayer(name)) changes.push(this.fill(name, collection));
      }
      if (typeof message.id === "number") this.lastEventId = message.id;
    } else if (message.type === "event") {
      if (this.lastEventId !== null && message.id <= this.lastEventId) return [];
      this.lastEventId = message.id;
      if (!this.belongsHere(message.exercise_id ?? null)) return [];
      this.recent.push(message);
      if (this.recent.length > RECENT_EVENTS) this.recent.splice(0, this.recent.length - RECENT_EVENTS);
      const change = this.applyEvent(message);
      if (change) changes.push(change);
      changes.push({ kind: "event", event: message });
    } else if (message.type === "heartbeat" || message.type === "resumed") {
      if (typeof message.id === "number") this.lastEventId = Math.max(this.lastEventId ?? 0, message.id);
    }
    this.emit(changes);
    return changes;
  }

  /**
   * Replace a layer's content (a snapshot's layer or a page fetched over HTTP). With `keepAfter` (a
   * `sequence` taken when the fetch started), features put since then are kept unless the page
   * holds a newer version of them.
   */
  replaceLayer(layer: LiveLayer, collection: FeatureCollection, keepAfter?: number): Change {
    const before = this.held(layer);
    const stamps = this.stamps.get(layer)!;
    const change = this.fill(layer, collection);
    if (keepAfter !== undefined) {
      const after = this.layers.get(layer)!;
      for (const [id, stamp] of stamps) {
        const kept = before.get(id);
        if (stamp <= keepAfter || !kept) continue;
        const fetched = after.get(id);
        const had = versionOf(kept);
        const has = versionOf(fetched);
        if (!fetched || (had !== null && has !== null && has < had)) {
          after.set(id, kept);
          this.stamps.get(layer)!.set(id, stamp);
        }
      }
    }
    this.emit([change]);
    return change;
  }

  /** Put one feature in a layer (e.g. what a POST answered), unless the layer already holds a newer version. */
  upsert(layer: LiveLayer, feature: Feature): Change | null {
    const change = this.put(layer, feature);
    if (change) this.emit([change]);
    return change;
  }

  private applyEvent(event: EventMessage): Change | null {
    const layer = this.layerOfEntity.get(event.entity_type);
    if (!layer) return null;
    if (/\.(deleted|removed)$/.test(event.event) && event.entity_id !== null) {
      const features = this.layers.get(layer)!;
      const previous = features.get(event.entity_id);
      features.delete(event.entity_id);
      this.stamps.get(layer)!.delete(event.entity_id);
      return { kind: "remove", layer, id: event.entity_id, previous };
    }
    const feature = event.payload?.feature;
    if (!feature || feature.type !== "Feature") return null;
    return this.put(layer, feature);
  }

  private put(layer: LiveLayer, incoming: Feature): Change | null {
    const id = featureId(incoming);
    if (id === undefined) return null;
    if (!this.belongsHere(incoming.properties?.["exercise_id"])) return null;
    const features = this.held(layer);
    const previous = features.get(id);
    const had = versionOf(previous);
    const has = versionOf(incoming);
    // A stale copy (e.g. an HTTP answer overtaken by the stream) never replaces a newer one.
    if (had !== null && has !== null && has < had) return null;
    const feature: Feature = { ...incoming, id };
    features.set(id, feature);
    this.stamps.get(layer)!.set(id, ++this.seq);
    return { kind: "upsert", layer, feature, previous };
  }

  private fill(layer: LiveLayer, collection: FeatureCollection): Change {
    const features = new Map<FeatureId, Feature>();
    for (const f of collection?.features ?? []) {
      const id = featureId(f);
      if (id !== undefined && this.belongsHere(f.properties?.["exercise_id"])) features.set(id, { ...f, id });
    }
    this.layers.set(layer, features);
    this.stamps.set(layer, new Map());
    return { kind: "reset", layer };
  }

  /** Live view: live things only. Drill view: that drill's things and the shared live ones. */
  private belongsHere(exerciseId: unknown): boolean {
    if (exerciseId === null || exerciseId === undefined) return true;
    return this.exerciseId !== null && exerciseId === this.exerciseId;
  }

  private emit(changes: Change[]): void {
    if (changes.length === 0) return;
    for (const listener of this.listeners) listener(changes);
  }
}
