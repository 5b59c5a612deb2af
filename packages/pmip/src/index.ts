/**
 * @dmm/pmip — Proxy Mobile IPv6 signalling (RFC 5213): Mobility Header input and output,
 * PBU/PBA transactions with retransmission and back-off, sequence numbers and timestamps.
 * The roles (MAG, LMA, D-GW) are plugins built on it.
 */
export * from './sequence.js';
export * from './timestamp.js';
export * from './mh-packet.js';
export * from './mobility-service.js';
export * from './transactions.js';
