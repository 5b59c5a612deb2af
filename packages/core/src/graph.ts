import type { BufferPool } from './buffer-pool.js';
import { GraphError } from './errors.js';
import type { NodeDef, NodeRuntime } from './graph-node.js';
import type { PacketBuffer } from './packet-buffer.js';
import { PacketVector, VECTOR_SIZE } from './packet-vector.js';

/** Per-node counters and arcs; also the NodeRuntime its `process` receives. */
export class GraphNode implements NodeRuntime {
  readonly index: number;
  readonly def: NodeDef;
  /** Node index behind each arc (-1 until the graph is finalised). */
  readonly nextIndex: Int32Array;
  /** Drop counts by reason code. */
  readonly drops: Float64Array;
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
    this.drops = new Float64Array(def.errors.length);
  }

  get name(): string {
    return this.def.name;
  }

  next(arc: number, pb: PacketBuffer): void {
    this.graph.enqueue(this.nextIndex[arc]!, pb);
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

  /** Resolves every arc by name; a missing target is a setup error naming both nodes. */
  finalise(): void {
    for (const n of this.nodes) this.resolveArcs(n);
    this.finalised = true;
  }

  private resolveArcs(n: GraphNode): void {
    n.def.next.forEach((target, i) => {
      const t = this.byName.get(target);
      if (t === undefined) {
        throw new GraphError(`node ${n.name} has an arc to unknown node ${target}`, {
          node: n.name,
          target,
        });
      }
      n.nextIndex[i] = t.index;
    });
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

  /**
   * Runs queued vectors, oldest first, until none is left. Packets a node enqueues for
   * itself or an earlier node run in a later frame of the same dispatch.
   */
  dispatch(): void {
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
}
