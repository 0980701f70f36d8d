/**
 * Issue 19 acceptance, security: a VIHF that is missing, unsigned, signed by an unregistered or revoked certificate,
 * wrapped (the signed assertion moved or duplicated, a signature lifted onto another assertion), expired, replayed or
 * tampered with is refused with a SOAP fault — and traced on the system chain as a failed authentication, with its
 * reason and the client address. Registration goes through `opendmp vihf-cert` (its traces too).
 */
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { singleNode } from '../../src/db/engine.ts';
import { runVihfCert } from '../../src/cli/vihf-cert.ts';
import { addCertificate, useAssertion } from '../../src/xds/vihf-store.ts';
import { STORED_QUERY } from '../../src/http/xds/registry.ts';
import {
  assertionKey,
  buildAssertion,
  certificateSubject,
  signAssertion,
} from '../../src/xds/vihf.ts';
import { demoVihfKey } from '../../src/http/auth/dev-vihf.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/vihf/', import.meta.url));
const OTHER = {
  privateKeyPem: fs.readFileSync(`${FIXTURES}other.key.pem`, 'utf8'),
  certificatePem: fs.readFileSync(`${FIXTURES}other.cert.pem`, 'utf8'),
};
const STRUCTURE = '1750300000';
const GP = {
  kind: 'professional',
  idNatPs: '899700366240',
  profession: '10',
  specialty: 'SM26',
  structure: STRUCTURE,
  sector: 'SA07',
  mode: 'normal',
};

interface Row {
  reason_code: string;
  detail: { clientAddress: string };
}

describe('VIHF security', () => {
  let t: TestApp;
  const ins = fx.nir('1850575123456');
  let address = 0;

  beforeAll(async () => {
    t = await buildTestApp({ quotas: { ...loadConfig({}).quotas, authFailuresPerMinute: 0 } });
  });
  afterAll(async () => {
    await t.close();
  });

  function query(assertion: string | undefined): string {
    return x.iti18(assertion ?? '', STORED_QUERY.FindDocuments, {
      $XDSDocumentEntryPatientId: `'${ins}^^^&amp;${fx.TEST_OID}&amp;ISO'`,
      $XDSDocumentEntryStatus: "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
    });
  }

  /** Sends an envelope from a fresh address; the fault's code, subcode, and the trace of the failure. */
  async function refused(
    envelope: string,
    app: TestApp = t,
  ): Promise<{ status: number; code: string; subcode: string; traced: string[] }> {
    const remoteAddress = `192.0.2.${String(++address)}`;
    const res = await app.app.inject({
      method: 'POST',
      url: `${x.SERVICES}/registry`,
      headers: { 'content-type': 'application/soap+xml' },
      payload: envelope,
      remoteAddress,
    });
    const root = (await import('../../src/xds/xml.ts')).parseXml(res.rawPayload);
    const fault = x.faultOf(root) ?? { code: '', subcode: '' };
    let traced: Row[] = [];
    for (let i = 0; i < 100 && traced.length === 0; i++) {
      traced = await app.db.owner<Row[]>`
        SELECT reason_code, detail FROM system_audit_event
        WHERE action = 'auth.failure' AND detail->>'clientAddress' = ${remoteAddress}`;
      if (traced.length === 0) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    return { status: res.statusCode, ...fault, traced: traced.map((r) => r.reason_code) };
  }

  function signed(
    key: typeof OTHER,
    overrides: { id?: string; from?: Date; until?: Date; structure?: string; sha1?: boolean } = {},
  ): string {
    const now = t.clock.now();
    return signAssertion(
      buildAssertion(
        {
          idNatPs: GP.idNatPs,
          profession: '10',
          structure: overrides.structure ?? STRUCTURE,
          sector: 'SA07',
        },
        certificateSubject(key.certificatePem),
        overrides.id ?? `_${randomUUID()}`,
        overrides.from ?? now,
        overrides.until ?? new Date(now.getTime() + 3600_000),
      ),
      key,
      { sha1: overrides.sha1 === true },
    );
  }

  it('accepts a valid VIHF (the baseline of the cases below)', async () => {
    const res = await x.soap(t, 'registry', query(await x.vihf(t, GP)));
    expect(res.status, res.text).toBe(200);
    expect(x.faultOf(res.root)).toBeUndefined();
  });

  it('refuses a request without a VIHF', async () => {
    const out = await refused(
      query(undefined).replace(/<wsse:Security[^>]*><\/wsse:Security>/, ''),
    );
    expect(out).toMatchObject({
      status: 400,
      code: 'VIHF_MISSING',
      subcode: 'wsse:InvalidSecurity',
    });
    expect(out.traced).toEqual(['VIHF_MISSING']);
  });

  it('refuses an unsigned assertion', async () => {
    const assertion = (await x.vihf(t, GP)).replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
    const out = await refused(query(assertion));
    expect(out).toMatchObject({
      status: 400,
      code: 'VIHF_UNSIGNED',
      subcode: 'wsse:InvalidSecurity',
    });
    expect(out.traced).toEqual(['VIHF_UNSIGNED']);
  });

  it('refuses a certificate not registered for the structure', async () => {
    const out = await refused(query(signed(OTHER)));
    expect(out).toMatchObject({
      code: 'VIHF_CERTIFICATE_UNKNOWN',
      subcode: 'wsse:FailedAuthentication',
    });
    expect(out.traced).toEqual(['VIHF_CERTIFICATE_UNKNOWN']);
  });

  it('accepts a certificate once registered (opendmp vihf-cert add), refuses it once revoked (revoke)', async () => {
    const pemFile = `${FIXTURES}other.cert.pem`;
    const out: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream,
      stderr: { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream,
    };
    expect(
      await runVihfCert(
        t.deps,
        ['add', '--structure', '1750600009', '--cert', pemFile, '--json'],
        io,
      ),
    ).toBe(0);
    const added = JSON.parse(out.pop() ?? '[]') as { id: string; fingerprint: string }[];
    const id = added[0]?.id ?? '';
    expect(
      await runVihfCert(t.deps, ['add', '--structure', '1750600009', '--cert', pemFile], io),
    ).toBe(1);
    expect(out.pop()).toMatch(/VIHF_CERT_DUPLICATE/);

    const ok = await x.soap(t, 'registry', query(signed(OTHER, { structure: '1750600009' })));
    expect(ok.status, ok.text).toBe(200);

    expect(await runVihfCert(t.deps, ['revoke', '--id', id], io)).toBe(0);
    expect(await runVihfCert(t.deps, ['list', '--structure', '1750600009', '--json'], io)).toBe(0);
    expect(JSON.parse(out.pop() ?? '[]')[0].revokedAt).not.toBeNull();
    const revoked = await refused(query(signed(OTHER, { structure: '1750600009' })));
    expect(revoked).toMatchObject({
      code: 'VIHF_CERTIFICATE_REVOKED',
      traced: ['VIHF_CERTIFICATE_REVOKED'],
    });

    const traces = await t.db.owner<{ action: string; actor_id: string }[]>`
      SELECT action, actor_id FROM system_audit_event WHERE action LIKE 'vihf.certificate.%' AND entity_id = ${id}`;
    expect(traces.map((r) => r.action).sort()).toEqual([
      'vihf.certificate.add',
      'vihf.certificate.revoke',
    ]);
  });

  it('a certificate registered for a structure whose certificates the service remembers is accepted at once; one revoked refuses the next VIHF', async () => {
    // The structure's certificates are remembered after this call (caches.ts vihfCertificates).
    const demo = await x.soap(t, 'registry', query(await x.vihf(t, GP)));
    expect(x.faultOf(demo.root)).toBeUndefined();
    // Registered in the database only (as `opendmp vihf-cert add` from another process does).
    const added = await addCertificate(t.deps.sql, {
      structure: STRUCTURE,
      pem: OTHER.certificatePem,
      by: 'test',
      at: t.clock.now(),
    });
    const ok = await x.soap(t, 'registry', query(signed(OTHER)));
    expect(x.faultOf(ok.root), ok.text).toBeUndefined();
    // Revoked in the database only: the remembered certificate is not trusted alone.
    await t.deps
      .sql`UPDATE vihf_certificate SET revoked_at = now(), revoked_by = 'test' WHERE id = ${added.id}`;
    const out = await refused(query(signed(OTHER)));
    expect(out).toMatchObject({
      code: 'VIHF_CERTIFICATE_REVOKED',
      traced: ['VIHF_CERTIFICATE_REVOKED'],
    });
    const again = await x.soap(t, 'registry', query(await x.vihf(t, GP)));
    expect(x.faultOf(again.root)).toBeUndefined();
  });

  it('refuses a wrapped signature: the signed assertion moved out of the header, a forged one in its place', async () => {
    const real = await x.vihf(t, GP);
    const id = /ID="([^"]+)"/.exec(real)?.[1] ?? '';
    const forged = real
      .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
      .replace('>899700366240<', '>899700000001<');
    const envelope = query(forged).replace(
      '</soap:Header>',
      `<x:Wrapper xmlns:x="urn:attacker">${real}</x:Wrapper></soap:Header>`,
    );
    expect(envelope).toContain(`ID="${id}"`);
    const out = await refused(envelope);
    expect(out).toMatchObject({ code: 'VIHF_MISSING', traced: ['VIHF_MISSING'] });
  });

  it('refuses a duplicated assertion', async () => {
    const real = await x.vihf(t, GP);
    const out = await refused(query(real + real));
    expect(out).toMatchObject({ code: 'VIHF_MISSING', traced: ['VIHF_MISSING'] });
  });

  it("refuses another assertion carrying the real one's signature", async () => {
    const real = await x.vihf(t, GP);
    const other = real.replace(/ID="[^"]+"/, `ID="_${randomUUID()}"`);
    const out = await refused(query(other));
    expect(out).toMatchObject({
      code: 'VIHF_SIGNATURE_PROFILE',
      traced: ['VIHF_SIGNATURE_PROFILE'],
    });
  });

  it('accepts a VIHF whose namespaces are declared on the envelope: the assertion is checked with its in-scope namespaces', async () => {
    const real = await x.vihf(t, GP);
    const ns = 'xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion"';
    expect(real).toContain(ns);
    const envelope = query(real.replace(` ${ns}`, '')).replace(
      '<soap:Envelope ',
      `<soap:Envelope ${ns} `,
    );
    const res = await x.soap(t, 'registry', envelope);
    expect(res.status, res.text).toBe(200);
    expect(x.faultOf(res.root)).toBeUndefined();
  });

  it('refuses a forged assertion in the header while its signed original (same ID) sits elsewhere (XSW)', async () => {
    const real = await x.vihf(t, GP);
    const forged = real.replace('>899700366240<', '>899700000001<');
    // The original without its signature (what the digest covers), under another name after the Security header:
    // a verifier resolving the Reference by ID could digest it; nothing resolves the Reference here.
    const original = real
      .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
      .replace('<saml2:Assertion ', '<x:Original xmlns:x="urn:attacker" ')
      .replace(/<\/saml2:Assertion>$/, '</x:Original>');
    const envelope = query(forged).replace('</soap:Header>', `${original}</soap:Header>`);
    const out = await refused(envelope);
    expect(out).toMatchObject({
      code: 'VIHF_SIGNATURE_INVALID',
      traced: ['VIHF_SIGNATURE_INVALID'],
    });
  });

  it('refuses a tampered attribute', async () => {
    const real = await x.vihf(t, GP);
    const tampered = real.replace('code="10"', 'code="21"');
    expect(tampered).not.toBe(real);
    const out = await refused(query(tampered));
    expect(out).toMatchObject({
      code: 'VIHF_SIGNATURE_INVALID',
      traced: ['VIHF_SIGNATURE_INVALID'],
    });
  });

  it('accepts a VIHF signed RSA-SHA1 with a SHA-1 digest, as DRIMbox signs it, unless the operator refuses SHA-1 (OPENDMP_XDS_REFUSE_SHA1_SIGNATURES, ADR 0034)', async () => {
    const demo = demoVihfKey();
    // The demo certificate registered for the structure (the development route registers it on first use).
    await x.vihf(t, GP);
    const sha1 = signed(demo, { sha1: true });
    expect(sha1).toContain('Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"');
    expect(sha1).toContain('Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"');
    const ok = await x.soap(t, 'registry', query(sha1));
    expect(ok.status, ok.text).toBe(200);
    expect(x.faultOf(ok.root)).toBeUndefined();
    // Still single use, and a tampered one is refused.
    expect(await refused(query(sha1))).toMatchObject({
      code: 'VIHF_REPLAYED',
      traced: ['VIHF_REPLAYED'],
    });
    const tampered = signed(demo, { sha1: true }).replace('code="10"', 'code="21"');
    expect(await refused(query(tampered))).toMatchObject({
      code: 'VIHF_SIGNATURE_INVALID',
      traced: ['VIHF_SIGNATURE_INVALID'],
    });

    const strict = await buildTestApp({
      quotas: { ...loadConfig({}).quotas, authFailuresPerMinute: 0 },
      xdsRefuseSha1Signatures: true,
    });
    try {
      const sha256 = await x.soap(strict, 'registry', query(await x.vihf(strict, GP)));
      expect(x.faultOf(sha256.root), sha256.text).toBeUndefined();
      expect(await refused(query(signed(demo, { sha1: true })), strict)).toMatchObject({
        code: 'VIHF_SIGNATURE_PROFILE',
        subcode: 'wsse:FailedAuthentication',
        traced: ['VIHF_SIGNATURE_PROFILE'],
      });
    } finally {
      await strict.close();
    }
  });

  it('refuses an expired assertion', async () => {
    const assertion = await x.vihf(t, GP);
    t.clock.offsetMs += 2 * 3600_000;
    try {
      const out = await refused(query(assertion));
      expect(out).toMatchObject({ code: 'VIHF_EXPIRED', traced: ['VIHF_EXPIRED'] });
    } finally {
      t.clock.offsetMs -= 2 * 3600_000;
    }
  });

  it('refuses a replayed assertion', async () => {
    const assertion = await x.vihf(t, GP);
    const first = await x.soap(t, 'registry', query(assertion));
    expect(first.status, first.text).toBe(200);
    const out = await refused(query(assertion));
    expect(out).toMatchObject({ code: 'VIHF_REPLAYED', traced: ['VIHF_REPLAYED'] });
  });

  it('accepts one of the same assertion sent several times at once (single uses are written together)', async () => {
    const assertion = await x.vihf(t, GP);
    const other = await x.vihf(t, GP);
    const addresses = [0, 1, 2, 3].map(() => `192.0.2.${String(++address)}`);
    const answers = await Promise.all(
      [assertion, assertion, other, assertion].map((a, i) =>
        t.app.inject({
          method: 'POST',
          url: `${x.SERVICES}/registry`,
          headers: { 'content-type': 'application/soap+xml' },
          payload: query(a),
          remoteAddress: addresses[i] as string,
        }),
      ),
    );
    const { parseXml } = await import('../../src/xds/xml.ts');
    const codes = answers.map((a) => x.faultOf(parseXml(a.rawPayload))?.code ?? 'accepted');
    expect(codes.filter((c) => c === 'accepted')).toHaveLength(2);
    expect(codes.filter((c) => c === 'VIHF_REPLAYED')).toHaveLength(2);
    expect(codes[2]).toBe('accepted');
    // Each concurrent replay is traced as a failed authentication from its own address, as a replay sent alone is.
    const replayedFrom = addresses.filter((_, i) => codes[i] === 'VIHF_REPLAYED');
    let traced: Row[] = [];
    for (let i = 0; i < 100 && traced.length < 2; i++) {
      traced = await t.db.owner<Row[]>`
        SELECT reason_code, detail FROM system_audit_event
        WHERE action = 'auth.failure' AND detail->>'clientAddress' = ANY(${addresses})`;
      if (traced.length < 2) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(traced.map((r) => r.reason_code)).toEqual(['VIHF_REPLAYED', 'VIHF_REPLAYED']);
    expect(traced.map((r) => r.detail.clientAddress).sort()).toEqual(replayedFrom.sort());
    // The same key twice in one statement (the second and third calls wait for the first's and go together).
    const [cert] = await t.db.owner<{ id: string }[]>`
      SELECT id FROM vihf_certificate WHERE structure = ${STRUCTURE} AND revoked_at IS NULL LIMIT 1`;
    const until = new Date(t.clock.now().getTime() + 3600_000);
    const [a, b] = [randomUUID(), randomUUID()].map((u) => u.replace(/-/g, '').repeat(2));
    const uses = await Promise.all(
      [a, b, b].map((k) => useAssertion(t.deps.sql, k as string, until, cert?.id ?? '')),
    );
    expect(uses).toEqual([true, true, false]);
  });

  it("on a record it may read, an ITI-18's single use is written in the transaction of its read trace; a replay, alone or at once, is refused with no read trace (ADR 0037)", async () => {
    const readable = fx.nir('1850575123458');
    const patientId = await x.readableRecord(t, readable, GP);
    const find = (assertion: string): string =>
      x.iti18(assertion, STORED_QUERY.FindDocuments, {
        $XDSDocumentEntryPatientId: `'${readable}^^^&amp;${fx.TEST_OID}&amp;ISO'`,
        $XDSDocumentEntryStatus: "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
      });
    const searches = async (): Promise<{ xmin: string }[]> =>
      t.db.owner<{ xmin: string }[]>`
        SELECT xmin::text FROM audit_event WHERE patient_id = ${patientId} AND action = 'document.search'`;
    const keyOf = (assertion: string): string =>
      assertionKey({
        issuer: /<saml2?:Issuer[^>]*>([^<]*)</.exec(assertion)?.[1] ?? '',
        assertionId: /ID="([^"]+)"/.exec(assertion)?.[1] ?? '',
      });

    const assertion = await x.vihf(t, GP);
    const first = await x.soap(t, 'registry', find(assertion));
    expect(x.faultOf(first.root), first.text).toBeUndefined();
    const traced = await searches();
    expect(traced).toHaveLength(1);
    const [used] = await t.db.owner<{ xmin: string }[]>`
      SELECT xmin::text FROM vihf_assertion_used WHERE assertion_key = ${keyOf(assertion)}`;
    // One transaction, one commit: the use and the trace (on Citus the use is a statement of its own, on the
    // coordinator: ADR 0037).
    if (await singleNode(t.deps.sql)) {
      expect(used?.xmin).toBe(traced[0]?.xmin);
    } else {
      expect(used?.xmin).not.toBe(traced[0]?.xmin);
    }

    const out = await refused(find(assertion));
    expect(out).toMatchObject({ code: 'VIHF_REPLAYED', traced: ['VIHF_REPLAYED'] });
    expect(await searches()).toHaveLength(1);

    const fresh = await x.vihf(t, GP);
    const answers = await Promise.all(
      [0, 1, 2, 3].map(() =>
        t.app.inject({
          method: 'POST',
          url: `${x.SERVICES}/registry`,
          headers: { 'content-type': 'application/soap+xml' },
          payload: find(fresh),
          remoteAddress: `192.0.2.${String(++address)}`,
        }),
      ),
    );
    const { parseXml } = await import('../../src/xds/xml.ts');
    const codes = answers.map((a) => x.faultOf(parseXml(a.rawPayload))?.code ?? 'accepted');
    expect(codes.filter((c) => c === 'accepted')).toHaveLength(1);
    expect(codes.filter((c) => c === 'VIHF_REPLAYED')).toHaveLength(3);
    expect(await searches()).toHaveLength(2);
  });

  it('refuses a DOCTYPE (no entity is ever expanded) and a body that breaks the schema, before any VIHF check', async () => {
    const doctype = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${query(await x.vihf(t, GP)).replace(/^<\?xml[^>]*\?>/, '')}`;
    const res = await t.app.inject({
      method: 'POST',
      url: `${x.SERVICES}/registry`,
      headers: { 'content-type': 'application/soap+xml' },
      payload: doctype,
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('XML_DOCTYPE_FORBIDDEN');
    expect(res.body).not.toContain('root:');
    const invalid = query(await x.vihf(t, GP)).replace(/<query:ResponseOption[^>]*\/>/, '');
    const bad = await t.app.inject({
      method: 'POST',
      url: `${x.SERVICES}/registry`,
      headers: { 'content-type': 'application/soap+xml' },
      payload: invalid,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('XML_SCHEMA_INVALID');
  });

  it('the operator API registers, lists and revokes certificates; nobody else may', async () => {
    const op = await t.token({ kind: 'operator', id: 'ops-vihf' });
    const pro = await t.token(GP);
    const pem = OTHER.certificatePem;
    const headers = (token: string) => ({ authorization: `Bearer ${token}` });
    const denied = await t.app.inject({
      method: 'POST',
      url: '/admin/vihf-certificates',
      headers: headers(pro),
      payload: { structure: '1750400004', certificate: pem },
    });
    expect(denied.statusCode).toBe(403);
    const withKey = await t.app.inject({
      method: 'POST',
      url: '/admin/vihf-certificates',
      headers: headers(op),
      payload: { structure: '1750400004', certificate: `${pem}\n${OTHER.privateKeyPem}` },
    });
    expect(withKey.statusCode).toBe(400);
    expect(withKey.body).toContain('VIHF_CERT_PRIVATE_KEY');
    const added = await t.app.inject({
      method: 'POST',
      url: '/admin/vihf-certificates',
      headers: headers(op),
      payload: { structure: '1750400004', certificate: pem, label: 'DPI' },
    });
    expect(added.statusCode, added.body).toBe(201);
    const id = added.json<{ id: string }>().id;
    const accepted = await x.soap(t, 'registry', query(signed(OTHER, { structure: '1750400004' })));
    expect(accepted.status, accepted.text).toBe(200);
    const list = await t.app.inject({
      method: 'GET',
      url: '/admin/vihf-certificates?structure=1750400004',
      headers: headers(op),
    });
    expect(list.json<{ id: string; revokedAt: string | null }[]>()).toMatchObject([
      { id, revokedAt: null },
    ]);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/admin/vihf-certificates/${id}`,
      headers: headers(op),
    });
    expect(revoke.statusCode).toBe(204);
    const out = await refused(query(signed(OTHER, { structure: '1750400004' })));
    expect(out.code).toBe('VIHF_CERTIFICATE_REVOKED');
  });
});
