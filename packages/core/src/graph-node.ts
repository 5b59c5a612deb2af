import type { PacketBuffer } from './packet-buffer.js';
import type { PacketVector } from './packet-vector.js';

/** One named drop reason of a node; its position in `errors` is its numeric code. */
export interface DropReasonDef {
  /** Stable kebab-case name; the counter is `<node>.<name>`. */
  readonly name: string;
  /** One line for people (`show errors`). */
  readonly help: string;
  /**
   * True for a counter of events that are not losses (a packet turned into an ICMPv6
   * error, a message delivered): counted with `rt.count`, never with `rt.drop`.
   */
  readonly event?: true;
}

/**
 * The runtime side of a node, handed to `process`. A node passes every packet of its
 * vector on exactly once, with `next` or `drop`; after that the packet is not its own
 * (Snabb/gVisor ownership rule).
 */
export interface NodeRuntime {
  /** Enqueues `pb` to the node behind arc `arc` (index into the node's `next`). */
  next(arc: number, pb: PacketBuffer): void;
  /** Counts `pb` under drop reason `reason` (index into `errors`) and frees it. */
  drop(pb: PacketBuffer, reason: number): void;
  /** Increments counter `reason` without dropping anything (events worth counting). */
  count(reason: number): void;
}

/**
 * A graph node, declared as data (VPP's VLIB_REGISTER_NODE): a name, the nodes it may
 * send to (arcs, by position), its drop reasons, and `process`, which handles a whole
 * vector per call. `process` must not allocate, throw or emit events per packet.
 */
export interface NodeDef {
  readonly name: string;
  /** Names of the next nodes; `next(i, pb)` sends to `next[i]`. */
  readonly next: readonly string[];
  /** Drop reasons; `drop(pb, i)` counts under `errors[i]`. */
  readonly errors: readonly DropReasonDef[];
  process(v: PacketVector, rt: NodeRuntime): void;
}

/** Shorthand for building drop-reason lists with a matching code table. */
export function dropReasons<const K extends string>(
  defs: readonly (readonly [K, string] | readonly [K, string, 'event'])[],
): { readonly errors: readonly DropReasonDef[]; readonly code: { readonly [P in K]: number } } {
  const code = {} as { [P in K]: number };
  const errors: DropReasonDef[] = [];
  defs.forEach(([name, help, kind], i) => {
    code[name] = i;
    errors.push(kind === 'event' ? { name, help, event: true } : { name, help });
  });
  return { errors, code };
}
