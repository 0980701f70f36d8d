/**
 * Issue 17 rule 12 over HTTP, with real OpenID Connect issuers (their JWKS served on a loopback port): each issuer
 * asserts only the actor kinds its OPENDMP_OIDC_ISSUERS entry names; a patient or representative login needs a
 * second factor; a professional's authentication strength is recorded in the traces. Refusals are 401 with a
 * stable code, traced as authentication failures. Before, any configured issuer could assert any kind (an
 * operator token from Pro Santé Connect, a patient token with a password only).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OidcIssuerConfig } from '../../src/config.ts';
import { buildTestApp, OPERATOR, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';

const PSC = 'https://psc.test/auth/realms/esante-wallet';
const PATIENTS = 'https://patients.test/realms/mes';
const AUDIENCE = 'opendmp-api';
const TWO_FACTOR_ACR = 'https://patients.test/acr/two-factor';

const PSC_CLAIMS = {
  SubjectNameID: '899700427885',
  SubjectRole: ['10^1.2.250.1.213.1.1.5.5'],
  SubjectOrganizationID: '1750300000',
  given_name: 'KIT',
  family_name: 'DOC0042788',
};

describe('OpenID Connect issuers are bound to the actor kinds they may assert (issue 17 rule 12)', () => {
  let t: TestApp;
  let server: Server;
  let privateKey: CryptoKey;
  const ins = fx.nir('1840375123456');
  const records = `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(`${fx.TEST_SYSTEM}|${ins}`)}`;

  const sign = async (issuer: string, claims: Record<string, unknown>): Promise<string> =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(AUDIENCE)
      .setSubject('someone')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  const get = async (url: string, token: string, remoteAddress = '192.0.2.40') =>
    t.app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${token}` },
      remoteAddress,
    });
  const code = (body: string): unknown =>
    (JSON.parse(body) as { issue?: { details?: { coding?: { code?: string }[] } }[] }).issue?.[0]
      ?.details?.coding?.[0]?.code;
  const failures = async (reason: string): Promise<{ detail: { clientAddress: string } }[]> => {
    for (let i = 0; i < 100; i++) {
      const rows = await t.db.owner<{ detail: { clientAddress: string } }[]>`
        SELECT detail FROM system_audit_event WHERE action = 'auth.failure' AND reason_code = ${reason}`;
      if (rows.length > 0) {
        return rows;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return [];
  };

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwks = JSON.stringify({
      keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }],
    });
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    const entry = (issuer: string, more: Partial<OidcIssuerConfig>): OidcIssuerConfig => ({
      issuer,
      jwksUri,
      audience: AUDIENCE,
      kinds: [],
      secondFactorAcr: [],
      secondFactorAmr: ['mfa'],
      ...more,
    });
    t = await buildTestApp({
      oidcIssuers: [
        entry(PSC, { kinds: ['professional'] }),
        entry(PATIENTS, {
          kinds: ['patient', 'representative'],
          secondFactorAcr: [TWO_FACTOR_ACR],
          secondFactorAmr: ['otp', 'mfa'],
        }),
      ],
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: {
        authorization: `Bearer ${await t.token(OPERATOR)}`,
        'content-type': 'application/fhir+json',
      },
      payload: JSON.stringify(fx.patientBody(ins)),
    });
    expect(res.statusCode, res.body).toBe(201);
  });

  afterAll(async () => {
    await t.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('Pro Santé Connect authenticates a professional, and the trace records how strongly', async () => {
    const res = await get(records, await sign(PSC, { ...PSC_CLAIMS, acr: 'eidas3' }));
    // Authenticated; without an authorization on the record the search itself is refused (and traced).
    expect(res.statusCode, res.body).toBe(403);
    const [trace] = await t.db.owner<{ actor_kind: string; detail: Record<string, unknown> }[]>`
      SELECT actor_kind, detail FROM audit_event
      WHERE action = 'document.search' AND actor_id = ${PSC_CLAIMS.SubjectNameID} ORDER BY seq DESC LIMIT 1`;
    expect(trace?.actor_kind).toBe('professional');
    expect(trace?.detail['authStrength']).toBe('eidas3');
  });

  it('refuses an operator or a patient token from Pro Santé Connect (401 AUTH_TOKEN_KIND, traced)', async () => {
    const asOperator = await get(
      records,
      await sign(PSC, { kind: 'operator', id: 'intruder' }),
      '192.0.2.41',
    );
    expect(asOperator.statusCode).toBe(401);
    expect(code(asOperator.body)).toBe('AUTH_TOKEN_KIND');
    const asPatient = await get(records, await sign(PSC, { kind: 'patient', ins, amr: ['mfa'] }));
    expect(asPatient.statusCode).toBe(401);
    expect(code(asPatient.body)).toBe('AUTH_TOKEN_KIND');
    const traced = await failures('AUTH_TOKEN_KIND');
    expect(traced.map((r) => r.detail.clientAddress)).toContain('192.0.2.41');
  });

  it('refuses a professional token from the patients’ provider', async () => {
    const res = await get(records, await sign(PATIENTS, { ...PSC_CLAIMS, amr: ['mfa'] }));
    expect(res.statusCode).toBe(401);
    expect(code(res.body)).toBe('AUTH_TOKEN_KIND');
  });

  it('refuses a patient login without a second factor (401 AUTH_SECOND_FACTOR_REQUIRED, traced)', async () => {
    for (const claims of [
      { kind: 'patient', ins },
      { kind: 'patient', ins, amr: ['pwd'] },
      { kind: 'patient', ins, acr: 'https://patients.test/acr/password' },
      { kind: 'representative', ins, id: '284067505600131', amr: ['pwd'] },
    ]) {
      const res = await get(records, await sign(PATIENTS, claims), '192.0.2.42');
      expect(res.statusCode, JSON.stringify(claims)).toBe(401);
      expect(code(res.body)).toBe('AUTH_SECOND_FACTOR_REQUIRED');
    }
    const traced = await failures('AUTH_SECOND_FACTOR_REQUIRED');
    expect(traced.map((r) => r.detail.clientAddress)).toContain('192.0.2.42');
  });

  it('lets the patient in with a second factor, by amr or by acr', async () => {
    for (const extra of [{ amr: ['pwd', 'otp'] }, { acr: TWO_FACTOR_ACR }]) {
      const res = await get(records, await sign(PATIENTS, { kind: 'patient', ins, ...extra }));
      expect(res.statusCode, res.body).toBe(200);
    }
  });
});
