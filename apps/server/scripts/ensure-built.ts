/**
 * Builds the service's JavaScript (apps/server/dist, ADR 0042) when it is missing or older than its sources: `npm
 * start` and `npm run demo` run dist/main.js, not the TypeScript sources, so that the running service does not hold
 * Node's TypeScript stripper (about 16 MB of resident memory). `tsc -p tsconfig.build.json --noCheck` writes the
 * JavaScript with the same layout as src/ (the tests' files left out; the types are checked by `npm run check`, not
 * here: a work in progress still starts), then every other file of src/ (migrations, schemas, the demo VIHF key) is
 * copied beside it. `--force` always builds.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './build-if-stale.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
/** Written last: a build stopped half-way has none, and is built again. */
const STAMP = 'dist/.built';

/** Copies every file of `from` that is not TypeScript into `to`, keeping the layout. */
function copyAssets(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const path = join(from, name);
    if (statSync(path).isDirectory()) {
      copyAssets(path, join(to, name));
    } else if (!name.endsWith('.ts')) {
      cpSync(path, join(to, name));
    }
  }
}

ensureBuilt(
  {
    name: 'the service',
    root,
    sources: ['src', 'tsconfig.build.json', '../../tsconfig.base.json', 'package.json'],
    outputs: ['dist/main.js', STAMP],
    build: () => {
      rmSync(dist, { recursive: true, force: true });
      const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
      execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--noCheck'], {
        cwd: root,
        stdio: 'inherit',
      });
      copyAssets(src, dist);
      writeFileSync(join(root, STAMP), `${new Date().toISOString()}\n`);
    },
  },
  process.argv.includes('--force'),
);
