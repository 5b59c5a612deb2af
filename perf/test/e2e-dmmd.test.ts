/**
 * The pure parts of the end-to-end harness's dmmd path: the router's config (checked by the
 * real dmmd binary's validation), the dmmd and dmmctl command lines, reading what dmmctl,
 * /proc/net/snmp6 and tshark print, and the CPU profile summary. Every sample below was printed by the real
 * program on the development machine (Linux 6.18, Node 20.20.2, tshark 4.0 of Debian
 * bookworm) unless a comment says it was edited, and how.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DMMD,
  GENERATOR_HOP_LIMIT,
  ND_SNMP6,
  addressesNotReady,
  checkRoutedFrames,
  counterDeltas,
  dmmctlArgv,
  dmmdArgv,
  dmmdConfig,
  dmmdConfigText,
  formatDeltas,
  formatRouterReport,
  isReadyLine,
  ndMessages,
  parseShowCounters,
  parseShowInterfaces,
  parseShowRuntime,
  parseSnmp6,
  phaseReport,
  raEnabled,
  tsharkArgv,
  type DmmdSetup,
  type RouterSnapshot,
} from '@dmm/perf/e2e/dmmd.js';
import { REPO_DIR } from '@dmm/perf/e2e/cbuild.js';
import { areaOf, formatCpuProfileSummary, summariseCpuProfile } from '@dmm/perf/e2e/cpuprofile.js';

/** The setup the harness uses (router.ts), with a socket path of the test's own. */
function setup(netnsA: string, netnsB: string, socket = '/tmp/dmmp-test/r.sock'): DmmdSetup {
  return {
    name: 'dmmp-r',
    socket,
    a: {
      ifName: 'dmmp-ra',
      netns: netnsA,
      routerMac: '02:00:00:00:0a:02',
      routerIp: 'fd00:a::2',
      hostMac: '02:00:00:00:0a:01',
      hostIp: 'fd00:a::1',
      prefixLen: 64,
    },
    b: {
      ifName: 'dmmp-rb',
      netns: netnsB,
      routerMac: '02:00:00:00:0b:02',
      routerIp: 'fd00:b::2',
      hostMac: '02:00:00:00:0b:01',
      hostIp: 'fd00:b::1',
      prefixLen: 64,
    },
  };
}

test('dmmdConfig: two point-to-point links in the host namespaces, static neighbours, no RA', () => {
  assert.deepEqual(dmmdConfig(setup('dmmp-a', 'dmmp-b')), {
    router: { name: 'dmmp-r' },
    control: { socket: '/tmp/dmmp-test/r.sock' },
    log: { level: 'info' },
    interfaces: [
      {
        name: 'dmmp-ra',
        type: 'tap',
        mac: '02:00:00:00:0a:02',
        netns: 'dmmp-a',
        addresses: ['fd00:a::2/64'],
      },
      {
        name: 'dmmp-rb',
        type: 'tap',
        mac: '02:00:00:00:0b:02',
        netns: 'dmmp-b',
        addresses: ['fd00:b::2/64'],
      },
    ],
    neighbors: {
      static: [
        { interface: 'dmmp-ra', address: 'fd00:a::1', mac: '02:00:00:00:0a:01' },
        { interface: 'dmmp-rb', address: 'fd00:b::1', mac: '02:00:00:00:0b:01' },
      ],
    },
  });
  const text = dmmdConfigText(setup('dmmp-a', 'dmmp-b'));
  assert.deepEqual(JSON.parse(text), dmmdConfig(setup('dmmp-a', 'dmmp-b')));
  assert.ok(text.endsWith('}\n'));
});

/**
 * Runs the real dmmd on a config naming namespaces that do not exist: dmmd validates the
 * whole file first (exit 2 with every problem), then checks the namespaces (exit 2 naming
 * each missing one) before touching any device — so a valid config gives exactly the two
 * namespace errors, and an invalid one gives its own.
 */
function runDmmd(text: string): { code: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dmmp-test-'));
  try {
    const file = join(dir, 'r.yaml');
    writeFileSync(file, text);
    const r = spawnSync(process.execPath, [DMMD, '--config', file], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: r.status, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('dmmdConfigText: the real dmmd accepts the config (only the absent namespaces are reported)', (t) => {
  if (!existsSync(DMMD)) return t.skip('packages/cli is not built');
  const absentA = `dmmp-absent-a-${process.pid}`;
  const absentB = `dmmp-absent-b-${process.pid}`;
  const ok = runDmmd(dmmdConfigText(setup(absentA, absentB, join(tmpdir(), 'dmmp-x.sock'))));
  assert.equal(ok.code, 2, ok.stderr);
  const lines = ok.stderr.trim().split('\n');
  assert.equal(lines.length, 2, ok.stderr);
  assert.match(
    lines[0]!,
    new RegExp(`interfaces\\[0\\]\\.netns: no network namespace "${absentA}"`),
  );
  assert.match(
    lines[1]!,
    new RegExp(`interfaces\\[1\\]\\.netns: no network namespace "${absentB}"`),
  );
  // The same check tells a config dmmd rejects: an interface name over 15 bytes.
  const bad = setup(absentA, absentB);
  bad.a.ifName = 'dmmp-ra-much-too-long';
  const no = runDmmd(dmmdConfigText(bad));
  assert.equal(no.code, 2);
  assert.match(no.stderr, /interfaces\[0\]\.name/);
  assert.doesNotMatch(
    no.stderr,
    /no network namespace/,
    'validation fails before the namespace check',
  );
});

test('dmmdArgv and dmmctlArgv: command lines; an unbuilt dmmd or dmmctl makes the path missing', () => {
  const here = fileURLToPath(import.meta.url); // any file that exists
  assert.deepEqual(dmmdArgv('/tmp/r.yaml', [], here, here), [
    process.execPath,
    here,
    '--config',
    '/tmp/r.yaml',
  ]);
  assert.deepEqual(dmmdArgv('/tmp/r.yaml', ['--cpu-prof', '--cpu-prof-dir=/tmp/p'], here, here), [
    process.execPath,
    '--cpu-prof',
    '--cpu-prof-dir=/tmp/p',
    here,
    '--config',
    '/tmp/r.yaml',
  ]);
  const absent = join(REPO_DIR, 'packages', 'cli', 'dist', 'src', 'nothing-here.js');
  assert.deepEqual(dmmdArgv('/tmp/r.yaml', [], absent, here), {
    missing: 'packages/cli/dist/src/nothing-here.js not found (build packages/cli with pnpm build)',
  });
  assert.deepEqual(dmmdArgv('/tmp/r.yaml', [], here, absent), {
    missing: 'packages/cli/dist/src/nothing-here.js not found (build packages/cli with pnpm build)',
  });
  assert.deepEqual(dmmctlArgv({ socket: '/tmp/r.sock', dmmctl: '/x/dmmctl.js' }, 'show counters'), [
    process.execPath,
    '/x/dmmctl.js',
    '--socket',
    '/tmp/r.sock',
    '--json',
    'show',
    'counters',
  ]);
});

test('isReadyLine: dmmd\'s "ready" log line and nothing else', () => {
  // Printed by dmmd with the harness's config (socket under /tmp/dmmpx).
  const ready =
    '{"level":30,"time":1795781890196,"router":"dmmp-r","socket":"/tmp/dmmpx/r.sock","interfaces":[{"name":"dmmp-ra","kind":"ethernet","netns":"dmmp-a","addresses":["fe80::ff:fe00:a02","fd00:a::2/64"]},{"name":"dmmp-rb","kind":"ethernet","netns":"dmmp-b","addresses":["fe80::ff:fe00:b02","fd00:b::2/64"]}],"plugins":["routing:started","ndra:started","control:started"],"msg":"ready"}';
  const opened =
    '{"level":30,"time":1795781890154,"router":"dmmp-r","interface":"dmmp-ra","kind":"tap","deviceMac":"12:6e:f0:ae:a5:ed","mtu":1500,"netns":"dmmp-a","created":true,"msg":"interface opened"}';
  assert.equal(isReadyLine(ready), true);
  assert.equal(isReadyLine(opened), false);
  assert.equal(isReadyLine('ready'), false, "the TAP forwarders' plain line is not dmmd's");
  assert.equal(isReadyLine('{"msg":"ready"'), false, 'a line cut in half');
});

// `dmmctl --json show counters` after 1,000 probes and a ping through the router.
const COUNTERS = `{
  "nodes": {
    "ip6-input.multicast-not-joined": 8,
    "nd-dad.started": 4,
    "nd-dad.succeeded": 4
  },
  "pool": {
    "buffers": 8192,
    "inUse": 510,
    "exhausted": 0
  },
  "breaths": 6
}`;

// `dmmctl --json show interfaces` after a 3 s iperf3 run through the router.
const INTERFACES = `[
  {
    "index": 0,
    "name": "dmmp-ra",
    "kind": "ethernet",
    "mac": "02:00:00:00:0a:02",
    "mtu": 1500,
    "up": true,
    "linkLocal": "fe80::ff:fe00:a02",
    "addresses": [
      "fd00:a::2/64"
    ],
    "rxPackets": 650188,
    "rxBytes": 982960490,
    "txPackets": 121257,
    "txBytes": 10434951,
    "txDropped": 0
  },
  {
    "index": 1,
    "name": "dmmp-rb",
    "kind": "ethernet",
    "mac": "02:00:00:00:0b:02",
    "mtu": 1500,
    "up": true,
    "linkLocal": "fe80::ff:fe00:b02",
    "addresses": [
      "fd00:b::2/64"
    ],
    "rxPackets": 121261,
    "rxBytes": 10435375,
    "txPackets": 650184,
    "txBytes": 982960066,
    "txDropped": 0
  }
]`;

test('parseShowCounters and parseShowInterfaces: dmmctl --json results', () => {
  assert.deepEqual(parseShowCounters(COUNTERS), {
    nodes: {
      'ip6-input.multicast-not-joined': 8,
      'nd-dad.started': 4,
      'nd-dad.succeeded': 4,
    },
    pool: { buffers: 8192, inUse: 510, exhausted: 0 },
    breaths: 6,
  });
  assert.throws(() => parseShowCounters('[]'), /show counters is not an object/);
  assert.throws(
    () => parseShowCounters('{"nodes":{},"pool":{"buffers":1,"inUse":0},"breaths":1}'),
    /pool lacks exhausted/,
  );
  assert.throws(() => parseShowCounters('{"nodes":{"x":"1"},"pool":{}}'), /x is not a number/);
  assert.deepEqual(parseShowInterfaces(INTERFACES), [
    {
      name: 'dmmp-ra',
      mac: '02:00:00:00:0a:02',
      rxPackets: 650188,
      txPackets: 121257,
      txDropped: 0,
    },
    {
      name: 'dmmp-rb',
      mac: '02:00:00:00:0b:02',
      rxPackets: 121261,
      txPackets: 650184,
      txDropped: 0,
    },
  ]);
  assert.throws(() => parseShowInterfaces('{}'), /not a list/);
  assert.throws(
    () => parseShowInterfaces('[{"name":"a","rxPackets":1}]'),
    /interface a lacks txPackets/,
  );
});

test('parseShowRuntime, addressesNotReady, raEnabled: dmmctl --json results', () => {
  // `show runtime` of a router that had sent its DAD probes.
  const runtime = `[
  { "node": "interface-output", "calls": 4, "packets": 4, "vectorSize": 1, "nsPerPacket": null },
  { "node": "ethernet-input", "calls": 7, "packets": 8, "vectorSize": 1.1428571428571428, "nsPerPacket": null },
  { "node": "ip6-lookup", "calls": 4, "packets": 4, "vectorSize": 1, "nsPerPacket": null }
]`;
  assert.deepEqual(parseShowRuntime(runtime), {
    'interface-output': 1,
    'ethernet-input': 1.1428571428571428,
    'ip6-lookup': 1,
  });
  assert.throws(() => parseShowRuntime('[{"node":"x"}]'), /node x lacks vectorSize/);
  // `show nd` once DAD is over (the cache part trimmed).
  const nd = `{
  "cache": { "queued": 0, "reachableTime": 27518 },
  "addresses": [
    { "interface": "dmmp-ra", "address": "fe80::ff:fe00:a02", "state": "preferred", "foundBy": null },
    { "interface": "dmmp-ra", "address": "fd00:a::2", "state": "preferred", "foundBy": null }
  ],
  "counters": { "nd-dad.started": 4, "nd-dad.succeeded": 4 }
}`;
  assert.deepEqual(addressesNotReady(nd), []);
  // Edited: the second address still in DAD.
  assert.deepEqual(
    addressesNotReady(
      nd.replace('"preferred", "foundBy": null }\n  ]', '"tentative", "foundBy": null }\n  ]'),
    ),
    ['dmmp-ra fd00:a::2 tentative'],
  );
  assert.throws(() => addressesNotReady('{}'), /lacks addresses/);
  // `show ra` of the harness's router (no `ra`): nothing; of one with `ra` on dmmp-ra (trimmed).
  assert.deepEqual(raEnabled('[]'), []);
  const ra = `[{ "interface": "dmmp-ra", "enabled": true, "nextIn": 13.003, "rsReceived": 0,
    "minInterval": 200, "maxInterval": 600, "routerLifetime": 1800 }]`;
  assert.deepEqual(raEnabled(ra), ['dmmp-ra']);
  assert.deepEqual(raEnabled(ra.replace('"enabled": true', '"enabled": false')), []);
});

test('counterDeltas and formatDeltas: what moved, by name', () => {
  assert.deepEqual(counterDeltas({ b: 1, a: 5, same: 3 }, { a: 7, b: 1, same: 3, c: 2 }), {
    a: 2,
    c: 2,
  });
  assert.deepEqual(counterDeltas({ gone: 4 }, {}), { gone: -4 });
  assert.equal(
    formatDeltas({ a: 2, 'ip6-lookup.no-route': 12, x: -1 }),
    'a +2, ip6-lookup.no-route +12, x -1',
  );
  assert.equal(formatDeltas({}), 'none');
});

test('parseSnmp6 and ndMessages: Neighbor and Router Discovery messages of a host', () => {
  // /proc/net/snmp6 lines as Linux 6.18 prints them (name, spaces and a tab, value), an
  // excerpt of a host namespace's file.
  const before = parseSnmp6(
    'Ip6InReceives                   \t5\n' +
      'Icmp6InRouterSolicits           \t0\n' +
      'Icmp6InRouterAdvertisements     \t0\n' +
      'Icmp6InNeighborSolicits         \t0\n' +
      'Icmp6OutNeighborSolicits        \t0\n' +
      'Icmp6OutMLDv2Reports            \t4\n' +
      'Icmp6InType135                  \t0\n' +
      'Ip6InOctets                     \t123456789012\n',
  );
  assert.equal(before['Ip6InReceives'], 5);
  assert.equal(before['Ip6InOctets'], 123456789012);
  assert.equal(before['Icmp6OutMLDv2Reports'], 4);
  const after = {
    ...before,
    Ip6InReceives: 5000,
    Icmp6OutMLDv2Reports: 6,
    Icmp6InRouterAdvertisements: 1,
    Icmp6OutNeighborSolicits: 2,
  };
  assert.deepEqual(ndMessages(before, after), {
    Icmp6InRouterAdvertisements: 1,
    Icmp6OutNeighborSolicits: 2,
  });
  assert.deepEqual(ndMessages(before, before), {});
  assert.equal(ND_SNMP6.length, 10, 'RS, RA, NS, NA, Redirect, each way');
});

test('checkRoutedFrames: the rewrite of a router, not the frames of a layer-2 forwarder', () => {
  assert.deepEqual(tsharkArgv('dmmp-rb', 5).slice(0, 8), [
    'tshark',
    '-n',
    '-i',
    'dmmp-rb',
    '-c',
    '5',
    '-f',
    'ip6 and udp dst port 9',
  ]);
  const want = {
    srcMac: '02:00:00:00:0b:02',
    dstMac: '02:00:00:00:0b:01',
    src: 'fd00:a::1',
    dst: 'fd00:b::1',
    hopLimit: GENERATOR_HOP_LIMIT - 1,
  };
  // Captured in dmmp-b by tsharkArgv('dmmp-rb', 5) while udpgen sent 100 probes through dmmd.
  const routed = '02:00:00:00:0b:02,02:00:00:00:0b:01,fd00:a::1,fd00:b::1,63\n'.repeat(5);
  assert.deepEqual(checkRoutedFrames(routed, want), { frames: 5, problems: [] });
  // Edited: what a layer-2 forwarder delivers (the generator's frame unchanged: A's MAC as
  // source, the router's A-side MAC as destination, hop limit 64).
  const bridged = '02:00:00:00:0a:01,02:00:00:00:0a:02,fd00:a::1,fd00:b::1,64\n';
  assert.deepEqual(checkRoutedFrames(bridged, want).problems, [
    'frame 1: source MAC 02:00:00:00:0a:01, expected 02:00:00:00:0b:02',
    'frame 1: destination MAC 02:00:00:00:0a:02, expected 02:00:00:00:0b:01',
    'frame 1: hop limit 64, expected 63',
  ]);
  assert.deepEqual(checkRoutedFrames('', want), { frames: 0, problems: ['no frame captured'] });
  assert.deepEqual(checkRoutedFrames('02:00:00:00:0b:02,,fd00:a::1\n', want).problems, [
    'frame 1: not 5 fields: 02:00:00:00:0b:02,,fd00:a::1',
  ]);
  // Case does not matter (tshark prints lower case; a MAC written upper case still matches).
  assert.deepEqual(
    checkRoutedFrames(routed, { ...want, srcMac: '02:00:00:00:0B:02' }).problems,
    [],
  );
});

function snapshot(o: {
  nodes: Record<string, number>;
  rx: [number, number];
  tx: [number, number];
  breaths: number;
  exhausted?: number;
  txDropA: number;
  nsOut: number;
}): RouterSnapshot {
  return {
    counters: {
      nodes: o.nodes,
      pool: { buffers: 8192, inUse: 510, exhausted: o.exhausted ?? 0 },
      breaths: o.breaths,
    },
    interfaces: [
      { name: 'dmmp-ra', mac: null, rxPackets: o.rx[0], txPackets: o.tx[0], txDropped: 0 },
      { name: 'dmmp-rb', mac: null, rxPackets: o.rx[1], txPackets: o.tx[1], txDropped: 0 },
    ],
    snmp6: {
      'dmmp-a': { Icmp6OutNeighborSolicits: o.nsOut, Ip6InReceives: o.breaths },
      'dmmp-b': { Icmp6OutNeighborSolicits: 0 },
    },
    hostCounters: {
      'dmmp-a/dmmp-ra.tx_dropped': o.txDropA,
      'dmmp-a/dmmp-ra.rx_dropped': 0,
      'dmmp-b/dmmp-rb.tx_dropped': 0,
    },
  };
}

test('phaseReport and formatRouterReport: a phase of the measurements from two readings', () => {
  const s0 = snapshot({
    nodes: { 'ip6-input.multicast-not-joined': 8 },
    rx: [1000, 0],
    tx: [0, 1000],
    breaths: 10,
    txDropA: 0,
    nsOut: 0,
  });
  const s1 = snapshot({
    nodes: { 'ip6-input.multicast-not-joined': 8, 'ip6-lookup.no-route': 3 },
    rx: [2_001_000, 50],
    tx: [50, 2_000_997],
    breaths: 8010,
    exhausted: 2,
    txDropA: 4_500_000,
    nsOut: 1,
  });
  const p = phaseReport(s0, s1);
  assert.deepEqual(p, {
    counters: { 'ip6-lookup.no-route': 3 },
    interfaces: [
      { name: 'dmmp-ra', rxPackets: 2_000_000, txPackets: 50, txDropped: 0 },
      { name: 'dmmp-rb', rxPackets: 50, txPackets: 1_999_997, txDropped: 0 },
    ],
    breaths: 8000,
    poolExhausted: 2,
    hostDrops: { 'dmmp-a/dmmp-ra.tx_dropped': 4_500_000 },
    ndMessages: { 'dmmp-a.Icmp6OutNeighborSolicits': 1 },
  });
  const quiet = phaseReport(s0, s0);
  assert.deepEqual(quiet.counters, {});
  assert.deepEqual(quiet.ndMessages, {});
  assert.deepEqual(
    formatRouterReport({
      udp: p,
      tcp: null,
      pool: { buffers: 8192, inUse: 510, exhausted: 2 },
      vectorSizes: { 'ethernet-input': 196.52, 'ip6-lookup': 196.5, 'nd-dad': 1 },
    }),
    [
      'dmmd during UDP: counters ip6-lookup.no-route +3; dmmp-ra rx 2000000 tx 50 tx-drop 0, ' +
        'dmmp-rb rx 50 tx 1999997 tx-drop 0; 8000 breaths; pool exhausted +2; ' +
        'host TAP drops dmmp-a/dmmp-ra.tx_dropped +4500000; ND/RD messages dmmp-a.Icmp6OutNeighborSolicits +1',
      'dmmd packets per node call: ethernet-input 196.5, ip6-lookup 196.5',
      'dmmd pool after: 510/8192 in use, 2 exhausted',
    ],
  );
});

/**
 * A hand-written profile in the shape `node --cpu-prof` writes (Node 20: nodes with
 * callFrame {functionName, scriptId, url, lineNumber, columnNumber} and children;
 * samples; timeDeltas): root → (idle), (garbage collector), breathe → writeBatch, and
 * an anonymous node: internal function.
 */
const PROFILE = {
  nodes: [
    {
      id: 1,
      callFrame: { functionName: '(root)', url: '', lineNumber: -1 },
      children: [2, 3, 4, 6],
    },
    { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    { id: 3, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
    {
      id: 4,
      callFrame: {
        functionName: 'breathe',
        url: 'file:///repo/packages/core/dist/src/scheduler.js',
        lineNumber: 168,
      },
      children: [5],
    },
    {
      id: 5,
      callFrame: {
        functionName: 'writeBatch',
        url: 'file:///repo/packages/tuntap/dist/src/device.js',
        lineNumber: 133,
      },
    },
    { id: 6, callFrame: { functionName: '', url: 'node:internal/timers', lineNumber: 9 } },
  ],
  startTime: 1_000_000,
  endTime: 3_500_000,
  // 10 samples: 2 idle, 1 gc, 2 breathe, 4 writeBatch, 1 timers.
  samples: [2, 5, 5, 4, 3, 5, 2, 4, 6, 5],
};

test('summariseCpuProfile: self time per function and per area, as shares of the busy samples', () => {
  const s = summariseCpuProfile(PROFILE, 3, '/repo');
  assert.equal(s.samples, 10);
  assert.equal(s.idle, 2);
  assert.equal(s.seconds, 2.5);
  assert.deepEqual(s.top, [
    { name: 'writeBatch', where: 'packages/tuntap/dist/src/device.js:134', samples: 4, share: 0.5 },
    { name: 'breathe', where: 'packages/core/dist/src/scheduler.js:169', samples: 2, share: 0.25 },
    { name: '(garbage collector)', where: '', samples: 1, share: 0.125 },
  ]);
  assert.deepEqual(s.areas, { '@dmm/tuntap': 0.5, '@dmm/core': 0.25, gc: 0.125, node: 0.125 });
  assert.equal(
    formatCpuProfileSummary(s),
    [
      '10 samples over 2.5 s, 8 busy (80.0%); shares below are of the busy samples',
      'areas: @dmm/tuntap 50.0%, @dmm/core 25.0%, gc 12.5%, node 12.5%',
      '',
      '| self | function | where |',
      '| ---: | --- | --- |',
      '| 50.0% | writeBatch | packages/tuntap/dist/src/device.js:134 |',
      '| 25.0% | breathe | packages/core/dist/src/scheduler.js:169 |',
      '| 12.5% | (garbage collector) | — |',
    ].join('\n'),
  );
  assert.equal(
    summariseCpuProfile(PROFILE, 10).top.find((l) => l.where.startsWith('node:'))?.name,
    '(anonymous)',
  );
  assert.equal(areaOf({ functionName: '(program)', url: '', lineNumber: -1 }), 'program');
  assert.equal(areaOf({ functionName: 'x', url: 'file:///usr/lib/y.js', lineNumber: 0 }), 'other');
  assert.throws(
    () => summariseCpuProfile({ ...PROFILE, samples: [99] }),
    /sample names node 99, which the profile lacks/,
  );
});
