import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { buildTestApp, GP, OPERATOR } from '../helpers/app.ts';
import { loadConfig } from '../../src/config.ts';
import * as corpus from '../fuzz/corpus.ts';
import * as fx from './documents.fixtures.ts';
import type { Json } from './documents.fixtures.ts';

/**
 * Issue 16, finding 5 and the fuzz suite: every hostile input of test/fuzz/corpus/ sent to every write, read and
 * search endpoint, with a valid professional, patient or operator token. Whatever is sent: no 5xx, every error is a
 * FHIR OperationOutcome with a stable code, and nothing is half-written (the patient tables count the same rows
 * before and after the hostile writes, which are all refused).
 */
const STABLE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;
const PATIENT_TABLES = [
  'patient_record',
  'document',
  'document_content',
  'document_unique_id',
  'submission_set',
  'folder',
  'list_entry',
  'consent',
  'outbox',
];

type Who = 'patient' | 'gp' | 'operator';

interface Sent {
  readonly label: string;
  readonly status: number;
  readonly body: string;
  readonly contentType: string | undefined;
}

/** The problems found in one answer, empty when it is acceptable. */
function problems(r: Sent): string[] {
  const out: string[] = [];
  if (r.status >= 500) {
    out.push(String(r.status));
  }
  if (r.status === 429) {
    out.push('429: a quota hid the answer (the suite runs without quotas)');
  }
  if (r.status >= 400) {
    let parsed: Json | undefined;
    try {
      parsed = JSON.parse(r.body) as Json;
    } catch {
      parsed = undefined;
    }
    if (parsed?.['resourceType'] !== 'OperationOutcome') {
      out.push(`${String(r.status)} not an OperationOutcome`);
    } else if (!/^application\/fhir\+json/.test(r.contentType ?? '')) {
      out.push(`${String(r.status)} content-type ${String(r.contentType)}`);
    } else {
      const codes = fx.issueCodes(r.body);
      if (codes.length === 0 || !codes.every((c) => STABLE.test(c))) {
        out.push(`${String(r.status)} codes ${codes.join(',')}`);
      }
    }
    if (/at \w+ \(|node:internal|\.ts:\d+/.test(r.body)) {
      out.push('stack trace');
    }
  }
  return out.map((p) => `${r.label} → ${p} ${r.body.slice(0, 160)}`);
}

describe('fuzz: hostile inputs on every endpoint', () => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  const ins = fx.nir('2790351215189');
  let patientId = '';
  let documentId = '';
  const failures: string[] = [];
  let portalDist = '';

  async function send(
    label: string,
    who: Who,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: Buffer | string,
    contentType = 'application/fhir+json',
  ): Promise<Sent> {
    const res = await t.app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${tokens[who]}`,
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      ...(body === undefined ? {} : { payload: body }),
    });
    const contentTypeHeader = res.headers['content-type'];
    const sent = {
      label: `${method} ${url.slice(0, 120)} [${label}]`,
      status: res.statusCode,
      body: res.body,
      contentType: typeof contentTypeHeader === 'string' ? contentTypeHeader : undefined,
    };
    failures.push(...problems(sent));
    return sent;
  }

  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of PATIENT_TABLES) {
      const [row] = await t.db.owner.unsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM ${table}`,
      );
      out[table] = row?.n ?? -1;
    }
    return out;
  }

  beforeAll(async () => {
    // Built portals (an index.html each) so that their file routes are reached too.
    portalDist = mkdtempSync(path.join(os.tmpdir(), 'opendmp-fuzz-portal-'));
    for (const portal of ['patient', 'pro']) {
      mkdirSync(path.join(portalDist, portal), { recursive: true });
      writeFileSync(path.join(portalDist, portal, 'index.html'), '<!doctype html><title>x</title>');
    }
    process.env['OPENDMP_PORTAL_DIST'] = portalDist;
    t = await buildTestApp({
      masterKey: randomBytes(32).toString('base64'),
      maxDocumentBytes: 2_000_000,
      quotas: loadConfig({
        OPENDMP_QUOTA_REQUESTS_PER_MINUTE: '0',
        OPENDMP_QUOTA_DEPOSIT_MB_PER_MINUTE: '0',
        OPENDMP_QUOTA_PUBLIC_REQUESTS_PER_MINUTE: '0',
      }).quotas,
    });
    tokens.operator = await t.token(OPERATOR);
    // The professional is the author of the CDA deposited below (a deposit needs the CDA's author).
    tokens.gp = await t.token(fx.authorTokenBody(fx.header(cda())));
    tokens.patient = await t.token({ kind: 'patient', ins });
    const created = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: {
        authorization: `Bearer ${tokens.operator}`,
        'content-type': 'application/fhir+json',
      },
      payload: fx.patientBody(ins),
    });
    expect(created.statusCode, created.body).toBe(201);
    patientId = String(created.json<Json>()['id']);
    const bytes = cda();
    const deposit = await t.app.inject({
      method: 'POST',
      url: '/fhir/DocumentReference',
      headers: { authorization: `Bearer ${tokens.gp}`, 'content-type': 'application/fhir+json' },
      payload: fx.iti105(fx.cdaDocumentReference(ins, bytes), bytes),
    });
    expect(deposit.statusCode, deposit.body).toBe(201);
    documentId = String(deposit.json<Json>()['id']);
  });
  afterAll(async () => {
    await t.close();
    delete process.env['OPENDMP_PORTAL_DIST'];
    rmSync(portalDist, { recursive: true, force: true });
  });
  beforeEach(() => {
    failures.length = 0;
  });

  const identifier = () => `urn:oid:1.2.250.1.213.1.4.10|${ins}`;
  /** A valid CDA for the patient, with a fresh document id. */
  const cda = (): Buffer =>
    Buffer.from(
      fx.rewriteDocumentId(
        fx.rewriteIns(fx.readExample('VAC-NOTE_2023.01.xml'), ins),
        fx.freshOid(),
      ),
    );

  /** Search endpoints: path, the actor, the base query, the parameters to fuzz. */
  const searches = (): {
    path: string;
    who: Who;
    base: Record<string, string>;
    params: string[];
  }[] => [
    { path: '/fhir/Patient', who: 'gp', base: {}, params: ['identifier', '_count'] },
    {
      path: '/fhir/DocumentReference',
      who: 'gp',
      base: { 'patient.identifier': identifier() },
      params: [
        'patient.identifier',
        'patient',
        'date',
        'period',
        'creation',
        'type',
        'status',
        'setting',
        '_count',
        '_cursor',
      ],
    },
    {
      path: '/fhir/List',
      who: 'gp',
      base: { 'patient.identifier': identifier(), code: 'folder' },
      params: ['patient.identifier', 'code', 'status', 'date', '_count', '_cursor'],
    },
    {
      path: '/fhir/Consent',
      who: 'patient',
      base: { 'patient.identifier': identifier() },
      params: ['patient.identifier', 'patient', 'status', '_count'],
    },
    {
      path: '/fhir/AuditEvent',
      who: 'patient',
      base: { 'patient.identifier': identifier() },
      params: ['patient.identifier', 'date', 'action', 'subtype', 'agent.identifier', '_count'],
    },
    {
      path: '/fhir/Communication',
      who: 'patient',
      base: {},
      params: [
        'status',
        'medium',
        'recipient.identifier',
        'patient.identifier',
        '_count',
        '_cursor',
      ],
    },
    {
      path: '/fhir/ExplanationOfBenefit',
      who: 'patient',
      base: { 'patient.identifier': identifier() },
      params: ['patient.identifier', 'date', 'kind', '_count', '_offset'],
    },
    {
      path: '/fhir/Condition',
      who: 'patient',
      base: { 'patient.identifier': identifier() },
      params: ['patient.identifier', 'subject', 'code', '_count', '_offset'],
    },
    {
      path: `/fhir/Patient/{patient}/$profile`,
      who: 'patient',
      base: {},
      params: ['_count', '_offset'],
    },
    { path: '/portal-api/professionals', who: 'patient', base: {}, params: ['q'] },
  ];

  function withIds(path: string): string {
    return path.replace('{patient}', patientId);
  }

  it('answers every hostile query value with a 2xx or a 4xx OperationOutcome', async () => {
    for (const s of searches()) {
      for (const param of s.params) {
        for (const v of corpus.queryValues()) {
          const q = new URLSearchParams({ ...s.base, [param]: v.value }).toString();
          await send(`${param}=${v.name}`, s.who, 'GET', `${withIds(s.path)}?${q}`);
        }
      }
      for (const raw of corpus.rawQueries()) {
        const base = new URLSearchParams(s.base).toString();
        await send(raw.name, s.who, 'GET', `${withIds(s.path)}?${base}&${raw.value}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });

  /** Endpoints addressed by an id. */
  const byId = (): {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    path: string;
    who: Who;
    body?: string;
    type?: string;
  }[] => [
    { method: 'GET', path: '/fhir/Patient/{id}', who: 'patient' },
    { method: 'GET', path: '/fhir/Patient/{id}', who: 'operator' },
    {
      method: 'PATCH',
      path: '/fhir/Patient/{id}',
      who: 'patient',
      body: '[{"op":"add","path":"/generalPractitioner","value":[]}]',
      type: 'application/json-patch+json',
    },
    {
      method: 'POST',
      path: '/fhir/Patient/{id}/$close',
      who: 'operator',
      body: '{"resourceType":"Parameters","parameter":[{"name":"reason","valueCode":"nope"}]}',
    },
    { method: 'POST', path: '/fhir/Patient/{id}/$reopen', who: 'operator' },
    { method: 'POST', path: '/fhir/Patient/{id}/$request-deletion', who: 'gp' },
    { method: 'GET', path: '/fhir/Patient/{id}/$profile', who: 'patient' },
    { method: 'POST', path: '/fhir/Patient/{id}/$export-profile', who: 'gp' },
    { method: 'GET', path: '/fhir/Consent/{id}', who: 'patient' },
    { method: 'DELETE', path: '/fhir/Consent/{id}', who: 'patient' },
    { method: 'GET', path: '/fhir/DocumentReference/{id}', who: 'gp' },
    {
      method: 'PATCH',
      path: '/fhir/DocumentReference/{id}',
      who: 'patient',
      body: '[{"op":"test","path":"/status","value":"nope"}]',
      type: 'application/json-patch+json',
    },
    { method: 'GET', path: '/fhir/List/{id}', who: 'gp' },
    { method: 'GET', path: '/fhir/Binary/{id}', who: 'gp' },
    { method: 'GET', path: '/fhir/AuditEvent/{id}', who: 'patient' },
    { method: 'GET', path: '/fhir/Communication/{id}', who: 'patient' },
    {
      method: 'PATCH',
      path: '/fhir/Communication/{id}',
      who: 'patient',
      body: '[{"op":"replace","path":"/status","value":"nope"}]',
      type: 'application/json-patch+json',
    },
    { method: 'GET', path: '/fhir/Condition/{id}', who: 'patient' },
    { method: 'DELETE', path: '/fhir/Condition/{id}', who: 'patient' },
    {
      method: 'PUT',
      path: '/fhir/Condition/{id}',
      who: 'patient',
      body: '{"resourceType":"Condition"}',
    },
    { method: 'GET', path: '/portal-api/documents/{id}/audience', who: 'patient' },
    { method: 'GET', path: '/portal-api/value-sets/{id}', who: 'patient' },
    { method: 'GET', path: '/patient/{id}', who: 'patient' },
    { method: 'GET', path: '/pro/{id}', who: 'gp' },
  ];

  it('answers every hostile id with a 4xx OperationOutcome', async () => {
    for (const e of byId()) {
      for (const seg of corpus.pathSegments()) {
        const url = e.path.replace('{id}', seg.value);
        const r = await send(seg.name, e.who, e.method, url, e.body, e.type);
        if (!e.path.startsWith('/patient/') && !e.path.startsWith('/pro/')) {
          expect.soft(r.status, r.label).toBeGreaterThanOrEqual(400);
        }
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });

  /** Write endpoints with a valid body (hostile values are planted in it) and the actor allowed to write. */
  const writes = (): {
    method: 'POST' | 'PUT' | 'PATCH';
    path: string;
    who: Who;
    body: () => unknown;
    type?: string;
  }[] => {
    const bytes = cda();
    const docRef = fx.cdaDocumentReference(ins, bytes);
    return [
      {
        method: 'POST',
        path: '/fhir/Patient',
        who: 'operator',
        body: () => fx.patientBody(fx.nir('1850275123456')),
      },
      {
        method: 'POST',
        path: '/fhir/Patient/$opposition',
        who: 'operator',
        body: () => ({
          resourceType: 'Parameters',
          parameter: [
            { name: 'identifier', valueIdentifier: { system: fx.TEST_SYSTEM, value: ins } },
            { name: 'action', valueCode: 'lift' },
          ],
        }),
      },
      {
        method: 'POST',
        path: '/fhir/Consent',
        who: 'gp',
        body: () => fx.consentBody(ins, GP.idNatPs),
      },
      {
        method: 'POST',
        path: '/fhir/DocumentReference',
        who: 'gp',
        body: () => fx.iti105(docRef, bytes),
      },
      {
        method: 'POST',
        path: '/fhir',
        who: 'gp',
        body: () => fx.iti65(ins, [{ docRef, bytes, contentType: 'text/xml' }]),
      },
      {
        method: 'POST',
        path: '/fhir/Condition',
        who: 'patient',
        body: () => ({
          resourceType: 'Condition',
          subject: { identifier: { system: fx.TEST_SYSTEM, value: ins } },
          code: { text: 'Asthme' },
        }),
      },
      {
        method: 'PATCH',
        path: `/fhir/DocumentReference/{doc}`,
        who: 'patient',
        type: 'application/json-patch+json',
        body: () => [
          {
            op: 'add',
            path: '/securityLabel/-',
            value: { coding: [{ system: fx.A07, code: 'MASQUE_PS' }] },
          },
        ],
      },
      {
        method: 'PATCH',
        path: `/fhir/Patient/{patient}`,
        who: 'patient',
        type: 'application/json-patch+json',
        body: () => [
          {
            op: 'add',
            path: '/generalPractitioner',
            value: [{ identifier: { system: fx.IDNAT_PS, value: GP.idNatPs } }],
          },
        ],
      },
      {
        method: 'PUT',
        path: '/portal-api/notification-preferences',
        who: 'patient',
        type: 'application/json',
        body: () => ({ channels: ['inbox'] }),
      },
    ];
  };

  /** Every string leaf of `value`, as paths. */
  function stringLeaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
    if (typeof value === 'string') {
      return [path];
    }
    if (Array.isArray(value)) {
      return value.flatMap((v, i) => stringLeaves(v, [...path, i]));
    }
    if (typeof value === 'object' && value !== null) {
      return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
    }
    return [];
  }

  function planted(body: unknown, path: (string | number)[], value: unknown): unknown {
    const copy = structuredClone(body) as Record<string | number, unknown>;
    let node = copy;
    path.slice(0, -1).forEach((k) => {
      node = node[k] as Record<string | number, unknown>;
    });
    const last = path[path.length - 1];
    if (last !== undefined) {
      node[last] = value;
    }
    return copy;
  }

  it('refuses every hostile body on every write endpoint and writes nothing', async () => {
    const before = await counts();
    const accepted: string[] = [];
    for (const w of writes()) {
      const url = w.path.replace('{doc}', documentId).replace('{patient}', patientId);
      const bodies: corpus.Named<Buffer | string>[] = [
        ...corpus.rawBodies(),
        ...corpus.generatedBodies(),
      ];
      // NUL and lone surrogates planted in each string of a valid body (keys included).
      const base = w.body();
      for (const leaf of stringLeaves(base)) {
        for (const bad of ['a\u0000b', 'x\ud800', '\udfff']) {
          bodies.push({
            name: `${leaf.join('.')}=${JSON.stringify(bad)}`,
            value: JSON.stringify(planted(base, leaf, bad)),
          });
        }
      }
      bodies.push({
        name: 'nul-key',
        value: JSON.stringify({ ...(base as Json), 'x\u0000': 1 }),
      });
      // Wrong types: each top-level member (or patch operation) replaced by an object, an array, a huge number,
      // a boolean or null.
      for (const key of Object.keys(base as Json)) {
        for (const wrong of [{}, [], 1e300, true, null]) {
          bodies.push({
            name: `${key}=${JSON.stringify(wrong)}`,
            value: JSON.stringify(planted(base, [Array.isArray(base) ? Number(key) : key], wrong)),
          });
        }
      }
      for (const b of bodies) {
        const r = await send(b.name, w.who, w.method, url, b.value, w.type);
        if (r.status < 400) {
          accepted.push(r.label);
        }
      }
    }
    expect(accepted, accepted.join('\n')).toEqual([]);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('refuses hostile CDA contents (entity bombs, external entities, broken and deep XML)', async () => {
    const before = await counts();
    for (const c of [...corpus.cdaContents(), { name: 'deep.xml', value: corpus.deepXml() }]) {
      const xml = fx.cdaDocumentReference(ins, c.value);
      const r = await send(
        c.name,
        'gp',
        'POST',
        '/fhir/DocumentReference',
        JSON.stringify(fx.iti105(xml, c.value)),
      );
      expect.soft(r.status, r.label).toBeGreaterThanOrEqual(400);
      expect(r.body).not.toContain('root:');
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('answers router errors (bad URL encoding, unknown routes and methods, media types) as OperationOutcomes', async () => {
    const cases: [string, 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', string, string?, string?][] =
      [
        ['bad encoding', 'GET', '/fhir/DocumentReference/%E0%A4%A'],
        ['bad encoding in query', 'GET', '/fhir/Patient?identifier=%E0%A4%A'],
        ['unknown route', 'GET', '/fhir/Unknown'],
        ['unknown method', 'PUT', '/fhir/DocumentReference/x', '{}'],
        ['DELETE a document', 'DELETE', `/fhir/DocumentReference/{doc}`],
        ['text/plain body', 'POST', '/fhir/Patient', 'hello', 'text/plain'],
        ['xml body', 'POST', '/fhir', '<Bundle/>', 'application/fhir+xml'],
        [
          'no content-type charset mess',
          'POST',
          '/fhir/Patient',
          '{}',
          'application/fhir+json; charset=latin1',
        ],
        ['json-patch to POST', 'POST', '/fhir/Consent', '[]', 'application/json-patch+json'],
        [
          'fhir+json to PATCH',
          'PATCH',
          '/fhir/DocumentReference/{doc}',
          '{}',
          'application/fhir+json',
        ],
      ];
    for (const [label, method, path, body, type] of cases) {
      const url = path.replace('{doc}', documentId);
      const r = await send(label, 'gp', method, url, body, type);
      expect.soft(r.status, r.label).toBeGreaterThanOrEqual(400);
    }
    // Without a token: public routes (dev identity provider, portal sessions) and protected ones.
    const anonymous: [string, 'GET' | 'POST' | 'OPTIONS' | 'HEAD', string, string?, string?][] = [
      ['unknown route', 'GET', '/fhir/Nothing'],
      ['protected route', 'GET', '/fhir/DocumentReference'],
      ['bad encoding', 'GET', '/fhir/Patient/%ZZ'],
      ['OPTIONS', 'OPTIONS', '/fhir/Patient'],
      ['dev token, not JSON', 'POST', '/auth/dev/token', '{', 'application/json'],
      ['dev token, NUL', 'POST', '/auth/dev/token', '{"kind":"a\\u0000"}', 'application/json'],
      ['dev token, wrong type', 'POST', '/auth/dev/token', '[]', 'application/json'],
      [
        'dev token, form',
        'POST',
        '/auth/dev/token',
        'kind=operator',
        'application/x-www-form-urlencoded',
      ],
      [
        'dev login, unknown',
        'POST',
        '/auth/portal/dev-login',
        '{"account":"\\ud800"}',
        'application/json',
      ],
      ['dev login, array', 'POST', '/auth/portal/dev-login', '[1]', 'application/json'],
      ['oidc login, NUL', 'GET', '/auth/portal/oidc/login?portal=%00'],
      ['oidc callback, garbage', 'GET', '/auth/portal/oidc/callback?code=%00&state=x'],
      ['emergency without session', 'POST', '/auth/portal/emergency', '{}', 'application/json'],
      ['portal file with NUL', 'GET', '/patient/%00'],
      ['portal file traversal', 'GET', '/pro/..%2F..%2Fpackage.json'],
    ];
    for (const [label, method, url, body, type] of anonymous) {
      const res = await t.app.inject({
        method,
        url,
        ...(body === undefined ? {} : { payload: body, headers: { 'content-type': type ?? '' } }),
      });
      const r = {
        label: `${method} ${url} [${label}, no token]`,
        status: res.statusCode,
        body: res.body,
        contentType: res.headers['content-type'] as string | undefined,
      };
      failures.push(...problems(r));
    }
    expect(failures, failures.join('\n')).toEqual([]);
  });
});
