/**
 * One timer structure for a whole table of bindings: an indexed binary min-heap of
 * (due time, key) in typed arrays. A key is a small non-negative integer the owner derives
 * from an entry id (the caches use `id * 2 + slot`), so a timer costs no object, no closure
 * and no `setTimeout`. Scheduling, re-scheduling and cancelling are O(log n) and allocate
 * nothing once the arrays have grown; `run(now)` fires every timer due at or before `now`
 * in due-time order, timers due at the same time in the order they were (re)scheduled.
 *
 * Why a heap and not a timer wheel: binding timers are few per entry (lifetime or delete
 * delay, plus one short wait or retransmission), they must fire exactly at their time for
 * RFC 5213's delays to mean what they say, and a heap of 200,000 timers is 18 levels deep.
 * A wheel's O(1) would buy nothing measurable here and costs a resolution.
 *
 *   heap position:   0      1      2      3 …         (children of i: 2i+1, 2i+2)
 *   heapKey  Int32   key    key    key
 *   heapDue  Float64 due    due    due                  (clock ms)
 *   heapSeq  Float64 seq    seq    seq                  (tie-break: scheduling order)
 *   pos      Int32   [key] → heap position, -1 when not scheduled
 */

export class TimerQueue {
  /** Timers scheduled. */
  size = 0;
  private heapKey: Int32Array;
  private heapDue: Float64Array;
  private heapSeq: Float64Array;
  private pos: Int32Array;
  private seq = 0;
  private readonly onFire: (key: number) => void;

  /** `onFire(key)` runs, from `run`, for each due timer after it has been removed. */
  constructor(onFire: (key: number) => void, initialCapacity = 64) {
    const cap = Math.max(4, initialCapacity);
    this.onFire = onFire;
    this.heapKey = new Int32Array(cap);
    this.heapDue = new Float64Array(cap);
    this.heapSeq = new Float64Array(cap);
    this.pos = new Int32Array(cap).fill(-1);
  }

  /** Schedules timer `key` at `due`, replacing its earlier time if it had one. */
  schedule(key: number, due: number): void {
    if (!(key >= 0) || key !== (key | 0)) throw new RangeError(`timer keys are int32 >= 0: ${key}`);
    if (Number.isNaN(due)) throw new RangeError('a timer needs a due time, got NaN');
    if (key >= this.pos.length) this.growKeys(key + 1);
    const seq = this.seq++;
    const p = this.pos[key]!;
    if (p >= 0) {
      const earlier =
        due < this.heapDue[p]! || (due === this.heapDue[p]! && seq < this.heapSeq[p]!);
      this.heapDue[p] = due;
      this.heapSeq[p] = seq;
      if (earlier) this.siftUp(p);
      else this.siftDown(p);
      return;
    }
    if (this.size === this.heapKey.length) this.growHeap();
    const i = this.size++;
    this.heapKey[i] = key;
    this.heapDue[i] = due;
    this.heapSeq[i] = seq;
    this.pos[key] = i;
    this.siftUp(i);
  }

  /** Cancels timer `key`; returns false when it was not scheduled. */
  cancel(key: number): boolean {
    if (key < 0 || key >= this.pos.length) return false;
    const p = this.pos[key]!;
    if (p < 0) return false;
    this.removeAt(p);
    return true;
  }

  /** True when timer `key` is scheduled. */
  has(key: number): boolean {
    return key >= 0 && key < this.pos.length && this.pos[key]! >= 0;
  }

  /** Due time of timer `key`, or undefined when it is not scheduled. */
  dueOf(key: number): number | undefined {
    if (!this.has(key)) return undefined;
    return this.heapDue[this.pos[key]!];
  }

  /** The earliest due time, or Infinity when nothing is scheduled. */
  nextDue(): number {
    return this.size === 0 ? Infinity : this.heapDue[0]!;
  }

  /**
   * Fires every timer due at or before `now`; returns how many fired. A timer that a
   * callback schedules at or before `now` fires in the same run. An exception from a
   * callback propagates; the timers not yet fired stay scheduled.
   */
  run(now: number): number {
    let fired = 0;
    while (this.size > 0 && this.heapDue[0]! <= now) {
      const key = this.heapKey[0]!;
      this.removeAt(0);
      fired++;
      this.onFire(key);
    }
    return fired;
  }

  /** Cancels every timer. */
  clear(): void {
    for (let i = 0; i < this.size; i++) this.pos[this.heapKey[i]!] = -1;
    this.size = 0;
  }

  private removeAt(p: number): void {
    const key = this.heapKey[p]!;
    this.pos[key] = -1;
    const last = --this.size;
    if (p === last) return;
    this.move(last, p);
    // the moved timer may belong above or below its new place
    if (p > 0 && this.less(p, (p - 1) >> 1)) this.siftUp(p);
    else this.siftDown(p);
  }

  private less(a: number, b: number): boolean {
    const da = this.heapDue[a]!;
    const db = this.heapDue[b]!;
    return da < db || (da === db && this.heapSeq[a]! < this.heapSeq[b]!);
  }

  private move(from: number, to: number): void {
    const key = this.heapKey[from]!;
    this.heapKey[to] = key;
    this.heapDue[to] = this.heapDue[from]!;
    this.heapSeq[to] = this.heapSeq[from]!;
    this.pos[key] = to;
  }

  private siftUp(i: number): void {
    const key = this.heapKey[i]!;
    const due = this.heapDue[i]!;
    const seq = this.heapSeq[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pd = this.heapDue[parent]!;
      if (pd < due || (pd === due && this.heapSeq[parent]! < seq)) break;
      this.move(parent, i);
      i = parent;
    }
    this.heapKey[i] = key;
    this.heapDue[i] = due;
    this.heapSeq[i] = seq;
    this.pos[key] = i;
  }

  private siftDown(i: number): void {
    const key = this.heapKey[i]!;
    const due = this.heapDue[i]!;
    const seq = this.heapSeq[i]!;
    const n = this.size;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.less(child + 1, child)) child++;
      const cd = this.heapDue[child]!;
      if (due < cd || (due === cd && seq < this.heapSeq[child]!)) break;
      this.move(child, i);
      i = child;
    }
    this.heapKey[i] = key;
    this.heapDue[i] = due;
    this.heapSeq[i] = seq;
    this.pos[key] = i;
  }

  private growHeap(): void {
    const cap = this.heapKey.length * 2;
    const k = new Int32Array(cap);
    k.set(this.heapKey);
    const d = new Float64Array(cap);
    d.set(this.heapDue);
    const s = new Float64Array(cap);
    s.set(this.heapSeq);
    this.heapKey = k;
    this.heapDue = d;
    this.heapSeq = s;
  }

  private growKeys(min: number): void {
    let cap = this.pos.length;
    while (cap < min) cap *= 2;
    const p = new Int32Array(cap).fill(-1);
    p.set(this.pos);
    this.pos = p;
  }
}
