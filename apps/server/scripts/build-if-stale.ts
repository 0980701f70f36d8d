/**
 * Builds a workspace's output when it is missing or older than its sources: the portals' bundles
 * (apps/portal/scripts/ensure-built.ts) and the service's JavaScript (apps/server/scripts/ensure-built.ts), called by
 * the root `start`, `demo` and `test` scripts so that a fresh clone works with one command. Several processes may call
 * it at once (parallel test files): a lock directory serialises them, and each re-checks staleness once it holds it.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Build {
  /** What is built, for the messages ("the portals", "the service"). */
  readonly name: string;
  /** The workspace's folder; the paths below are relative to it. */
  readonly root: string;
  /** Files and folders whose change calls for a new build. */
  readonly sources: readonly string[];
  /** Files the build writes (the oldest of them dates the build). */
  readonly outputs: readonly string[];
  /** Builds (synchronously); throws on failure. */
  readonly build: () => void;
}

function newest(path: string): number {
  if (!existsSync(path)) {
    return 0;
  }
  const stat = statSync(path);
  if (!stat.isDirectory()) {
    return stat.mtimeMs;
  }
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function stale(b: Build): string | undefined {
  const built = b.outputs.map((o) => join(b.root, o));
  if (built.some((o) => !existsSync(o))) {
    return 'not built yet';
  }
  const sourceTime = Math.max(...b.sources.map((s) => newest(join(b.root, s))));
  const buildTime = Math.min(...built.map((o) => statSync(o).mtimeMs));
  return sourceTime > buildTime ? 'sources changed' : undefined;
}

function acquire(b: Build, lock: string): void {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch {
      // A lock older than the deadline was left by a killed build.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180_000) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`opendmp: another build of ${b.name} holds ${lock}`);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
}

/** Builds `b` when stale (always with `force`). */
export function ensureBuilt(b: Build, force: boolean): void {
  if (!force && stale(b) === undefined) {
    return;
  }
  const lock = join(b.root, '.build-lock');
  acquire(b, lock);
  try {
    const reason = force ? 'forced' : stale(b);
    if (reason !== undefined) {
      process.stdout.write(`opendmp: building ${b.name} (${reason})…\n`);
      b.build();
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
