import type { BufferPool } from './buffer-pool.js';
import type { Device } from './device.js';
import { ConfigError } from './errors.js';
import type { Graph } from './graph.js';
import { dropReasons, type NodeDef } from './graph-node.js';
import { Interface } from './interface.js';
import { GsoFail, completeChecksum, segmentTcp } from './gso.js';
import type { PacketBuffer } from './packet-buffer.js';
import { PacketVector, VECTOR_SIZE } from './packet-vector.js';

export interface SchedulerOptions {
  /** Frames read per breath (1..256, default 256). 1 gives one frame per readiness. */
  rxBudget?: number;
}

/** Name of the node that hands packets to their interface's transmit queue. */
export const INTERFACE_OUTPUT = 'interface-output';

const OUTPUT = dropReasons([
  ['no-interface', 'txIf does not name an interface'],
  ['interface-down', 'the interface is administratively down'],
  ['gso-unsupported', 'super-packet that is not TCP/IPv6, for a device without offloads'],
  ['gso-bad-header', 'super-packet or partial checksum whose offsets lie outside the packet'],
  ['gso-no-buffer', 'no pool buffer for a software segment'],
  ['gso-too-many-segments', 'super-packet with more segments than a vector holds'],
  ['gso-segmented', 'super-packets cut into segments in software (not a drop)', 'event'],
  ['csum-completed', 'partial checksums completed in software (not a drop)', 'event'],
] as const);

/** `GsoFail` → drop reason of `interface-output`. */
const GSO_DROP = new Int32Array(8);
GSO_DROP[GsoFail.Unsupported] = OUTPUT.code['gso-unsupported'];
GSO_DROP[GsoFail.BadHeader] = OUTPUT.code['gso-bad-header'];
GSO_DROP[GsoFail.NoBuffer] = OUTPUT.code['gso-no-buffer'];
GSO_DROP[GsoFail.TooManySegments] = OUTPUT.code['gso-too-many-segments'];

/**
 * Runs the router's breaths (Snabb's breathe loop): when a device is readable, read a
 * batch straight into pool buffers, enqueue them to the interface's input node, dispatch
 * the graph until it is empty, then write every interface's transmit queue in one batch
 * and free what was sent. One breath per readiness; control-plane work (timers,
 * signalling) runs on the same event loop between breaths.
 */
export class Scheduler {
  readonly graph: Graph;
  readonly pool: BufferPool;
  readonly interfaces: Interface[] = [];
  readonly rxBudget: number;
  /** Breaths run so far. */
  breaths = 0;
  /** Interfaces with queued packets; a fixed array plus count (setting an array's length to 0 would free its store and re-allocate on the next push). */
  private readonly dirtyTx: (Interface | null)[] = [];
  private dirtyCount = 0;
  private running = false;
  private readonly freeIndices: number[] = [];
  /** Segments of one super-packet being cut in software (reused). */
  private readonly segments = new PacketVector(VECTOR_SIZE);

  constructor(graph: Graph, opts: SchedulerOptions = {}) {
    this.graph = graph;
    this.pool = graph.pool;
    const budget = opts.rxBudget ?? VECTOR_SIZE;
    if (!Number.isInteger(budget) || budget < 1 || budget > VECTOR_SIZE) {
      throw new ConfigError(`rxBudget must be an integer in 1..${VECTOR_SIZE}, got ${budget}`);
    }
    this.rxBudget = budget;
  }

  /** The `interface-output` node def; register it once with the graph. */
  outputNodeDef(): NodeDef {
    const txq = (pb: PacketBuffer): boolean => this.queueTx(pb);
    const ifaces = this.interfaces;
    const pool = this.pool;
    const segs = this.segments;
    const E = OUTPUT.code;
    return {
      name: INTERFACE_OUTPUT,
      next: [],
      errors: OUTPUT.errors,
      process(v: PacketVector, rt) {
        for (let i = 0; i < v.length; i++) {
          const pb = v.items[i]!;
          if (pb.csumStart >= 0 || pb.gsoType !== 0) {
            // offload metadata for a device that cannot take it: finish the packet here
            const iface = ifaces[pb.txIf];
            if (iface !== undefined && !iface.offload) {
              if (pb.gsoType !== 0) {
                const n = segmentTcp(pool, pb, segs);
                if (n < 0) {
                  rt.drop(pb, GSO_DROP[-n]!);
                  continue;
                }
                if (n > 0) {
                  rt.count(E['gso-segmented']);
                  for (let k = 0; k < n; k++) {
                    const seg = segs.items[k]!;
                    segs.items[k] = null;
                    if (!txq(seg)) rt.drop(seg, E['interface-down']);
                  }
                  segs.length = 0;
                  continue;
                }
                rt.count(E['csum-completed']);
              } else if (completeChecksum(pb)) {
                rt.count(E['csum-completed']);
              } else {
                rt.drop(pb, E['gso-bad-header']);
                continue;
              }
            }
          }
          if (!txq(pb)) rt.drop(pb, pb.txIf < 0 ? E['no-interface'] : E['interface-down']);
        }
      },
    };
  }

  /** Adds an interface whose frames enter node `inputNode`. */
  addInterface(name: string, device: Device, inputNode: string): Interface {
    if (this.interfaces.some((i) => i.name === name)) {
      throw new ConfigError(`interface ${name} already exists`, { interface: name });
    }
    const iface = new Interface(
      this.interfaces.length,
      name,
      device,
      this.graph.indexOf(inputNode),
    );
    this.interfaces.push(iface);
    this.dirtyTx.push(null);
    if (this.running) device.onReadable(() => this.breathe(iface));
    return iface;
  }

  /**
   * Adds a logical interface on physical interface `parent`: it shares the parent's device
   * (and is never polled itself) and gets its frames from the parent's demultiplexers.
   * Indices of removed logical interfaces are reused.
   */
  addLogicalInterface(name: string, parent: Interface): Interface {
    if (parent.parent >= 0) {
      throw new ConfigError(`interface ${parent.name} is itself logical`, {
        interface: parent.name,
      });
    }
    if (this.interfaces.some((i) => !i.removed && i.name === name)) {
      throw new ConfigError(`interface ${name} already exists`, { interface: name });
    }
    const index = this.freeIndices.length > 0 ? this.freeIndices.pop()! : this.interfaces.length;
    const iface = new Interface(index, name, parent.device, parent.inputNode);
    iface.parent = parent.index;
    iface.mtu = parent.mtu;
    if (index === this.interfaces.length) {
      this.interfaces.push(iface);
      this.dirtyTx.push(null);
    } else {
      this.interfaces[index] = iface;
    }
    return iface;
  }

  /** Removes a logical interface: its queued packets are sent, its index becomes free. */
  removeLogicalInterface(iface: Interface): void {
    if (iface.parent < 0 || iface.removed) return;
    this.flushOne(iface);
    iface.removed = true;
    iface.adminUp = false;
    this.freeIndices.push(iface.index);
  }

  /** The interface called `name`. */
  interface(name: string): Interface | undefined {
    return this.interfaces.find((i) => !i.removed && i.name === name);
  }

  setAdminUp(index: number, up: boolean): void {
    const iface = this.interfaces[index];
    if (iface) iface.adminUp = up;
  }

  /** Starts reading on readiness. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const iface of this.interfaces) {
      if (iface.parent < 0) iface.device.onReadable(() => this.breathe(iface));
    }
  }

  /** Stops reading; queued packets are flushed. Idempotent. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const iface of this.interfaces) iface.device.offReadable();
    this.flushTx();
  }

  /**
   * Queues `pb` on interface `pb.txIf`, flushing that queue first when it is full.
   * Returns false (caller drops and counts) when the interface does not exist or is down.
   */
  queueTx(pb: PacketBuffer): boolean {
    const iface = this.interfaces[pb.txIf];
    if (iface === undefined || !iface.adminUp) return false;
    const q = iface.txq;
    if (q.length === 0) this.dirtyTx[this.dirtyCount++] = iface;
    else if (q.length === q.capacity) this.flushOne(iface);
    q.items[q.length++] = pb;
    return true;
  }

  /** Sends `pb` from control-plane code (RAs, PBUs): queue and flush at once. */
  sendNow(pb: PacketBuffer): boolean {
    if (!this.queueTx(pb)) {
      this.pool.free(pb);
      return false;
    }
    this.flushTx();
    return true;
  }

  /**
   * Injects a locally generated packet into node `nodeIndex` and runs the graph. Called
   * from inside a node (a reply sent while processing a vector), it only queues: the
   * running dispatch processes it and the breath flushes it.
   */
  inject(nodeIndex: number, pb: PacketBuffer): void {
    this.graph.enqueue(nodeIndex, pb);
    if (this.graph.dispatching) return;
    this.graph.dispatch();
    this.flushTx();
  }

  /** One breath for one interface: read a batch, run the graph, write. Returns frames read. */
  breathe(iface: Interface): number {
    this.breaths++;
    iface.breaths++;
    const rxv = iface.rxv;
    rxv.length = 0;
    const n = iface.device.receive(this.pool, rxv, this.rxBudget);
    const input = iface.inputNode;
    const ifIndex = iface.index;
    const graph = this.graph;
    for (let i = 0; i < n; i++) {
      const pb = rxv.items[i]!;
      rxv.items[i] = null;
      pb.rxIf = ifIndex;
      graph.enqueue(input, pb);
    }
    rxv.length = 0;
    graph.dispatch();
    this.flushTx();
    return n;
  }

  /** Breathes every interface once (tests and manual stepping); returns frames read. */
  poll(): number {
    let n = 0;
    for (const iface of this.interfaces) if (iface.parent < 0) n += this.breathe(iface);
    return n;
  }

  /** Writes every non-empty transmit queue and frees the buffers. */
  flushTx(): void {
    const dirty = this.dirtyTx;
    for (let i = 0; i < this.dirtyCount; i++) {
      this.flushOne(dirty[i]!);
      dirty[i] = null;
    }
    this.dirtyCount = 0;
  }

  private flushOne(iface: Interface): void {
    const q = iface.txq;
    if (q.length === 0) return;
    iface.device.transmit(q);
    const pool = this.pool;
    for (let i = 0; i < q.length; i++) {
      pool.free(q.items[i]!);
      q.items[i] = null;
    }
    q.length = 0;
  }
}
