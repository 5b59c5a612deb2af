/**
 * Where a Node process spent its time, from a V8 CPU profile (`node --cpu-prof`: the JSON
 * of the DevTools protocol's `Profiler.Profile` — nodes with a call frame and children,
 * `samples` naming the node on top of the stack at each tick). Self time per function and
 * per area (our packages, Node's internals, the garbage collector), as shares of the
 * samples that were not idle: a forwarder's profile also covers its start and stop, when
 * it mostly waits, so the busy samples are the measurement. Pure; cpuprofile-main.ts reads
 * the file.
 */

export interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based, as V8 gives it. */
  lineNumber: number;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
}

export interface ProfileLine {
  /** Function name (`(anonymous)` when V8 has none). */
  name: string;
  /** `path:line` (1-based), relative to the repository for our files; `` for V8's own entries. */
  where: string;
  samples: number;
  /** Share of the busy samples. */
  share: number;
}

export interface ProfileSummary {
  samples: number;
  /** Samples where the process waited (`(idle)`). */
  idle: number;
  /** Wall time the profile covers, seconds. */
  seconds: number;
  /** The functions with the most self time, most first. */
  top: ProfileLine[];
  /** Share of the busy samples per area: `@dmm/<package>`, `node`, `gc`, `program`, `other`. */
  areas: Record<string, number>;
}

/** Where a call frame belongs. */
export function areaOf(f: CallFrame): string {
  if (f.functionName === '(garbage collector)') return 'gc';
  if (f.functionName === '(program)') return 'program';
  const pkg = /\/packages\/([^/]+)\//.exec(f.url);
  if (pkg) return `@dmm/${pkg[1]}`;
  if (f.url.startsWith('node:')) return 'node';
  return 'other';
}

function whereOf(f: CallFrame, repoDir: string): string {
  if (f.url === '') return '';
  const prefix = `file://${repoDir.endsWith('/') ? repoDir : `${repoDir}/`}`;
  const url = f.url.startsWith(prefix) ? f.url.slice(prefix.length) : f.url;
  return `${url}:${f.lineNumber + 1}`;
}

export function summariseCpuProfile(p: CpuProfile, top = 20, repoDir = ''): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const id of p.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  let idle = 0;
  const lines = new Map<string, ProfileLine>();
  const areas: Record<string, number> = {};
  for (const [id, n] of hits) {
    const node = byId.get(id);
    if (node === undefined) throw new Error(`sample names node ${id}, which the profile lacks`);
    const f = node.callFrame;
    if (f.functionName === '(idle)') {
      idle += n;
      continue;
    }
    const name = f.functionName === '' ? '(anonymous)' : f.functionName;
    const where = whereOf(f, repoDir);
    const key = `${name} ${where}`;
    const line = lines.get(key) ?? { name, where, samples: 0, share: 0 };
    line.samples += n;
    lines.set(key, line);
    const area = areaOf(f);
    areas[area] = (areas[area] ?? 0) + n;
  }
  const busy = p.samples.length - idle;
  for (const l of lines.values()) l.share = busy > 0 ? l.samples / busy : 0;
  for (const k of Object.keys(areas)) areas[k] = busy > 0 ? areas[k]! / busy : 0;
  return {
    samples: p.samples.length,
    idle,
    seconds: (p.endTime - p.startTime) / 1e6,
    top: [...lines.values()].sort((a, b) => b.samples - a.samples).slice(0, top),
    areas: Object.fromEntries(Object.entries(areas).sort((a, b) => b[1] - a[1])),
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The summary for people: a header, the areas, a markdown table of the top functions. */
export function formatCpuProfileSummary(s: ProfileSummary): string {
  const busy = s.samples - s.idle;
  const out = [
    `${s.samples} samples over ${s.seconds.toFixed(1)} s, ${busy} busy (${pct(s.samples > 0 ? busy / s.samples : 0)}); shares below are of the busy samples`,
    `areas: ${Object.entries(s.areas)
      .map(([a, v]) => `${a} ${pct(v)}`)
      .join(', ')}`,
    '',
    '| self | function | where |',
    '| ---: | --- | --- |',
  ];
  for (const l of s.top) out.push(`| ${pct(l.share)} | ${l.name} | ${l.where || '—'} |`);
  return out.join('\n');
}
