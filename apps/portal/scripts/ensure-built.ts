/**
 * Builds the portals when their build is missing or older than their sources (used by the root `demo`,
 * `start` and `test` scripts, so a fresh clone works with one command). `--force` always builds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = ['src', 'patient', 'pro', 'vite.config.ts', 'package.json'];
const outputs = ['dist/patient/index.html', 'dist/pro/index.html'];

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

const built = outputs.map((o) => join(root, o));
const missing = built.some((o) => !existsSync(o));
const sourceTime = Math.max(...sources.map((s) => newest(join(root, s))));
const buildTime = missing ? 0 : Math.min(...built.map((o) => statSync(o).mtimeMs));
if (process.argv.includes('--force') || missing || sourceTime > buildTime) {
  process.stdout.write(`opendmp: building the portals (${missing ? 'not built yet' : 'sources changed'})…\n`);
  execFileSync('npm', ['run', 'build', '-w', '@opendmp/portal'], { cwd: join(root, '../..'), stdio: 'inherit' });
}
