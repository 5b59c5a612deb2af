import type { BufferPool } from './buffer-pool.js';
import { GraphError } from './errors.js';
import type { NodeDef, NodeRuntime } from './graph-node.js';
import type { PacketBuffer } from './packet-buffer.js';
import { PacketVector, VECTOR_SIZE } from './packet-vector.js';

/** Per-node counters and arcs; also the NodeRuntime its `process` receives. */
export class GraphNode implements NodeRuntime {
  readonly index: number;
  /** The definition; swapped by `Graph.addOrReplaceNode` when a plugin is reloaded. */
  def: NodeDef;
  /** Node index behind each arc (-1 until the graph is finalised). */
  nextIndex: Int32Array;
  /** Arc targets by name: the def's `next`, then arcs added with `Graph.addNextArc`. */
  nextNames: string[];
  /** Drop counts by reason code. */
  drops: Float64Array;
  /** `process` calls, packets handled, and time spent (ns) when runtime stats are on. */
  calls = 0;
  packets = 0;
  timeNs = 0;

  private readonly graph: Graph;

  constructor(graph: Graph, index: number, def: NodeDef) {
    this.graph = graph;
    this.index = index;
    this.def = def;
    this.nextIndex = new Int32Array(def.next.length).fill(-1);
    this.nextNames = [...def.next];
    this.drops = new Float64Array(def.errors.length);
  }

  get name(): string {
    return this.def.name;
  }

  next(arc: number, pb: PacketBuffer): void {
    this.graph.enqueue(this.nextIndex[arc]!, pb);
  }

  count(reason: number): void {
    this.drops[reason]!++;
  }

  drop(pb: PacketBuffer, reason: number): void {
    this.drops[reason]!++;
    pb.error = reason;
    this.graph.pool.free(pb);
  }
}

/** A vector queued for one node. */
class Frame {
  node = -1;
  readonly vec = new PacketVector(VECTOR_SIZE);
}

/**
 * Special arc targets. A feature node sends to `ARC_NEXT` to go on along its feature arc
 * (to the next enabled feature, or to the arc's end node); any node sends to
 * `arcStart(name)` to enter a feature arc (its first feature, or its end when the arc has
 * none, so an empty arc costs nothing).
 */
export const ARC_NEXT = '@arc-next';
export function arcStart(arc: string): string {
  return `@arc:${arc}`;
}

/** Where a feature sits in its arc. */
export interface FeatureOrder {
  /** Feature node names this one must run before. */
  runsBefore?: readonly string[];
  /** Feature node names this one must run after. */
  runsAfter?: readonly string[];
}

interface ArcDef {
  readonly end: string;
  features: { node: string; order: FeatureOrder }[];
  /** Resolved order (node names). */
  sorted: string[];
}

export interface GraphOptions {
  /** Measure time per node (`show runtime`); costs two clock reads per vector. */
  runtimeStats?: boolean;
}

/**
 * The packet graph: nodes registered as data, arcs resolved by name, and a dispatcher
 * that runs queued vectors until none is left (VPP's dispatch loop). Enqueueing fills
 * the target node's open frame and opens another (from a preallocated free list) when it
 * is full, so bursts larger than one vector and loops (decapsulation feeding input) are
 * fine, and steady state allocates nothing.
 */
export class Graph {
  readonly pool: BufferPool;
  readonly nodes: GraphNode[] = [];
  runtimeStats: boolean;

  private readonly byName = new Map<string, GraphNode>();
  private openFrame: (Frame | null)[] = [];
  private readonly spareFrames: Frame[] = [];
  private runQueue: (Frame | null)[] = new Array<Frame | null>(64).fill(null);
  private runHead = 0;
  private runCount = 0;
  private finalised = false;
  private inDispatch = false;
  private readonly arcs = new Map<string, ArcDef>();
  private readonly featureArc = new Map<string, string>();
  /** Features removed from their arc: their ARC_NEXT leads to the arc's end. */
  private readonly detachedArc = new Map<string, string>();

  constructor(pool: BufferPool, opts: GraphOptions = {}) {
    this.pool = pool;
    this.runtimeStats = opts.runtimeStats ?? false;
  }

  /** Registers a node. Names are unique. Arcs are resolved by `finalise()`. */
  addNode(def: NodeDef): GraphNode {
    if (this.byName.has(def.name)) {
      throw new GraphError(`node ${def.name} is already registered`, { node: def.name });
    }
    const node = new GraphNode(this, this.nodes.length, def);
    this.nodes.push(node);
    this.byName.set(def.name, node);
    this.openFrame.push(null);
    if (this.finalised) this.resolveArcs(node);
    return node;
  }

  /**
   * Registers `def`, or, when a node of that name exists (a plugin being loaded again),
   * gives the existing node the new definition: arcs are re-resolved and counters restart.
   */
  addOrReplaceNode(def: NodeDef): GraphNode {
    const n = this.byName.get(def.name);
    if (n === undefined) return this.addNode(def);
    n.def = def;
    n.nextNames = [...def.next];
    n.nextIndex = new Int32Array(def.next.length).fill(-1);
    n.drops = new Float64Array(def.errors.length);
    if (this.finalised) this.resolveArcs(n);
    return n;
  }

  /** The node called `name`, or undefined. */
  node(name: string): GraphNode | undefined {
    return this.byName.get(name);
  }

  /** Index of node `name`; throws a GraphError when unknown (setup only). */
  indexOf(name: string): number {
    const n = this.byName.get(name);
    if (n === undefined) throw new GraphError(`no node named ${name}`, { node: name });
    return n.index;
  }

  /**
   * Declares a feature arc: an ordered, changeable list of feature nodes that packets
   * entering `arcStart(name)` visit before reaching node `end` (VPP feature arcs).
   */
  addArc(name: string, end: string): void {
    if (this.arcs.has(name))
      throw new GraphError(`feature arc ${name} already exists`, { arc: name });
    this.arcs.set(name, { end, features: [], sorted: [] });
    if (this.finalised) this.resolveAll();
  }

  /**
   * Registers `def` as a feature on arc `arc`, ordered by `order` (else after the features
   * already there). Allowed after `finalise()` too (between breaths): arcs are re-resolved.
   */
  addFeature(arc: string, def: NodeDef, order: FeatureOrder = {}): GraphNode {
    const a = this.arcs.get(arc);
    if (a === undefined) {
      throw new GraphError(`no feature arc named ${arc}`, { arc, node: def.name });
    }
    const current = this.featureArc.get(def.name);
    if (current !== undefined) {
      throw new GraphError(`node ${def.name} is already a feature of arc ${current}`, {
        node: def.name,
      });
    }
    a.features.push({ node: def.name, order });
    this.featureArc.set(def.name, arc);
    this.detachedArc.delete(def.name);
    let node: GraphNode;
    try {
      a.sorted = sortFeatures(arc, a.features);
      node = this.addOrReplaceNode(def);
    } catch (e) {
      a.features.pop();
      a.sorted = sortFeatures(arc, a.features);
      this.featureArc.delete(def.name);
      throw e;
    }
    if (this.finalised) this.resolveAll();
    return node;
  }

  /** Removes a feature from its arc (the node stays registered but is bypassed). */
  removeFeature(name: string): void {
    const arc = this.featureArc.get(name);
    if (arc === undefined) return;
    const a = this.arcs.get(arc)!;
    a.features = a.features.filter((f) => f.node !== name);
    a.sorted = sortFeatures(arc, a.features);
    this.featureArc.delete(name);
    this.detachedArc.set(name, arc);
    if (this.finalised) this.resolveAll();
  }

  /** The features of arc `name` in the order packets visit them. */
  arcFeatures(name: string): readonly string[] {
    return this.arcs.get(name)?.sorted ?? [];
  }

  /**
   * Adds an arc from node `from` to node `to` after registration (e.g. a protocol
   * dispatcher learning a new protocol handler); returns its arc index. Idempotent.
   */
  addNextArc(from: string, to: string): number {
    const n = this.byName.get(from);
    if (n === undefined) throw new GraphError(`no node named ${from}`, { node: from });
    const existing = n.nextNames.indexOf(to);
    if (existing >= 0) return existing;
    n.nextNames.push(to);
    const grown = new Int32Array(n.nextNames.length).fill(-1);
    grown.set(n.nextIndex);
    n.nextIndex = grown;
    if (this.finalised) this.resolveArcs(n);
    return n.nextNames.length - 1;
  }

  /** Resolves every arc by name; a missing target is a setup error naming both nodes. */
  finalise(): void {
    this.resolveAll();
    this.finalised = true;
  }

  private resolveAll(): void {
    for (const n of this.nodes) this.resolveArcs(n);
  }

  private resolveArcs(n: GraphNode): void {
    n.nextNames.forEach((target, i) => {
      const name = this.resolveTarget(n.name, target);
      const t = this.byName.get(name);
      if (t === undefined) {
        throw new GraphError(`node ${n.name} has an arc to unknown node ${name}`, {
          node: n.name,
          target: name,
        });
      }
      n.nextIndex[i] = t.index;
    });
  }

  private resolveTarget(from: string, target: string): string {
    if (target === ARC_NEXT) {
      const detached = this.detachedArc.get(from);
      if (detached !== undefined) return this.arcs.get(detached)!.end;
      const arc = this.featureArc.get(from);
      if (arc === undefined) {
        throw new GraphError(`node ${from} uses ${ARC_NEXT} but is not a feature of any arc`, {
          node: from,
        });
      }
      const a = this.arcs.get(arc)!;
      const i = a.sorted.indexOf(from);
      return i >= 0 && i + 1 < a.sorted.length ? a.sorted[i + 1]! : a.end;
    }
    if (target.startsWith('@arc:')) {
      const arc = target.slice(5);
      const a = this.arcs.get(arc);
      if (a === undefined)
        throw new GraphError(`node ${from} enters unknown feature arc ${arc}`, { node: from, arc });
      return a.sorted[0] ?? a.end;
    }
    return target;
  }

  /** Queues `pb` for node `nodeIndex`. */
  enqueue(nodeIndex: number, pb: PacketBuffer): void {
    let f = this.openFrame[nodeIndex]!;
    if (f === null || f.vec.length === VECTOR_SIZE) {
      f = this.spareFrames.pop() ?? new Frame();
      f.node = nodeIndex;
      this.openFrame[nodeIndex] = f;
      this.pushRun(f);
    }
    f.vec.items[f.vec.length++] = pb;
  }

  private pushRun(f: Frame): void {
    if (this.runCount === this.runQueue.length) this.growRunQueue();
    this.runQueue[(this.runHead + this.runCount) % this.runQueue.length] = f;
    this.runCount++;
  }

  private growRunQueue(): void {
    const old = this.runQueue;
    const q = new Array<Frame | null>(old.length * 2).fill(null);
    for (let i = 0; i < this.runCount; i++) q[i] = old[(this.runHead + i) % old.length]!;
    this.runQueue = q;
    this.runHead = 0;
  }

  /** True when vectors are waiting. */
  get pending(): boolean {
    return this.runCount > 0;
  }

  /** True while `dispatch` runs (a node is processing a vector). */
  get dispatching(): boolean {
    return this.inDispatch;
  }

  /**
   * Runs queued vectors, oldest first, until none is left. Packets a node enqueues for
   * itself or an earlier node run in a later frame of the same dispatch.
   */
  dispatch(): void {
    if (this.inDispatch) return; // the running dispatch picks up what was queued
    this.inDispatch = true;
    try {
      this.runAll();
    } finally {
      this.inDispatch = false;
    }
  }

  private runAll(): void {
    const stats = this.runtimeStats;
    while (this.runCount > 0) {
      const f = this.runQueue[this.runHead]!;
      this.runQueue[this.runHead] = null;
      this.runHead = (this.runHead + 1) % this.runQueue.length;
      this.runCount--;
      const node = this.nodes[f.node]!;
      if (this.openFrame[f.node] === f) this.openFrame[f.node] = null;
      const v = f.vec;
      node.calls++;
      node.packets += v.length;
      if (stats) {
        const t0 = performance.now();
        node.def.process(v, node);
        node.timeNs += (performance.now() - t0) * 1e6;
      } else {
        node.def.process(v, node);
      }
      v.clear();
      f.node = -1;
      this.spareFrames.push(f);
    }
  }

  /** Every drop counter as `node.reason` → count (non-zero only unless `all`). */
  dropCounters(all = false): Map<string, number> {
    const out = new Map<string, number>();
    for (const n of this.nodes) {
      n.def.errors.forEach((e, i) => {
        const c = n.drops[i]!;
        if (all || c !== 0) out.set(`${n.name}.${e.name}`, c);
      });
    }
    return out;
  }

  /** Names (`node.reason`) of the counters declared as events rather than drops. */
  eventCounterNames(): Set<string> {
    const out = new Set<string>();
    for (const n of this.nodes) {
      for (const e of n.def.errors) if (e.event) out.add(`${n.name}.${e.name}`);
    }
    return out;
  }
}

/** Orders features so every runsBefore/runsAfter holds, keeping registration order otherwise. */
function sortFeatures(arc: string, features: { node: string; order: FeatureOrder }[]): string[] {
  const names = features.map((f) => f.node);
  const edges = new Map<string, Set<string>>(); // a → b: a runs before b
  for (const n of names) edges.set(n, new Set());
  for (const f of features) {
    for (const b of f.order.runsBefore ?? []) if (edges.has(b)) edges.get(f.node)!.add(b);
    for (const a of f.order.runsAfter ?? []) if (edges.has(a)) edges.get(a)!.add(f.node);
  }
  const indeg = new Map<string, number>(names.map((n) => [n, 0]));
  for (const [, tos] of edges) for (const t of tos) indeg.set(t, indeg.get(t)! + 1);
  const out: string[] = [];
  const ready = names.filter((n) => indeg.get(n) === 0);
  while (ready.length > 0) {
    const n = ready.shift()!;
    out.push(n);
    for (const t of edges.get(n)!) {
      indeg.set(t, indeg.get(t)! - 1);
      if (indeg.get(t) === 0) {
        ready.push(t);
        ready.sort((x, y) => names.indexOf(x) - names.indexOf(y));
      }
    }
  }
  if (out.length !== names.length) {
    throw new GraphError(`feature order on arc ${arc} has a cycle`, { arc, features: names });
  }
  return out;
}
