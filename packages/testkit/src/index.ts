/**
 * @dmm/testkit — helpers shared by the tests of every dmm-router package.
 *
 * ```ts
 * import { hex, assertBytes } from '@dmm/testkit';
 * assertBytes(emitted, hex`60 00 00 00  00 08 3a ff  fe80::1  ff02::1`);
 * ```
 */
export * from './hex.js';
export * from './assert-bytes.js';
export * from './buffers.js';
export * from './header-suite.js';
export * from './pcap.js';
export * from './netns.js';
