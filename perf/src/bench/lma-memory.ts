/**
 * Memory per binding at the LMA: `node --expose-gc perf/dist/src/bench/lma-memory.js [N]`
 * (default N = 100,000). Registers N mobile nodes (behind 100 MAGs) through the real PBU
 * path of `lma-cases.ts` and reports what the router holds for them afterwards — the
 * Binding Cache entries and their indexes, one route per home network prefix, the
 * tunnel references and the prefix pool — as heap and ArrayBuffer bytes after a full
 * garbage collection, divided by N. The PBU packets fed in are built beforehand and stay
 * alive across both measurements, so they are not counted. Prints one JSON line.
 */
import { RouteKind } from '@dmm/core';
import { LMA_BINDINGS, lmaFixture, pbuPacket } from './lma-cases.js';

const gc = (globalThis as { gc?: () => void }).gc;

function used(): { heap: number; arrayBuffers: number } {
  for (let i = 0; i < 3; i++) gc!();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

async function main(): Promise<void> {
  if (gc === undefined) {
    process.stderr.write('lma-memory: run with node --expose-gc\n');
    process.exit(2);
  }
  const n = Number(process.argv[2] ?? LMA_BINDINGS);
  const fx = await lmaFixture();
  const packets: Uint8Array[] = [];
  for (let i = 0; i < n; i++)
    packets.push(pbuPacket(fx.router, i, `mn${i}@bench.example`, null, 1));
  const before = used();
  fx.feed(packets, 0, n);
  const after = used();
  const routes = fx.router.routes
    .list()
    .filter((r) => r.origin === 'lma' && r.kind === RouteKind.Tunnel);
  const heap = (after.heap - before.heap) / n;
  const ab = (after.arrayBuffers - before.arrayBuffers) / n;
  const line = {
    bindings: fx.lma.cache.size,
    routes: routes.length,
    tunnels: fx.router.routes.list().length > 0 ? new Set(routes.map((r) => r.tunnel)).size : 0,
    heapBytesPerBinding: Math.round(heap),
    arrayBufferBytesPerBinding: Math.round(ab),
    bytesPerBinding: Math.round(heap + ab),
    node: process.version,
    date: new Date().toISOString(),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  // keep the packets alive until after the second measurement
  if (packets.length !== n) throw new Error('unreachable');
  await fx.router.stop();
}

void main();
