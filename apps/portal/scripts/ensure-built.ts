/**
 * Builds the portals when their build is missing or older than their sources (used by the root `demo`,
 * `start` and `test` scripts, so a fresh clone works with one command). `--force` always builds.
 * Several processes may call it at once (parallel test files): a lock directory serialises them, and each
 * re-checks staleness once it holds the lock.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = ['src', 'patient', 'pro', 'vite.config.ts', 'package.json'];
const outputs = ['dist/patient/index.html', 'dist/pro/index.html'];
const lock = join(root, '.build-lock');

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

function stale(): string | undefined {
  const built = outputs.map((o) => join(root, o));
  if (built.some((o) => !existsSync(o))) {
    return 'not built yet';
  }
  const sourceTime = Math.max(...sources.map((s) => newest(join(root, s))));
  const buildTime = Math.min(...built.map((o) => statSync(o).mtimeMs));
  return sourceTime > buildTime ? 'sources changed' : undefined;
}

function acquire(): void {
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
        throw new Error(`opendmp: another portal build holds ${lock}`);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
}

const force = process.argv.includes('--force');
if (force || stale() !== undefined) {
  acquire();
  try {
    const reason = force ? 'forced' : stale();
    if (reason !== undefined) {
      process.stdout.write(`opendmp: building the portals (${reason})…\n`);
      // NODE_ENV must be production for React's production build, whatever the caller runs under (vitest: "test").
      execFileSync('npm', ['run', 'build', '-w', '@opendmp/portal'], {
        cwd: join(root, '../..'),
        stdio: 'inherit',
        env: { ...process.env, NODE_ENV: 'production' },
      });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
