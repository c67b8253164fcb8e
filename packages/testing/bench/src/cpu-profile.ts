/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that the summary reads. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  /** Node id of each sample. */
  samples: number[];
  /** Microseconds since the previous sample, one per sample. */
  timeDeltas: number[];
  /** Monotonic clock (CLOCK_MONOTONIC, as `process.hrtime`) at the start, microseconds. */
  startTime: number;
}

/** A span of the monotonic clock (`process.hrtime.bigint() / 1000n`), microseconds. */
export interface ClockWindow {
  startUs: number;
  endUs: number;
}

/** A function's or a package's share of the busy (non-idle) samples. */
export interface ProfileEntry {
  name: string;
  /** Self time, milliseconds. */
  selfMs: number;
  /** Share of busy time, percent (0.1). */
  percent: number;
}

/** What {@link summarizeCpuProfile} returns. */
export interface ProfileSummary {
  /** Sampled time excluding `(idle)`, milliseconds. */
  busyMs: number;
  idleMs: number;
  functions: ProfileEntry[];
  /** By where the code lives: an npm package (`pg`, `jose`…), `node:` internals, our `packages/<role>/<name>`, or V8's `(garbage collector)`/`(program)`. */
  packages: ProfileEntry[];
}

/**
 * Self time per function and per package of a CPU profile: each sample's time (`timeDeltas`) goes
 * to the function on top of the stack (`samples`).
 *
 * @param top how many entries of each list to keep (largest first)
 * @param window only the samples taken within it (default: all)
 * @throws {Error} when `samples` and `timeDeltas` differ in length or a sample names an unknown node
 */
export function summarizeCpuProfile(profile: CpuProfile, top = 15, window?: ClockWindow): ProfileSummary {
  if (profile.samples.length !== profile.timeDeltas.length) throw new Error('samples and timeDeltas differ in length');
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  let clockUs = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    const frame = byId.get(profile.samples[index] as number);
    if (!frame) throw new Error(`sample ${index} names unknown node ${profile.samples[index]}`);
    const us = Math.max(0, profile.timeDeltas[index] as number);
    clockUs += profile.timeDeltas[index] as number;
    if (window && (clockUs < window.startUs || clockUs > window.endUs)) continue;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const name = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + us);
    const where = packageOf(frame.url, frame.functionName);
    packages.set(where, (packages.get(where) ?? 0) + us);
  }
  const entries = (map: Map<string, number>): ProfileEntry[] => [...map]
    .sort(([, a], [, b]) => b - a)
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: Math.round(us / 100) / 10, percent: busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0 }));
  return { busyMs: Math.round(busyUs / 1000), idleMs: Math.round(idleUs / 1000), functions: entries(functions), packages: entries(packages) };
}

/**
 * Where code lives, from its script URL: the npm package after the last `node_modules/`
 * (with its scope), `node:internal` for Node's own, `packages/<role>/<name>` for this repository's,
 * else the V8 pseudo-function's name (`(garbage collector)`, `(program)`).
 */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    const first = parts[0] ?? '';
    return first.startsWith('@') ? `${first}/${parts[1] ?? ''}` : first;
  }
  if (url.startsWith('node:')) return 'node:internal';
  const ours = /\/packages\/([^/]+\/[^/]+)\//.exec(url);
  return ours ? `packages/${ours[1]}` : url;
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const ours = url.indexOf('/packages/');
  return ours >= 0 ? url.slice(ours + 1) : url.replace(/^file:\/\//, '');
}
