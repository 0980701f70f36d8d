/**
 * The portal surface: the two portals and their small JSON API, one encapsulated Fastify plugin with its own guard
 * (portal session cookie or bearer token, then quotas; http/surface.ts; the static files are open) and its own error
 * mapping: the OperationOutcome the portals' pages read (apps/portal/src/shared/api.ts takes the code of its first
 * issue and shows it in French).
 *
 *   GET /                         a landing page linking to both portals
 *   GET /patient/…                the patient portal (apps/portal/dist/patient), single-page app fallback
 *   GET /pro/…                    the professional portal (apps/portal/dist/pro)
 *   GET /portal-api/value-sets/:id                 a value set for the pickers (services/portal-reference.ts)
 *   GET /portal-api/professionals?q=… or ?id=…&id=… directory search or lookup (services/portal-directory.ts)
 *   GET /portal-api/documents/:id/audience         "who can see this document" (services/portal-audience.ts)
 *   GET /portal-api/notifications?_count=&_cursor=  the holder side's inbox, each notice with its document or
 *                                                  emergency access resolved (services/portal-inbox.ts)
 *   POST /portal-api/notifications/read-all         "tout marquer comme lu" in one transaction, one trace
 *   GET /portal-api/history?show=&own=&professional=&date=&_cursor=   the access history with server-side filters
 *                                                  (services/portal-history.ts)
 *   GET /portal-api/records/last-visit?patient.identifier=   the calling professional's previous visit of the
 *                                                  record (services/portal-last-visit.ts)
 *   POST /portal-api/documents                     an upload, the portal's own JSON (upload-input.ts): the file
 *                                                  wrapped in a CDA N1, then deposited (services/documents/upload.ts)
 *   GET|PUT /portal-api/notification-preferences   notification channels (notification-preferences.routes.ts)
 *
 * The static files carry no data and are public; the portals then call the public API (/fhir/…) and
 * /portal-api/… with their session cookie, through the same auth hook, policy and traces as any client.
 * Every HTML page is sent with a strict Content-Security-Policy: scripts, styles and connections from this
 * origin only, frames only from blob: (the PDF viewer), no plugins, no framing by other sites.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { documentDeps } from '../../services/documents/context.ts';
import { depositedDocument } from '../../services/documents/read.ts';
import { downloadAll } from '../../services/documents/download-all.ts';
import { zipOf } from './documents-archive.ts';
import { uploadDocument } from '../../services/documents/upload.ts';
import { portalLocated, readPortalUpload } from './upload-input.ts';
import { FHIR_JSON, operationOutcomeError } from '../error-handler.ts';
import { requireCaller, type SurfaceContext } from '../surface.ts';
import { registerNotificationPreferenceRoutes } from './notification-preferences.routes.ts';
import { linkBase } from '../link-base.ts';
import { documentAudience } from '../../services/portal-audience.ts';
import { findProfessionals, lookupProfessionals } from '../../services/portal-directory.ts';
import { portalHistory, type HistoryShow } from '../../services/portal-history.ts';
import { portalInbox } from '../../services/portal-inbox.ts';
import { markAllNotificationsRead } from '../../services/notifications/inbox.ts';
import { lastVisit } from '../../services/portal-last-visit.ts';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import { encodeCursor, parseCount, parseCursor, parseDateWindow } from '../query-params.ts';
import { patientParameter } from './portal-params.ts';
import { portalValueSet } from '../../services/portal-reference.ts';
import { actorOf } from '../actor.ts';

export const PORTALS = ['patient', 'pro'] as const;
export type Portal = (typeof PORTALS)[number];

export const DEFAULT_PORTAL_DIST = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../portal/dist',
);

export const PORTAL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-src 'self' blob:",
  "child-src 'self' blob:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply, csp: string): FastifyReply {
  return reply
    .header('content-security-policy', csp)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
}

const LANDING_STYLE =
  'body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1f24;line-height:1.5}' +
  'h1{color:#0d2e55}a{color:#1a5296;font-weight:600}li{margin:.5rem 0}';

function landingPage(demo: boolean): string {
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>opendmp</title><style>${LANDING_STYLE}</style></head>
<body><main><h1>opendmp — dossier médical partagé</h1>
<ul>
<li><a href="/patient/">Espace patient</a> — votre dossier, vos documents, qui y a accédé.</li>
<li><a href="/pro/">Espace professionnel de santé</a> — consulter et alimenter le dossier d’un patient.</li>
<li><a href="/fhir/metadata">API FHIR</a> (CapabilityStatement) pour les logiciels de professionnels.</li>
</ul>
${demo ? '<p>Serveur de démonstration : des comptes fictifs sont proposés à la connexion.</p>' : ''}
</main></body></html>`;
}

const NOT_BUILT_STYLE =
  'body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}';

function notBuiltPage(dist: string): string {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Portail non construit</title>
<style>${NOT_BUILT_STYLE}</style></head><body><main><h1>Portail non construit</h1>
<p>Les fichiers du portail sont absents de <code>${dist.replace(/[<>&]/g, '')}</code>.</p>
<p>Construisez-les avec <code>npm run build</code> à la racine du dépôt, puis rechargez la page.</p></main></body></html>`;
}

function styleHash(style: string): string {
  return `'sha256-${createHash('sha256').update(style).digest('base64')}'`;
}

const PUBLIC = { config: { public: true } } as const;

function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

export interface PortalOptions {
  /** Built portals (apps/portal/dist by default; OPENDMP_PORTAL_DIST overrides). */
  readonly dist?: string;
}

export function portalDistDir(explicit?: string): string {
  return explicit ?? process.env['OPENDMP_PORTAL_DIST'] ?? DEFAULT_PORTAL_DIST;
}

/** True when both portals are built in `dist`. */
export function portalsBuilt(dist: string = portalDistDir()): boolean {
  return PORTALS.every((p) => fs.existsSync(path.join(dist, p, 'index.html')));
}

/** The portals (static files + /portal-api). Registered by app.ts. */
export const portalSurface: FastifyPluginAsync<SurfaceContext & PortalOptions> = async (
  app,
  options,
) => {
  const { deps } = options;
  requireCaller(app, options);
  app.setErrorHandler(operationOutcomeError);
  const dist = portalDistDir(options.dist);
  const built = portalsBuilt(dist);
  if (!built) {
    deps.log.warn(
      { dist },
      'portals are not built: run `npm run build` (the /patient/ and /pro/ pages say so)',
    );
  }
  // Sends the .br / .gz files the build writes beside each text file to browsers that accept them.
  await app.register(fastifyStatic, {
    root: dist,
    serve: false,
    decorateReply: true,
    preCompressed: true,
  });

  const landingCsp = `default-src 'none'; style-src ${styleHash(LANDING_STYLE)}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  app.get('/', PUBLIC, async (_request, reply) => {
    return securityHeaders(reply, landingCsp)
      .type('text/html; charset=utf-8')
      .send(landingPage(deps.config.demo));
  });
  app.get('/favicon.ico', PUBLIC, async (_request, reply) =>
    reply.redirect('/patient/icons/favicon-32.png', 301),
  );

  for (const portal of PORTALS) {
    const root = path.join(dist, portal);
    app.get(`/${portal}`, PUBLIC, async (_request, reply) => reply.redirect(`/${portal}/`, 301));
    app.get(`/${portal}/*`, PUBLIC, async (request, reply) => {
      if (!portalsBuilt(dist)) {
        return securityHeaders(reply, `default-src 'none'; style-src ${styleHash(NOT_BUILT_STYLE)}`)
          .code(503)
          .type('text/html; charset=utf-8')
          .send(notBuiltPage(dist));
      }
      const wanted = (request.params as { '*': string })['*'];
      const file = path.resolve(root, wanted);
      const exists =
        isInside(root, file) && fs.statSync(file, { throwIfNoEntry: false })?.isFile() === true;
      if (exists) {
        const rel = path.relative(root, file);
        if (rel.startsWith(`assets${path.sep}`)) {
          reply.header('cache-control', 'public, max-age=31536000, immutable');
        } else {
          // Pages are never stored (the document views are pages of the portal); other unhashed files revalidate.
          reply.header('cache-control', rel.endsWith('.html') ? 'no-store' : 'no-cache');
        }
        if (rel.endsWith('.webmanifest')) {
          reply.type('application/manifest+json');
        }
        securityHeaders(reply, PORTAL_CSP);
        return reply.sendFile(rel, root, { cacheControl: false });
      }
      if (path.extname(wanted) !== '') {
        // A missing file answers like any missing endpoint: an OperationOutcome (http/error-handler.ts).
        return reply.callNotFound();
      }
      // A route of the single-page app: its shell.
      securityHeaders(reply, PORTAL_CSP).header('cache-control', 'no-store');
      return reply.sendFile('index.html', root, { cacheControl: false });
    });
  }

  const docs = documentDeps(deps);

  app.get('/portal-api/value-sets/:id', async (request, reply) => {
    actorOf(request);
    const { id } = request.params as { id: string };
    return reply.header('cache-control', 'private, max-age=3600').send(portalValueSet(id));
  });

  app.get('/portal-api/professionals', async (request, reply) => {
    const { q, id } = request.query as { q?: string; id?: string | string[] };
    const found =
      id !== undefined && q === undefined
        ? await lookupProfessionals(deps, request.actor, Array.isArray(id) ? id : [id])
        : await findProfessionals(deps, request.actor, q ?? '');
    return reply.header('cache-control', 'no-store').send({ professionals: found });
  });

  app.post('/portal-api/documents', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const submission = readPortalUpload(request.body);
    let result;
    try {
      result = await uploadDocument(docs, actorOf(request), submission);
    } catch (e) {
      throw e instanceof DomainFailure ? new DomainFailure(portalLocated(e.error)) : e;
    }
    const stored = [...result.documents.values()][0];
    if (!stored) {
      throw new Error('upload stored no document');
    }
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .type(FHIR_JSON)
      .send(depositedDocument(docs, result, stored.id, base));
  });

  // "Télécharger tous mes documents" (issue 21 point 6): a zip streamed as it is written (documents-archive.ts).
  app.get('/portal-api/documents/archive', async (request, reply) => {
    const q = request.query as Record<string, string | string[] | undefined>;
    const raw = q['patient.identifier'];
    const identifier = Array.isArray(raw) ? raw[0] : raw;
    if (identifier === undefined || identifier === '') {
      throw new DomainFailure(
        domainError('invalid', 'HTTP_PARAMETER_INVALID', 'patient.identifier is required.', [
          'patient.identifier',
        ]),
      );
    }
    const all = await downloadAll(docs, actorOf(request), identifier);
    const now = deps.clock.now();
    const day = now.toISOString().slice(0, 10);
    const ins = identifier.split('|')[1] ?? identifier;
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="mes-documents-${day}.zip"`)
      .type('application/zip')
      .send(zipOf(all, `INS ${ins}`, now));
  });

  app.get('/portal-api/documents/:id/audience', async (request, reply) => {
    const { id } = request.params as { id: string };
    const view = await documentAudience(docs, actorOf(request), id);
    return reply.header('cache-control', 'no-store').send(view);
  });

  app.get('/portal-api/records/last-visit', async (request, reply) => {
    const ref = patientParameter(request.query as Record<string, string | string[] | undefined>);
    if (!ref) {
      throw new DomainFailure(
        domainError('invalid', 'HTTP_PARAMETER_INVALID', 'patient.identifier is required.', [
          'patient.identifier',
        ]),
      );
    }
    const answer = await lastVisit(deps, actorOf(request), ref);
    return reply.header('cache-control', 'no-store').send(answer);
  });

  app.get('/portal-api/history', async (request, reply) => {
    const q = request.query as Record<string, string | string[] | undefined>;
    const one = (v: string | string[] | undefined): string | undefined =>
      Array.isArray(v) ? v[0] : v;
    const show = one(q['show']) ?? 'all';
    if (!HISTORY_SHOW.has(show)) {
      throw new DomainFailure(
        domainError(
          'invalid',
          'HTTP_PARAMETER_INVALID',
          'show must be all, professionals, emergency or denied.',
          ['show'],
        ),
      );
    }
    const professional = one(q['professional']);
    if (professional !== undefined && !/^[0-9A-Za-z]{1,32}$/.test(professional)) {
      throw new DomainFailure(
        domainError('invalid', 'HTTP_PARAMETER_INVALID', 'professional must be an IdNat_PS.', [
          'professional',
        ]),
      );
    }
    const window = parseDateWindow(q['date']);
    const view = await portalHistory(deps, actorOf(request), {
      show: show as HistoryShow,
      own: one(q['own']) === '1',
      professional,
      from: window.from,
      to: window.to,
      before: parseCursor(q['_cursor']),
      count: parseCount(q['_count'], 50, 200),
    });
    return reply.header('cache-control', 'no-store').send({
      entries: view.entries,
      ...(view.next ? { next: encodeCursor(view.next) } : {}),
    });
  });

  app.get('/portal-api/notifications', async (request, reply) => {
    const q = request.query as Record<string, string | string[] | undefined>;
    const view = await portalInbox(deps, actorOf(request), {
      count: parseCount(q['_count'], 50, 100),
      before: parseCursor(q['_cursor']),
    });
    return reply.header('cache-control', 'no-store').send({
      entries: view.entries,
      ...(view.next ? { next: encodeCursor(view.next) } : {}),
    });
  });

  app.post('/portal-api/notifications/read-all', async (request, reply) => {
    const done = await markAllNotificationsRead(deps, actorOf(request));
    return reply.header('cache-control', 'no-store').send(done);
  });

  registerNotificationPreferenceRoutes(app, deps);
};

const HISTORY_SHOW = new Set(['all', 'professionals', 'emergency', 'denied']);
