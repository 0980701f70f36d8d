// Generated at build time (apps/portal/vite.config.ts). Caches the application shell ONLY.
'use strict';
const CACHE = 'opendmp-patient-shell-d91d00bc62d5';
const BASE = "/patient/";
const SHELL = ["/patient/","/patient/assets/index-Ded-LiRD.css","/patient/assets/index-DKGwbciW.js","/patient/manifest.webmanifest","/patient/icons/icon-192.png","/patient/icons/icon-512.png"];
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
