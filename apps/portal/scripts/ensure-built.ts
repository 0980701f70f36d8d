/**
 * Builds the portals when their build is missing or older than their sources (used by the root `demo`,
 * `start` and `test` scripts, so a fresh clone works with one command). `--force` always builds.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../../server/scripts/build-if-stale.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

ensureBuilt(
  {
    name: 'the portals',
    root,
    sources: ['src', 'patient', 'pro', 'vite.config.ts', 'package.json'],
    outputs: ['dist/patient/index.html', 'dist/pro/index.html'],
    build: () => {
      // NODE_ENV must be production for React's production build, whatever the caller runs under (vitest: "test").
      execFileSync('npm', ['run', 'build', '-w', '@opendmp/portal'], {
        cwd: join(root, '../..'),
        stdio: 'inherit',
        env: { ...process.env, NODE_ENV: 'production' },
      });
    },
  },
  process.argv.includes('--force'),
);
