/**
 * Issue 19: "DMP-compatible software connects unchanged". DRIMbox (github.com/ansforge/DRIM-M_DRIMbox, the ANS's
 * public DMP client) builds its VIHF with OpenSAML (Backend/…/dmp/vihf/VIHF.java, BaseRequest.java); read, not
 * copied, its assertion differs from the development route's in ways a registry must accept:
 * - its ID is a bare UUID (`UUID.randomUUID().toString()`), which starts with a digit ten times out of sixteen;
 * - it has no saml2:Conditions: its validity is its IssueInstant (the client builds a new one for each request);
 * - AuthnStatement with the TLS client class and, in INDIRECTE_RENFORCEE ("AIR") mode, an AuthnContextDecl;
 * - the sector as text `SA07^1.2.250.1.71.4.2.4`, the resource-id as an HL7 CX, roles from the RPPS (profession
 *   1.2.250.1.71.1.2.7, savoir-faire 1.2.250.1.71.4.2.5) and PurposeOfUse `normal` with codeSystemName and
 *   displayName, AttributeValues without xsi:type, the simple attributes in its enum's order;
 * - signed RSA-SHA1 with a SHA-1 digest and exclusive c14n, the certificate in KeyInfo.
 * The assertion below is written here from that reading, field by field, and signed with the demo structure's key.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { demoVihfKey } from '../../src/http/auth/dev-vihf.ts';
import { STORED_QUERY } from '../../src/http/xds/registry.ts';
import { certificateSubject, signAssertion } from '../../src/xds/vihf.ts';
import { parseXml } from '../../src/xds/xml.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

const STRUCTURE = '1750300000';
const ID_NAT_PS = '899700366240';

interface DrimboxVihf {
  readonly id?: string;
  readonly issued: Date;
  readonly authMode?: 'INDIRECTE_RENFORCEE' | 'INDIRECTE';
  readonly ins: string;
}

/** A VIHF shaped as DRIMbox's OpenSAML code writes it (see the head of this file). */
function drimboxAssertion(v: DrimboxVihf): string {
  const key = demoVihfKey();
  const at = v.issued.toISOString();
  const authMode = v.authMode ?? 'INDIRECTE_RENFORCEE';
  const simple = (name: string, value: string): string =>
    `<saml2:Attribute Name="${name}"><saml2:AttributeValue>${value}</saml2:AttributeValue></saml2:Attribute>`;
  const coded = (name: string, tag: string, values: readonly string[][]): string =>
    `<saml2:Attribute Name="${name}">${values
      .map(
        ([code, system, systemName, display]) =>
          `<saml2:AttributeValue><${tag} xmlns="urn:hl7-org:v3" code="${code ?? ''}" codeSystem="${system ?? ''}" codeSystemName="${systemName ?? ''}" displayName="${display ?? ''}" xsi:type="CE"/></saml2:AttributeValue>`,
      )
      .join('')}</saml2:Attribute>`;
  const xml =
    `<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="${v.id ?? randomUUID()}" IssueInstant="${at}" Version="2.0">` +
    `<saml2:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">${certificateSubject(key.certificatePem)}</saml2:Issuer>` +
    `<saml2:Subject><saml2:NameID>${ID_NAT_PS}</saml2:NameID></saml2:Subject>` +
    `<saml2:AuthnStatement AuthnInstant="${at}"><saml2:AuthnContext>` +
    `<saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient</saml2:AuthnContextClassRef>` +
    (authMode === 'INDIRECTE_RENFORCEE'
      ? '<saml2:AuthnContextDecl>APP_BROWSER_AUTH</saml2:AuthnContextDecl>'
      : '') +
    `</saml2:AuthnContext></saml2:AuthnStatement>` +
    `<saml2:AttributeStatement>` +
    simple('VIHF_Version', '3.0') +
    simple('Secteur_Activite', 'SA07^1.2.250.1.71.4.2.4') +
    simple('Ressource_URN', 'urn:dmp') +
    simple('urn:oasis:names:tc:xspa:1.0:subject:subject-id', 'Jean MEDECIN') +
    simple('Identifiant_Structure', STRUCTURE) +
    simple('LPS_ID', '01.12.12') +
    simple('LPS_Nom', 'DRIMbox') +
    simple('LPS_ID_HOMOLOGATION_DMP', 'BCO-465897-tmp2') +
    simple('LPS_Version', '1.0') +
    simple(
      'urn:oasis:names:tc:xacml:2.0:resource:resource-id',
      `${v.ins}^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH`,
    ) +
    simple('Authentification_Mode', authMode) +
    coded('urn:oasis:names:tc:xspa:1.0:subject:purposeofuse', 'PurposeOfUse', [
      ['normal', '1.2.250.1.213.1.1.4.248', 'mode acces VIHF 1.0', 'Acces normal'],
    ]) +
    coded('urn:oasis:names:tc:xacml:2.0:subject:role', 'Role', [
      ['10', '1.2.250.1.71.1.2.7', 'professions', 'Medecin'],
      ['SM26', '1.2.250.1.71.4.2.5', 'specialites RPPS', 'Qualifie en Medecine Generale'],
    ]) +
    `</saml2:AttributeStatement></saml2:Assertion>`;
  return signAssertion(xml, key, { sha1: true });
}

describe('a VIHF as DRIMbox writes it (issue 19: DMP-compatible software connects unchanged)', () => {
  let t: TestApp;
  const ins = fx.nir('1850575123457');
  let address = 0;

  beforeAll(async () => {
    t = await buildTestApp({ quotas: { ...loadConfig({}).quotas, authFailuresPerMinute: 0 } });
    // The demo certificate registered for the structure (the development route registers it on first use).
    await x.vihf(t, {
      kind: 'professional',
      idNatPs: ID_NAT_PS,
      profession: '10',
      structure: STRUCTURE,
      sector: 'SA07',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  async function send(assertion: string): Promise<{ status: number; fault?: string }> {
    const res = await t.app.inject({
      method: 'POST',
      url: `${x.SERVICES}/registry`,
      headers: { 'content-type': 'application/soap+xml' },
      payload: x.iti18(assertion, STORED_QUERY.FindDocuments, {
        $XDSDocumentEntryPatientId: `'${ins}^^^&amp;${fx.TEST_OID}&amp;ISO'`,
        $XDSDocumentEntryStatus: "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')",
      }),
      remoteAddress: `192.0.2.${String(++address)}`,
    });
    const fault = x.faultOf(parseXml(res.rawPayload));
    return { status: res.statusCode, ...(fault && { fault: fault.code }) };
  }

  it('accepts it, with an ID that starts with a digit and no Conditions, in both indirect modes', async () => {
    for (const authMode of ['INDIRECTE_RENFORCEE', 'INDIRECTE'] as const) {
      const id = `${String(address % 10)}${randomUUID().slice(1)}`;
      const out = await send(drimboxAssertion({ id, issued: t.clock.now(), authMode, ins }));
      expect(out, authMode).toEqual({ status: 200 });
    }
  });

  it('records the software (LPS_ID), its homologation number and the authentication mode in the trace', async () => {
    const id = randomUUID();
    expect(await send(drimboxAssertion({ id, issued: t.clock.now(), ins }))).toEqual({
      status: 200,
    });
    const rows = await t.db.owner<{ actor_id: string; detail: Record<string, unknown> }[]>`
      SELECT actor_id, detail FROM system_audit_event
      WHERE actor_id = ${ID_NAT_PS} ORDER BY recorded_at DESC LIMIT 20`;
    const rowsRecord = await t.db.owner<{ actor_id: string; detail: Record<string, unknown> }[]>`
      SELECT actor_id, detail FROM audit_event
      WHERE actor_id = ${ID_NAT_PS} ORDER BY recorded_at DESC LIMIT 20`;
    // The search of a record that does not exist is traced on the system chain, as the FHIR one is.
    const details = [...rows, ...rowsRecord].map((r) => r.detail);
    expect(details[0]).toMatchObject({
      channel: 'soap',
      software: '01.12.12',
      homologation: 'BCO-465897-tmp2',
      authStrength: 'VIHF:INDIRECTE_RENFORCEE',
    });
  });

  it('keeps it to its time: refused once its IssueInstant is older than the window, or ahead of the clock', async () => {
    const now = t.clock.now().getTime();
    expect(await send(drimboxAssertion({ issued: new Date(now - 3600_000), ins }))).toEqual({
      status: expect.any(Number) as number,
      fault: 'VIHF_EXPIRED',
    });
    expect(await send(drimboxAssertion({ issued: new Date(now + 600_000), ins }))).toEqual({
      status: expect.any(Number) as number,
      fault: 'VIHF_NOT_YET_VALID',
    });
  });

  it('is single use like any VIHF', async () => {
    const assertion = drimboxAssertion({ issued: t.clock.now(), ins });
    expect(await send(assertion)).toEqual({ status: 200 });
    expect(await send(assertion)).toMatchObject({ fault: 'VIHF_REPLAYED' });
  });
});
