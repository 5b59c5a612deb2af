/**
 * @dmm/wire — zero-copy views and Repr codecs for the headers dmm-router speaks.
 *
 * A *view* reads and writes a header in place over bytes it does not own; a *Repr* is the
 * header's meaning as a plain value, with `parse` (validate + read) and `emit` (write every
 * byte). The data path uses views and `check()`; the control plane and tests use Reprs.
 * No dependencies, no I/O.
 *
 * ```ts
 * import { Ipv6View, Ipv6, dataViewOf, formatIpv6 } from '@dmm/wire';
 * const bytes = new Uint8Array(frame);              // e.g. a received packet
 * const ip = new Ipv6View(bytes, dataViewOf(bytes), 14, bytes.length);
 * if (ip.check() === 0) console.log(formatIpv6(bytes, ip.srcOffset()), ip.hopLimit());
 * const repr = Ipv6.parse(ip);                      // throws WireError if malformed
 * ```
 */
export * from './check.js';
export * from './errors.js';
export * from './view.js';
export * from './checksum.js';
export * from './address.js';
export * from './proto.js';
export * from './ipv6.js';
export * from './mobility-option.js';
export * from './mobility.js';
export * from './ip6ip6.js';
export * from './ethernet.js';
export * from './ipv6-ext.js';
export * from './icmpv6.js';
export * from './ndisc-option.js';
export * from './ndisc.js';
export * from './udp.js';
