/**
 * node bench/profile-summary.ts <file.cpuprofile> [fromSecondsBeforeEnd] [toSecondsBeforeEnd] — where the server's
 * CPU went in a profile written by `BENCH_CPU_PROF=<dir> npm run bench` (V8's --cpu-prof): self time by function and
 * by source file, idle excluded, optionally restricted to a window counted back from the end of the profile (the
 * bench logs each phase with its wall-clock time, and the profile ends when the server exits: e.g. `90 60` keeps
 * the samples taken between 90 and 60 seconds before the end).
 */
import fs from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly endTime: number;
  readonly startTime: number;
}

const [file, from, to] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.ts <file.cpuprofile> [from] [to]\n');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const windowStart = from === undefined ? -Infinity : profile.endTime - Number(from) * 1e6;
const windowEnd = to === undefined ? Infinity : profile.endTime - Number(to) * 1e6;

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
let t = profile.startTime;
for (const [i, sample] of profile.samples.entries()) {
  const delta = profile.timeDeltas[i] ?? 0;
  t += delta;
  const node = byId.get(sample);
  if (!node || t < windowStart || t > windowEnd) {
    continue;
  }
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)' || functionName === '(program)') {
    continue;
  }
  const shortUrl = url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'npm:')
    .replace(/^.*\/apps\/server\//, '');
  const fn = `${functionName || '(anonymous)'} ${shortUrl}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + delta);
  const where = shortUrl === '' ? functionName : shortUrl;
  byFile.set(where, (byFile.get(where) ?? 0) + delta);
  total += delta;
}

function top(map: Map<string, number>, n: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([k, v]) =>
        `${((100 * v) / total).toFixed(1).padStart(5)} %  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`,
    );
}

process.stdout.write(
  [
    `busy CPU in the window: ${(total / 1e6).toFixed(1)} s`,
    '',
    'self time by source file:',
    ...top(byFile, 25),
    '',
    'self time by function:',
    ...top(byFunction, 40),
    '',
  ].join('\n'),
);
