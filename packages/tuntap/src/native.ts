/**
 * Loads the native addon (`native/build/Release/tuntap.node`, built by node-gyp in `native/`)
 * and describes its surface. The addon is loaded on first use, so importing this package
 * on a machine where it is not built only fails when a device is opened.
 */
import { createRequire } from 'node:module';
import { DmmError } from '@dmm/core';
import { TuntapErrorCode } from './errors.js';

/** Options the native constructor takes; the TS classes fill every field. */
export interface NativeDeviceOptions {
  name: string;
  tap: boolean;
  multiQueue: boolean;
  persist: boolean;
  exclusive: boolean;
  vnetHdr: boolean;
}

/** Counters kept by the native device (see `TunTapStats`). */
export interface NativeStats {
  reads: number;
  readFrames: number;
  readEagain: number;
  readTruncated: number;
  writes: number;
  writeFrames: number;
  writeEagain: number;
  writeErrors: number;
  pollReadable: number;
  pollWritable: number;
  lastWriteErrno: number;
  /** Bytes of virtio-net header in front of every frame (10 with `vnetHdr`, else 0). */
  vnetHdrSize: number;
}

/** The native device handle (one TAP/TUN queue). Every method may throw a DmmError. */
export interface NativeDevice {
  close(): void;
  isClosed(): boolean;
  getName(): string;
  getIfindex(): number;
  getFd(): number;
  getMac(): Uint8Array;
  setMac(mac: Uint8Array): void;
  getMtu(): number;
  setMtu(mtu: number): void;
  getUp(): boolean;
  setUp(up: boolean): void;
  getPersist(): boolean;
  setPersist(on: boolean): void;
  stats(): NativeStats;
  moveToNetns(name: string): void;
  getNetns(): string | null;
  attachSlab(ab: ArrayBuffer): void;
  readBatch(offsets: Uint32Array, capacity: number, lengths: Uint32Array, max: number): number;
  writeBatch(offsets: Uint32Array, lengths: Uint32Array, count: number): number;
  onReadable(cb: (err?: DmmError) => void): void;
  offReadable(): void;
  onWritable(cb: (err?: DmmError) => void): void;
  offWritable(): void;
  ref(): void;
  unref(): void;
}

export interface NativeBinding {
  Device: new (options: NativeDeviceOptions) => NativeDevice;
  setErrorFactory(
    f: (code: string, message: string, details: Record<string, unknown>) => Error,
  ): void;
  IFNAMSIZ: number;
}

/** Where node-gyp puts the addon, relative to this file (dist/src/native.js). */
const ADDON_PATH = '../../native/build/Release/tuntap.node';

let binding: NativeBinding | undefined;

/** The addon, loaded once. Throws a DmmError when it is not built or not loadable. */
export function nativeBinding(): NativeBinding {
  if (binding !== undefined) return binding;
  if (process.platform !== 'linux') {
    throw new DmmError(
      TuntapErrorCode.System,
      `@dmm/tuntap supports Linux only, not ${process.platform}`,
      {
        platform: process.platform,
      },
    );
  }
  const require = createRequire(import.meta.url);
  let b: NativeBinding;
  try {
    b = require(ADDON_PATH) as NativeBinding;
  } catch (e) {
    const path = new URL(ADDON_PATH, import.meta.url).pathname;
    throw new DmmError(
      TuntapErrorCode.System,
      `the @dmm/tuntap native addon is not built or cannot be loaded (${path}); run pnpm build`,
      { path, cause: e instanceof Error ? e.message : String(e) },
      { cause: e },
    );
  }
  b.setErrorFactory((code, message, details) => new DmmError(code, message, details));
  binding = b;
  return b;
}
