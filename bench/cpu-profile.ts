import { readFileSync } from 'node:fs';

const ROOT_URL = new URL('..', import.meta.url).href;

/** The parts of a V8 `.cpuprofile` (node --cpu-prof) this summary reads. */
interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A named step of request handling, recognised by any frame on a sample's stack. */
export interface Step {
  readonly name: string;
  readonly matches: (frame: { functionName: string; url: string }) => boolean;
}

export interface ProfileSummary {
  readonly sampledMs: number;
  /** Self time by function, highest first. */
  readonly functions: readonly { name: string; ms: number; share: number }[];
  /** Self time by where the code lives: a package, a project file, Node internals, GC. */
  readonly areas: readonly { name: string; ms: number; share: number }[];
  /** Time with a frame of this area anywhere on the stack (a package's callees count for it). */
  readonly inclusiveAreas: readonly { name: string; ms: number; share: number }[];
  /** Time with this project function (src/, apps/) on the stack: the cost of one step, e.g. loading the session. */
  readonly inclusiveProjectFunctions: readonly { name: string; ms: number; share: number }[];
  /** Every sample in the first step (in the order given) that has a frame on its stack; the rest is "other". */
  readonly steps: readonly { name: string; ms: number; share: number }[];
  /** Self time by function of the samples no step matched. */
  readonly otherFunctions: readonly { name: string; ms: number; share: number }[];
}

/**
 * Summarises the samples taken between `fromUs` and `toUs` (monotonic clock, microseconds:
 * `process.hrtime.bigint() / 1000n` in any process on the machine), so boot is left out.
 */
export function summariseProfile(file: string, fromUs: number, toUs: number, steps: readonly Step[] = [], top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const projectInclusive = new Map<string, number>();
  const stepTime = new Map<string, number>(steps.map((step) => [step.name, 0]));
  const otherSelf = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < fromUs || at > toUs) return;
    const node = byId.get(id);
    if (!node) return;
    const ms = delta / 1000;
    total += ms;
    const frame = node.callFrame;
    add(self, `${frame.functionName || '(anonymous)'} ${where(frame.url, frame.lineNumber)}`, ms);
    add(areas, area(frame.url, frame.functionName), ms);
    const seen = new Set<string>();
    const seenProject = new Set<string>();
    const stack: Profile['nodes'][number]['callFrame'][] = [];
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
      const f = byId.get(cursor)?.callFrame;
      if (!f) continue;
      stack.push(f);
      seen.add(area(f.url, f.functionName));
      if (f.url.startsWith(ROOT_URL) && !f.url.includes('/node_modules/')) seenProject.add(`${f.functionName || '(anonymous)'} ${where(f.url, f.lineNumber)}`);
    }
    for (const name of seen) add(inclusive, name, ms);
    for (const name of seenProject) add(projectInclusive, name, ms);
    const step = steps.find((candidate) => stack.some(candidate.matches));
    add(stepTime, step?.name ?? 'other', ms);
    if (!step) add(otherSelf, `${frame.functionName || '(anonymous)'} ${where(frame.url, frame.lineNumber)} ← ${stack.slice(1, 4).map((f) => f.functionName || '(anonymous)').join(' ← ')}`, ms);
  });
  const ranked = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, share: total > 0 ? ms / total : 0 }));
  return {
    sampledMs: total,
    functions: ranked(self),
    areas: ranked(areas),
    inclusiveAreas: ranked(inclusive),
    inclusiveProjectFunctions: ranked(projectInclusive),
    steps: ranked(stepTime),
    otherFunctions: ranked(otherSelf),
  };
}

function add(map: Map<string, number>, key: string, ms: number): void {
  map.set(key, (map.get(key) ?? 0) + ms);
}

function where(url: string, line: number): string {
  if (!url) return '';
  const short = url.startsWith(ROOT_URL) && !url.includes('/node_modules/') ? url.slice(ROOT_URL.length) : url.replace(/^.*\/node_modules\//, '');
  return `${short}:${line + 1}`;
}

/** A package under node_modules, a project file, a Node internal module, or V8's own entries. */
function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return `pkg ${pkg[1]}`;
  if (url.startsWith('node:')) return `node ${url.slice(5).replace(/^internal\//, '').split('/')[0]}`;
  return url.startsWith(ROOT_URL) ? url.slice(ROOT_URL.length) : url;
}
