/**
 * @dmm/tuntap — TAP/TUN devices for Node.js on Linux, through a small N-API addon.
 *
 * ```ts
 * import { Tap } from '@dmm/tuntap';
 * const tap = new Tap({ name: 'dmm0' });
 * tap.mtu = 1500;
 * tap.up = true;
 * const slab = new ArrayBuffer(256 * 2048);
 * tap.attachSlab(slab);
 * const offsets = Uint32Array.from({ length: 256 }, (_, i) => i * 2048 + 128);
 * const lengths = new Uint32Array(256);
 * tap.onReadable(() => {
 *   const n = tap.readBatch(offsets, 2048 - 128, lengths, 256);
 *   // frames i < n are at slab[offsets[i], offsets[i] + lengths[i])
 * });
 * ```
 */
export * from './errors.js';
export * from './device.js';
export { parseMacAddress, formatMacAddress } from './mac.js';
export * from './tap-device.js';
