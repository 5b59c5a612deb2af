/**
 * Index machinery shared by the Binding Cache and the Binding Update List. Entries live in
 * numbered slots; every index maps a key to slot ids without allocating per lookup:
 *
 *   - `Chains`: intrusive doubly-linked lists of ids in two Int32Arrays (next/prev by id),
 *     so an id leaves any list in O(1) and no per-list array exists;
 *   - `MnIndex`: MN-ID key (string) → head of that node's chain;
 *   - `AddressInterner`: one shared, reference-counted copy of each distinct address
 *     (Proxy-CoAs, LMA addresses and MAG link-local addresses repeat across thousands of
 *     bindings), found through core's allocation-free `AddressMap`;
 *   - `AddressGroups`: address → chain of the ids using it, with the count (tunnel
 *     reference counts per MAG or per LMA, RFC 5213 §5.6.1);
 *   - prefixes go to a core `Fib` (one `AddressMap` per prefix length in use): exact
 *     prefix → id, and longest-prefix match of an address in O(number of lengths).
 */
import { AddressMap } from '@dmm/core';

/** Numbered slots with a free stack; ids are reused after release. */
export class Slots<T> {
  items: (T | undefined)[] = [];
  size = 0;
  private readonly free: number[] = [];

  alloc(item: T): number {
    const id = this.free.length > 0 ? this.free.pop()! : this.items.length;
    if (id === this.items.length) this.items.push(item);
    else this.items[id] = item;
    this.size++;
    return id;
  }

  release(id: number): void {
    this.items[id] = undefined;
    this.free.push(id);
    this.size--;
  }
}

function grownInt32(a: Int32Array, min: number): Int32Array<ArrayBuffer> {
  let cap = a.length;
  while (cap < min) cap *= 2;
  const b = new Int32Array(cap).fill(-1);
  b.set(a);
  return b;
}

/** Doubly-linked lists of ids; the heads are kept by the owner of each list. */
export class Chains {
  next = new Int32Array(64).fill(-1);
  prev = new Int32Array(64).fill(-1);

  /** Puts `id` in front of the list starting at `head`; returns the new head. */
  pushFront(head: number, id: number): number {
    if (id >= this.next.length) {
      this.next = grownInt32(this.next, id + 1);
      this.prev = grownInt32(this.prev, id + 1);
    }
    this.next[id] = head;
    this.prev[id] = -1;
    if (head >= 0) this.prev[head] = id;
    return id;
  }

  /** Takes `id` out of the list starting at `head`; returns the new head (-1: empty). */
  unlink(head: number, id: number): number {
    const n = this.next[id]!;
    const p = this.prev[id]!;
    if (n >= 0) this.prev[n] = p;
    if (p >= 0) this.next[p] = n;
    this.next[id] = -1;
    this.prev[id] = -1;
    return head === id ? n : head;
  }
}

/** MN-ID key → the chain of that node's entries (most recent first). */
export class MnIndex {
  readonly heads = new Map<string, number>();
  readonly chains = new Chains();

  add(key: string, id: number): void {
    this.heads.set(key, this.chains.pushFront(this.heads.get(key) ?? -1, id));
  }

  remove(key: string, id: number): void {
    const head = this.heads.get(key);
    if (head === undefined) return;
    const h = this.chains.unlink(head, id);
    if (h < 0) this.heads.delete(key);
    else this.heads.set(key, h);
  }

  first(key: string): number {
    return this.heads.get(key) ?? -1;
  }

  next(id: number): number {
    return this.chains.next[id]!;
  }
}

/** One reference-counted canonical copy of each distinct 16-byte address. */
export class AddressInterner {
  readonly bytes: (Uint8Array | null)[] = [];
  refs = new Int32Array(16);
  private readonly map = new AddressMap();
  private readonly free: number[] = [];

  /** Number of distinct addresses held. */
  get size(): number {
    return this.map.size;
  }

  /** Index of `addr[off..off+16)`, or -1. Allocation-free. */
  find(addr: Uint8Array, off = 0): number {
    return this.map.get(addr, off);
  }

  /** Takes one reference to the address, copying it on first use; returns its index. */
  acquire(addr: Uint8Array, off = 0): number {
    let i = this.map.get(addr, off);
    if (i < 0) {
      i = this.free.length > 0 ? this.free.pop()! : this.bytes.length;
      const copy = new Uint8Array(16);
      for (let k = 0; k < 16; k++) copy[k] = addr[off + k]!;
      if (i === this.bytes.length) this.bytes.push(copy);
      else this.bytes[i] = copy;
      if (i >= this.refs.length) {
        const r = new Int32Array(this.refs.length * 2);
        r.set(this.refs);
        this.refs = r;
      }
      this.refs[i] = 0;
      this.map.set(copy, 0, i);
    }
    this.refs[i]!++;
    return i;
  }

  /** Drops one reference; the address is forgotten with its last one. */
  release(i: number): void {
    if (--this.refs[i]! > 0) return;
    this.map.delete(this.bytes[i]!, 0);
    this.bytes[i] = null;
    this.free.push(i);
  }

  get(i: number): Uint8Array {
    return this.bytes[i]!;
  }
}

/** Address → the chain of entry ids using it, and how many. */
export class AddressGroups {
  readonly interner = new AddressInterner();
  private heads = new Int32Array(16).fill(-1);
  private groupOf = new Int32Array(64).fill(-1);
  private readonly chains = new Chains();

  /** Adds entry `id` to the group of `addr`; returns the group's shared address bytes. */
  add(addr: Uint8Array, id: number): Uint8Array {
    const g = this.interner.acquire(addr, 0);
    if (g >= this.heads.length) this.heads = grownInt32(this.heads, g + 1);
    const head = this.interner.refs[g] === 1 ? -1 : this.heads[g]!;
    this.heads[g] = this.chains.pushFront(head, id);
    if (id >= this.groupOf.length) this.groupOf = grownInt32(this.groupOf, id + 1);
    this.groupOf[id] = g;
    return this.interner.get(g);
  }

  /** Takes entry `id` out of its group. */
  remove(id: number): void {
    const g = this.groupOf[id]!;
    if (g < 0) return;
    this.heads[g] = this.chains.unlink(this.heads[g]!, id);
    this.groupOf[id] = -1;
    this.interner.release(g);
  }

  /** Entries using the address at `addr[off]`. Allocation-free. */
  count(addr: Uint8Array, off = 0): number {
    const g = this.interner.find(addr, off);
    return g < 0 ? 0 : this.interner.refs[g]!;
  }

  /** First entry id of the address's chain, or -1. */
  first(addr: Uint8Array, off = 0): number {
    const g = this.interner.find(addr, off);
    return g < 0 ? -1 : this.heads[g]!;
  }

  next(id: number): number {
    return this.chains.next[id]!;
  }

  /** Distinct addresses in use. */
  get size(): number {
    return this.interner.size;
  }

  /** Every address in use with its count (control plane). */
  list(): { address: Uint8Array; count: number }[] {
    const out: { address: Uint8Array; count: number }[] = [];
    this.interner.bytes.forEach((b, i) => {
      if (b) out.push({ address: b, count: this.interner.refs[i]! });
    });
    return out;
  }
}
