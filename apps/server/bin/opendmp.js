#!/usr/bin/env node
// The `opendmp` command (package bin). The tool is TypeScript (src/cli/main.ts), run by Node's type stripping:
// Node ≥ 23.6 runs it directly; an older `node` on the PATH hands over to the Node 24 that the project installs
// (npm package `node`, in node_modules/node/bin/node).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fs.realpathSync(fileURLToPath(import.meta.url)));
const entry = path.join(here, '..', 'src', 'cli', 'main.ts');
const [major, minor] = process.versions.node.split('.').map(Number);

if (major > 23 || (major === 23 && minor >= 6)) {
  await import(pathToFileURL(entry).href);
} else {
  let dir = here;
  let node;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', 'node', 'bin', 'node');
    if (fs.existsSync(candidate)) {
      node = candidate;
      break;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      break;
    }
    dir = parent;
  }
  if (!node) {
    process.stderr.write(
      `opendmp needs Node.js ≥ 24 (this is ${process.version}); run npm ci first.\n`,
    );
    process.exit(2);
  }
  const result = spawnSync(node, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 2);
}
