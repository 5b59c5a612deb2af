/**
 * A fixed-size table of flows (source, destination, next header) with packet and byte
 * counts, in typed arrays: open addressing keyed by a hash of the 33 key bytes, read in
 * place from the packet. Nothing is allocated per packet; when the table is full, new
 * flows are counted in `overflow` instead.
 */
export class FlowTable {
  readonly capacity: number;
  /** Flows in the table. */
  size = 0;
  /** Packets of flows that found no free slot. */
  overflow = 0;
  /** Key bytes per slot: source (16), destination (16), next header (1). */
  readonly keys: Uint8Array;
  readonly used: Uint8Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  private readonly mask: number;
  private readonly limit: number;

  constructor(maxFlows: number) {
    let cap = 16;
    while (cap < maxFlows * 2) cap *= 2;
    this.capacity = cap;
    this.mask = cap - 1;
    this.keys = new Uint8Array(cap * 33);
    this.used = new Uint8Array(cap);
    this.packets = new Float64Array(cap);
    this.bytes = new Float64Array(cap);
    this.limit = maxFlows;
  }

  /** Counts one packet of `len` bytes for the IPv6 header at `b[l3]`. */
  count(b: Uint8Array, l3: number, len: number): void {
    const nh = b[l3 + 6]!;
    let h = 0x811c9dc5 ^ nh;
    for (let i = 8; i < 40; i++) h = Math.imul(h ^ b[l3 + i]!, 0x01000193);
    let slot = (h >>> 0) & this.mask;
    const keys = this.keys;
    for (let probe = 0; probe < this.capacity; probe++) {
      const k = slot * 33;
      if (this.used[slot] === 0) {
        if (this.size >= this.limit) {
          this.overflow++;
          return;
        }
        for (let i = 0; i < 32; i++) keys[k + i] = b[l3 + 8 + i]!;
        keys[k + 32] = nh;
        this.used[slot] = 1;
        this.size++;
        this.packets[slot] = 1;
        this.bytes[slot] = len;
        return;
      }
      if (keys[k + 32] === nh && sameAddresses(keys, k, b, l3 + 8)) {
        this.packets[slot]!++;
        this.bytes[slot]! += len;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
    this.overflow++;
  }

  /** Slots in use, heaviest (by bytes) first. */
  top(n: number): number[] {
    const slots: number[] = [];
    for (let s = 0; s < this.capacity; s++) if (this.used[s] === 1) slots.push(s);
    return slots.sort((a, b) => this.bytes[b]! - this.bytes[a]!).slice(0, n);
  }

  clear(): void {
    this.used.fill(0);
    this.size = 0;
    this.overflow = 0;
  }
}

function sameAddresses(keys: Uint8Array, k: number, b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 32; i++) if (keys[k + i] !== b[off + i]) return false;
  return true;
}
