/**
 * The handover demo's parts, for the perf harness and tests: a run on the examples/dmm lab
 * (handover.ts), the probe's rings and their analysis (ring.ts), the probe datagram
 * (datagram.ts) and the demo's report (report.ts).
 */
export * from './handover.js';
export * from './ring.js';
export * from './datagram.js';
export * from './report.js';
