import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * Two single-page apps built from one workspace: `vite build --mode patient` → dist/patient (served at
 * /patient/), `vite build --mode pro` → dist/pro (served at /pro/). Shared code lives in src/shared and is
 * bundled into each (docs/adr/0006-portals.md).
 */
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/**
 * Emits the patient portal's service worker with the list of shell files of this build. It caches the
 * application shell only (HTML, JS, CSS, icons, manifest): API responses (/fhir, /portal-api, /auth) are
 * never intercepted, so no health data is ever stored by it.
 */
function shellServiceWorker(base: string): Plugin {
  return {
    name: 'opendmp-shell-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .filter((f) => !f.endsWith('.map'))
        .map((f) => `${base}${f}`);
      const shell = [
        ...new Set([
          base,
          ...files,
          `${base}manifest.webmanifest`,
          `${base}icons/icon-192.png`,
          `${base}icons/icon-512.png`,
        ]),
      ];
      // Asset names carry content hashes: the list identifies this build.
      const version = createHash('sha256').update(files.join('|')).digest('hex').slice(0, 12);
      this.emitFile({
        type: 'asset',
        fileName: 'sw.js',
        source: serviceWorkerSource(base, shell, version),
      });
    },
  };
}

function serviceWorkerSource(base: string, shell: string[], version: string): string {
  return `// Generated at build time (apps/portal/vite.config.ts). Caches the application shell ONLY.
'use strict';
const CACHE = 'opendmp-patient-shell-${version}';
const BASE = ${JSON.stringify(base)};
const SHELL = ${JSON.stringify(shell)};
self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('opendmp-patient-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  // Only our own shell: never the API, never another origin, never a request carrying credentials headers.
  if (url.origin !== self.location.origin || !url.pathname.startsWith(BASE)) return;
  if (request.mode === 'navigate') {
    // Network first so a new version is picked up; the cached page (no data in it) when offline.
    event.respondWith(fetch(request).catch(() => caches.match(BASE, { ignoreSearch: true })));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
`;
}

/** Writes .br and .gz next to each text file of the build (the server sends them to browsers that accept them). */
function precompress(): Plugin {
  const compressible = /\.(js|css|html|webmanifest|svg|json)$/;
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  return {
    name: 'opendmp-precompress',
    apply: 'build',
    writeBundle(options) {
      const dir = options.dir;
      if (dir === undefined) {
        return;
      }
      for (const file of walk(dir).filter((f) => compressible.test(f))) {
        const data = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

export default defineConfig(({ mode }) => {
  const portal = mode === 'pro' ? 'pro' : 'patient';
  const base = `/${portal}/`;
  return {
    root: here(`./${portal}`),
    base,
    publicDir: here(`./${portal}/public`),
    plugins: [react(), ...(portal === 'patient' ? [shellServiceWorker(base)] : []), precompress()],
    build: {
      outDir: here(`./dist/${portal}`),
      emptyOutDir: true,
      sourcemap: false,
      target: 'es2022',
      assetsInlineLimit: 0,
      chunkSizeWarningLimit: 400,
    },
  };
});
