/**
 * The server side of the portals, without a browser: static serving (CSP, single-page fallback, no escape from
 * the build folder), the cookie session through the real application (same API, CSRF for unsafe methods), and
 * the /portal-api endpoints (value sets, directory search, "who can see this document") with their access rules
 * and traces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoDocuments } from '../../src/demo/documents.ts';
import { loadDemoData } from '../../src/demo/load.ts';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp } from '../helpers/app.ts';
import { ensurePortalsBuilt } from './server.ts';

const JEAN = '158037505610143';
const MARIE = '262076912310249';
const JEAN_ID = `urn:oid:1.2.250.1.213.1.4.10|${JEAN}`;

let t: TestApp;

beforeAll(async () => {
  ensurePortalsBuilt();
  t = await buildTestApp();
  await loadDemoData(t.deps);
  await loadDemoDocuments(t.deps);
}, 180_000);

afterAll(async () => {
  await t?.close();
});

async function session(
  account: string,
  portal = 'patient',
): Promise<{ cookie: string; csrf: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/auth/portal/dev-login',
    payload: { account, portal },
  });
  expect(res.statusCode).toBe(200);
  const value = res.cookies.find((c) => c.name === 'opendmp_session')?.value ?? '';
  return { cookie: `opendmp_session=${value}`, csrf: res.json<{ csrfToken: string }>().csrfToken };
}

async function firstDocumentId(cookie: string, identifier = JEAN_ID): Promise<string> {
  const res = await t.app.inject({
    method: 'GET',
    url: `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(identifier)}`,
    headers: { cookie },
  });
  expect(res.statusCode).toBe(200);
  const id = res.json<{ entry?: { resource: { id: string } }[] }>().entry?.[0]?.resource.id;
  expect(id).toBeDefined();
  return id ?? '';
}

describe('static portals', () => {
  it('serves each portal shell publicly with a strict Content-Security-Policy', async () => {
    for (const portal of ['patient', 'pro']) {
      const res = await t.app.inject({ method: 'GET', url: `/${portal}/` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.body).toContain('<div id="root">');
    }
  });

  it('answers every route of the single-page app with its shell, but 404 for a missing file', async () => {
    const route = await t.app.inject({ method: 'GET', url: '/patient/documents/123' });
    expect(route.statusCode).toBe(200);
    expect(route.body).toContain('<div id="root">');
    const missing = await t.app.inject({ method: 'GET', url: '/patient/assets/missing.js' });
    expect(missing.statusCode).toBe(404);
    const redirect = await t.app.inject({ method: 'GET', url: '/pro' });
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe('/pro/');
  });

  it('never serves a file from outside the build folder', async () => {
    for (const url of [
      '/patient/../../package.json',
      '/patient/..%2f..%2fpackage.json',
      '/patient/%2e%2e/%2e%2e/package.json',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.body).not.toContain('"workspaces"');
    }
  });

  it('installs the patient portal as an app: manifest, icons and a shell-only service worker', async () => {
    const manifest = await t.app.inject({ method: 'GET', url: '/patient/manifest.webmanifest' });
    expect(manifest.statusCode).toBe(200);
    expect(manifest.headers['content-type']).toMatch(/application\/manifest\+json/);
    const m = manifest.json<{ start_url: string; icons: { src: string; purpose: string }[] }>();
    expect(m.start_url).toBe('/patient/');
    for (const icon of m.icons) {
      const res = await t.app.inject({ method: 'GET', url: icon.src });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
    }
    const sw = await t.app.inject({ method: 'GET', url: '/patient/sw.js' });
    expect(sw.statusCode).toBe(200);
    expect(sw.headers['cache-control']).toBe('no-cache');
    // The worker only ever answers for files of the shell, listed at build time.
    const shell = JSON.parse(/const SHELL = (\[.*\]);/.exec(sw.body)?.[1] ?? '[]') as string[];
    expect(shell.length).toBeGreaterThan(2);
    expect(shell.every((f) => f.startsWith('/patient/'))).toBe(true);
    expect(sw.body).not.toMatch(/\/fhir|\/portal-api|\/auth\//);
  });

  it('has a public landing page linking to both portals', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('href="/patient/"');
    expect(res.body).toContain('href="/pro/"');
  });
});

describe('cookie sessions on the public API', () => {
  it('reads the API with the session cookie, as the same actor a bearer token would be', async () => {
    const { cookie } = await session(`patient:${JEAN}`);
    const res = await t.app.inject({
      method: 'GET',
      url: `/fhir/Patient?identifier=${JEAN}`,
      headers: { cookie },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ total: number }>().total).toBe(1);
    const other = await t.app.inject({
      method: 'GET',
      url: `/fhir/Consent?patient.identifier=${MARIE}`,
      headers: { cookie },
    });
    expect(other.statusCode).toBe(403);
  });

  it('refuses a state change without the CSRF header and accepts it with the header', async () => {
    const { cookie, csrf } = await session(`patient:${JEAN}`);
    const body = {
      resourceType: 'Consent',
      status: 'active',
      scope: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' },
        ],
      },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
      patient: { identifier: { system: 'urn:oid:1.2.250.1.213.1.4.10', value: JEAN } },
      provision: {
        type: 'deny',
        purpose: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.248', code: 'centre_15' }],
      },
    };
    const refused = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: { cookie },
      payload: body,
    });
    expect(refused.statusCode).toBe(403);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: body,
    });
    expect(ok.statusCode).toBe(201);
  });

  it('traces a portal login like any login', async () => {
    await session('professional:810001000016', 'pro');
    const [row] = await t.db.owner`SELECT count(*)::int AS n FROM system_audit_event
      WHERE action = 'auth.login' AND actor_id = '810001000016'`;
    expect(row?.['n']).toBeGreaterThan(0);
  });
});

describe('/portal-api', () => {
  it('serves value sets to signed-in users only, types with their class', async () => {
    expect(
      (await t.app.inject({ method: 'GET', url: '/portal-api/value-sets/J66' })).statusCode,
    ).toBe(401);
    const { cookie } = await session(`patient:${JEAN}`);
    const res = await t.app.inject({
      method: 'GET',
      url: '/portal-api/value-sets/J66',
      headers: { cookie },
    });
    expect(res.statusCode).toBe(200);
    const vs = res.json<{ concepts: { code: string; class?: string }[] }>();
    expect(vs.concepts.find((c) => c.code === 'DOCPAT01')).toMatchObject({ class: '11' });
    const unknown = await t.app.inject({
      method: 'GET',
      url: '/portal-api/value-sets/NOPE',
      headers: { cookie },
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('searches the professional directory by name or IdNat_PS', async () => {
    const { cookie } = await session(`patient:${JEAN}`);
    const byName = await t.app.inject({
      method: 'GET',
      url: '/portal-api/professionals?q=cardio',
      headers: { cookie },
    });
    expect(
      byName.json<{ professionals: { idNatPs: string }[] }>().professionals.map((p) => p.idNatPs),
    ).toEqual(['810001000016']);
    const byId = await t.app.inject({
      method: 'GET',
      url: '/portal-api/professionals?q=810001000008',
      headers: { cookie },
    });
    expect(byId.json<{ professionals: { name: string }[] }>().professionals[0]?.name).toBe(
      'Paul GENERALISTE',
    );
    const short = await t.app.inject({
      method: 'GET',
      url: '/portal-api/professionals?q=a',
      headers: { cookie },
    });
    expect(short.statusCode).toBe(400);
  });

  it('explains who can see a document to its patient, by the policy, and traces it', async () => {
    const { cookie } = await session(`patient:${JEAN}`);
    const id = await firstDocumentId(cookie);
    const res = await t.app.inject({
      method: 'GET',
      url: `/portal-api/documents/${id}/audience`,
      headers: { cookie },
    });
    expect(res.statusCode).toBe(200);
    const a = res.json<{
      patient: boolean;
      professionals: { idNatPs: string; roles: string[]; canRead?: boolean }[];
      professions: { profession: string; allowed: boolean }[];
      emergency: { bris_de_glace: { possible: boolean } };
    }>();
    expect(a.patient).toBe(true);
    // Jean's médecin traitant (demo directory) reads it without any further authorization.
    expect(a.professionals.find((p) => p.idNatPs === '810001000008')).toMatchObject({
      roles: expect.arrayContaining(['medecin-traitant']),
      canRead: true,
    });
    expect(a.professions.length).toBeGreaterThan(5);
    const [trace] = await t.db
      .owner`SELECT outcome FROM audit_event WHERE action = 'document.audience' AND entity_id = ${id}`;
    expect(trace?.['outcome']).toBe('success');
  });

  it('answers a professional or another patient as if the document did not exist, and traces the denial', async () => {
    const jean = await session(`patient:${JEAN}`);
    const id = await firstDocumentId(jean.cookie);
    const pro = await session('professional:810001000008', 'pro');
    const asPro = await t.app.inject({
      method: 'GET',
      url: `/portal-api/documents/${id}/audience`,
      headers: { cookie: pro.cookie },
    });
    expect(asPro.statusCode).toBe(404);
    const marie = await session(`patient:${MARIE}`);
    const asOther = await t.app.inject({
      method: 'GET',
      url: `/portal-api/documents/${id}/audience`,
      headers: { cookie: marie.cookie },
    });
    expect(asOther.statusCode).toBe(404);
    const [denied] = await t.db.owner`SELECT count(*)::int AS n FROM audit_event
      WHERE action = 'document.audience' AND outcome = 'denied' AND entity_id = ${id}`;
    expect(denied?.['n']).toBe(2);
  });

  it('shows what the patient’s hiding does: the médecin traitant still reads, an authorized specialist no longer', async () => {
    const jean = await session(`patient:${JEAN}`);
    const id = await firstDocumentId(jean.cookie);
    // Anne CARDIO declares Jean's consent with her software (bearer token: same API).
    const token = await t.token({
      kind: 'professional',
      idNatPs: '810001000016',
      profession: '10',
      specialty: 'SM04',
      structure: '1750700007',
      mode: 'normal',
    });
    const consent = await t.app.inject({
      method: 'POST',
      url: '/fhir/Consent',
      headers: { authorization: `Bearer ${token}` },
      payload: {
        resourceType: 'Consent',
        status: 'active',
        scope: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/consentscope',
              code: 'patient-privacy',
            },
          ],
        },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient: { identifier: { system: 'urn:oid:1.2.250.1.213.1.4.10', value: JEAN } },
        provision: {
          type: 'permit',
          actor: [
            {
              reference: {
                identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810001000016' },
              },
            },
          ],
        },
      },
    });
    expect(consent.statusCode).toBe(201);
    const doc = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${id}`,
      headers: { cookie: jean.cookie },
    });
    const version = doc.json<{ meta: { versionId: string } }>().meta.versionId;
    const hide = await t.app.inject({
      method: 'PATCH',
      url: `/fhir/DocumentReference/${id}`,
      headers: {
        cookie: jean.cookie,
        'x-csrf-token': jean.csrf,
        'content-type': 'application/json-patch+json',
        'if-match': `W/"${version}"`,
      },
      payload: JSON.stringify([
        {
          op: 'add',
          path: '/securityLabel/-',
          value: {
            coding: [
              {
                system:
                  'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument',
                code: 'MASQUE_PS',
              },
            ],
          },
        },
      ]),
    });
    expect(hide.statusCode).toBe(200);
    const res = await t.app.inject({
      method: 'GET',
      url: `/portal-api/documents/${id}/audience`,
      headers: { cookie: jean.cookie },
    });
    const a = res.json<{
      professionals: { idNatPs: string; canRead?: boolean; reason?: string }[];
      emergency: { bris_de_glace: { possible: boolean; reason?: string } };
    }>();
    expect(a.professionals.find((p) => p.idNatPs === '810001000008')?.canRead).toBe(true);
    expect(a.professionals.find((p) => p.idNatPs === '810001000016')).toMatchObject({
      canRead: false,
      reason: 'ACCESS_MASKED',
    });
    expect(a.emergency.bris_de_glace).toMatchObject({ possible: false, reason: 'ACCESS_MASKED' });
    // …and what is shown is what is enforced: the specialist's own read is refused.
    const read = await t.app.inject({
      method: 'GET',
      url: `/fhir/DocumentReference/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(read.statusCode).toBe(404);
  });
});
