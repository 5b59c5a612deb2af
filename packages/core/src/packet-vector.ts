import type { PacketBuffer } from './packet-buffer.js';

/** Largest number of packets a vector holds (VPP's frame size). */
export const VECTOR_SIZE = 256;

/**
 * A batch of packets handed to a node in one call (VPP frame, Snabb link). Preallocated
 * and reused: `push` never grows it; the graph opens another vector when one is full.
 */
export class PacketVector {
  readonly items: (PacketBuffer | null)[];
  readonly capacity: number;
  length = 0;

  constructor(capacity = VECTOR_SIZE) {
    this.capacity = capacity;
    this.items = new Array<PacketBuffer | null>(capacity).fill(null);
  }

  /** Appends; returns false (and keeps nothing) when full. */
  push(pb: PacketBuffer): boolean {
    if (this.length === this.capacity) return false;
    this.items[this.length++] = pb;
    return true;
  }

  get full(): boolean {
    return this.length === this.capacity;
  }

  /** Empties the vector and drops its references. */
  clear(): void {
    const items = this.items;
    for (let i = 0; i < this.length; i++) items[i] = null;
    this.length = 0;
  }
}
