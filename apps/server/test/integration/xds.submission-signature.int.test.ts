/**
 * Issue 19 / ADR 0030: the XAdES signature of an ITI-41 submission set (IHE DSG: a signature document whose Manifest
 * references the SubmissionSet and each document by `urn:oid:<uniqueId>` with its digest; its SignedInfo signs the
 * Manifest and the XAdES SignedProperties). Checked as a client sees it: a valid signature by the structure's
 * registered certificate is accepted and the documents are found; a tampered document, a tampered signed Manifest,
 * an unregistered or revoked certificate, a wrapped or duplicated signature, and — when the operator requires one — a
 * missing signature are refused with a RegistryErrorList naming the XDS_SIGNATURE_* code, and nothing is written.
 * Signatures are made here with xml-crypto (no signed sample exists in the shared data).
 */
import fs from 'node:fs';
import { createHash, sign as rsaSign, X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMParser } from '@xmldom/xmldom';
import { C14nCanonicalizationWithComments, SignedXml } from 'xml-crypto';
import { loadConfig } from '../../src/config.ts';
import { demoVihfKey } from '../../src/http/auth/dev-vihf.ts';
import { XDS } from '../../src/xds/ebrim.ts';
import { ACTIONS } from '../../src/xds/soap.ts';
import { DSG } from '../../src/xds/submission-signature.ts';
import type { SigningKey } from '../../src/xds/vihf.ts';
import { addCertificate, revokeCertificate } from '../../src/xds/vihf-store.ts';
import { buildTestApp, OPERATOR, type TestApp } from '../helpers/app.ts';
import * as fx from './documents.fixtures.ts';
import * as x from './xds.fixtures.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/vihf/', import.meta.url));
const OTHER: SigningKey = {
  privateKeyPem: fs.readFileSync(`${FIXTURES}other.key.pem`, 'utf8'),
  certificatePem: fs.readFileSync(`${FIXTURES}other.cert.pem`, 'utf8'),
};
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const XADES = 'http://uri.etsi.org/01903/v1.3.2#';
const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
/** What DRIMbox (a public DMP client) writes: RSA-SHA1, SHA-1 digests, c14n 1.0 with comments, XAdES 1.1.1. */
const DRIMBOX = {
  signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  digest: 'http://www.w3.org/2000/09/xmldsig#sha1',
  hash: 'sha1',
  c14n: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
  xades: 'http://uri.etsi.org/01903/v1.1.1#',
};

interface Signed {
  readonly uniqueId: string;
  readonly bytes: Buffer;
}

/** An IHE DSG signature document over a SubmissionSet and its documents, signed with `key` (xml-crypto). */
function dsgSignature(
  key: SigningKey,
  ssUniqueId: string,
  docs: readonly Signed[],
  options: { manifestExtra?: string; objectExtra?: string; drimbox?: boolean } = {},
): string {
  const digestMethod = options.drimbox === true ? DRIMBOX.digest : SHA256;
  const hash = options.drimbox === true ? DRIMBOX.hash : 'sha256';
  const c14n = options.drimbox === true ? DRIMBOX.c14n : EXC;
  const xades = options.drimbox === true ? DRIMBOX.xades : XADES;
  const ref = (uri: string, digest: string): string =>
    `<ds:Reference URI="${uri}"><ds:DigestMethod Algorithm="${digestMethod}"/><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference>`;
  const manifest =
    `<ds:Manifest xmlns:ds="${DS}" Id="IHEManifest">` +
    ref(`urn:oid:${ssUniqueId}`, 'AA==') +
    docs
      .map((d) => ref(`urn:oid:${d.uniqueId}`, createHash(hash).update(d.bytes).digest('base64')))
      .join('') +
    (options.manifestExtra ?? '') +
    `</ds:Manifest>`;
  const der = new X509Certificate(key.certificatePem).raw;
  const props =
    `<xades:QualifyingProperties xmlns:xades="${xades}" Target="#sig"><xades:SignedProperties Id="S0-SignedProperties">` +
    `<xades:SignedSignatureProperties><xades:SigningTime>2026-12-07T10:00:00Z</xades:SigningTime>` +
    `<xades:SigningCertificate><xades:Cert><xades:CertDigest><ds:DigestMethod xmlns:ds="${DS}" Algorithm="${digestMethod}"/>` +
    `<ds:DigestValue xmlns:ds="${DS}">${createHash(hash).update(der).digest('base64')}</ds:DigestValue></xades:CertDigest></xades:Cert></xades:SigningCertificate>` +
    `<xades:SignaturePolicyIdentifier><xades:SignaturePolicyImplied/></xades:SignaturePolicyIdentifier>` +
    `</xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties>`;
  const sig = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    signatureAlgorithm:
      options.drimbox === true
        ? DRIMBOX.signature
        : 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: c14n,
    objects: [
      { content: manifest },
      { content: props },
      ...(options.objectExtra !== undefined ? [{ content: options.objectExtra }] : []),
    ],
  });
  sig.addReference({
    xpath: "//*[@Id='IHEManifest']",
    transforms: [c14n],
    digestAlgorithm: digestMethod,
    type: DSG.manifestType,
  });
  sig.addReference({
    xpath: "//*[@Id='S0-SignedProperties']",
    transforms: [c14n],
    digestAlgorithm: digestMethod,
  });
  sig.computeSignature('<root/>', { prefix: 'ds', attrs: { Id: 'sig' } });
  return sig.getSignatureXml();
}

/** A document as DRIMbox sends a CDA: its c14n with comments (another implementation than the server's libxml2). */
function canonicalCda(bytes: Buffer): Buffer {
  const doc = new DOMParser().parseFromString(bytes.toString('utf8'), 'text/xml');
  return Buffer.from(
    new C14nCanonicalizationWithComments().process(doc.documentElement as unknown as Node, {}),
    'utf8',
  );
}

/**
 * A signature document written the way DRIMbox's XadesSign writes one (read, not copied): `ds` as the default
 * namespace, RSA-SHA1 over SignedInfo canonicalized with c14n 1.0 with comments, SHA-1 digests, References of
 * SignedInfo without transforms, a SignatureProperties object, XAdES 1.1.1 with its CertDigest's DigestMethod in the
 * XAdES namespace, the SubmissionSet's Reference with the placeholder digest `AA==`, each CDA referenced with a c14n
 * transform and the SHA-1 of its bytes (already canonical). Each digested element is written in its canonical form
 * (its in-scope namespaces declared on it), so that its c14n is its text here.
 */
function drimboxSignature(key: SigningKey, ssUniqueId: string, docs: readonly Signed[]): string {
  const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('base64');
  const ref = (uri: string, digest: string, type = '', transform = ''): string =>
    `<Reference${type === '' ? '' : ` Type="${type}"`} URI="${uri}">` +
    (transform === ''
      ? ''
      : `<Transforms><Transform Algorithm="${transform}"></Transform></Transforms>`) +
    `<DigestMethod Algorithm="${DRIMBOX.digest}"></DigestMethod><DigestValue>${digest}</DigestValue></Reference>`;
  const xsi = 'http://www.w3.org/2001/XMLSchema-instance';
  const manifest =
    `<Manifest xmlns="${DS}" xmlns:xsi="${xsi}" Id="IHEManifest" xsi:schemaLocation="${DS} schema.xsd">` +
    ref(`urn:oid:${ssUniqueId}`, 'AA==') +
    docs.map((d) => ref(`urn:oid:${d.uniqueId}`, sha1(d.bytes), '', DRIMBOX.c14n)).join('') +
    `</Manifest>`;
  const cert = new X509Certificate(key.certificatePem);
  const props =
    `<SignedProperties xmlns="${DRIMBOX.xades}" xmlns:xsi="${xsi}" Id="S0-SignedProperties" xsi:schemaLocation="${DRIMBOX.xades} schema.xsd">` +
    `<SignedSignatureProperties><SigningTime>2026-12-07T10:00:00.000+01:00</SigningTime><SigningCertificate><Cert>` +
    `<CertDigest><DigestMethod Algorithm="${DRIMBOX.digest}"></DigestMethod><DigestValue>${sha1(cert.raw)}</DigestValue></CertDigest>` +
    `<IssuerSerial><X509IssuerName xmlns="${DS}">${cert.issuer.replace(/\n/g, ', ')}</X509IssuerName>` +
    `<X509SerialNumber xmlns="${DS}">${BigInt(`0x${cert.serialNumber}`).toString()}</X509SerialNumber></IssuerSerial>` +
    `</Cert></SigningCertificate><SignaturePolicyIdentifier><SignaturePolicyImplied></SignaturePolicyImplied></SignaturePolicyIdentifier>` +
    `</SignedSignatureProperties><SignedDataObjectProperties></SignedDataObjectProperties></SignedProperties>`;
  const signedInfo =
    `<SignedInfo xmlns="${DS}"><CanonicalizationMethod Algorithm="${DRIMBOX.c14n}"></CanonicalizationMethod>` +
    `<SignatureMethod Algorithm="${DRIMBOX.signature}"></SignatureMethod>` +
    ref('#IHEManifest', sha1(manifest), DSG.manifestType) +
    ref('#S0-SignedProperties', sha1(props), `${DRIMBOX.xades}SignedProperties`) +
    `</SignedInfo>`;
  const value = rsaSign('sha1', Buffer.from(signedInfo, 'utf8'), key.privateKeyPem).toString(
    'base64',
  );
  const der = cert.raw.toString('base64');
  return (
    `<Signature xmlns="${DS}" Id="Signature01">${signedInfo}<SignatureValue>${value}</SignatureValue>` +
    `<KeyInfo><X509Data><X509Certificate>${der}</X509Certificate></X509Data></KeyInfo>` +
    `<Object><SignatureProperties><SignatureProperty Id="purposeOfSignature" Target="#Signature01">1.2.840.10065.1.12.1.14</SignatureProperty></SignatureProperties></Object>` +
    `<Object>${manifest}</Object>` +
    `<Object><QualifyingProperties xmlns="${DRIMBOX.xades}" Target="#Signature01">${props}</QualifyingProperties></Object>` +
    `</Signature>`
  );
}

/** The DocumentEntry of a signature document (DSG classCode and formatCode), in the SubmissionSet's patient. */
function signatureEntry(id: string, patient: string): string {
  const code = (scheme: string, value: string, n: number): string =>
    `<rim:Classification classificationScheme="${scheme}" classifiedObject="${id}" nodeRepresentation="${value}" id="${id}-c${String(n)}" objectType="${XDS.classificationType}">` +
    `<rim:Slot name="codingScheme"><rim:ValueList><rim:Value>URN</rim:Value></rim:ValueList></rim:Slot></rim:Classification>`;
  return (
    `<rim:ExtrinsicObject id="${id}" mimeType="text/xml" objectType="${XDS.documentEntry}">` +
    code(XDS.classCode, DSG.classCode, 1) +
    code(XDS.formatCode, DSG.formatCode, 2) +
    `<rim:ExternalIdentifier identificationScheme="${XDS.docPatientId}" value="${patient}" id="${id}-e1" registryObject="${id}" objectType="${XDS.externalIdentifierType}"/>` +
    `<rim:ExternalIdentifier identificationScheme="${XDS.docUniqueId}" value="${fx.freshOid()}" id="${id}-e2" registryObject="${id}" objectType="${XDS.externalIdentifierType}"/>` +
    `</rim:ExtrinsicObject>`
  );
}

describe('ITI-41: the submission set’s XAdES signature', () => {
  let t: TestApp;
  const ins = fx.nir('2850575123459');
  let patientId = '';

  async function setUp(require: boolean, refuseSha1 = false): Promise<TestApp> {
    const app = await buildTestApp({
      quotas: { ...loadConfig({}).quotas, publicRequestsPerMinute: 0 },
      ...(require && { xdsRequireSubmissionSignature: true }),
      ...(refuseSha1 && { xdsRefuseSha1Signatures: true }),
    });
    const operator = await app.token(OPERATOR);
    const res = await app.app.inject({
      method: 'POST',
      url: '/fhir/Patient',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/fhir+json' },
      payload: fx.patientBody(ins),
    });
    expect(res.statusCode).toBe(201);
    patientId = String(res.json<Record<string, unknown>>()['id']);
    return app;
  }

  beforeAll(async () => {
    t = await setUp(false);
  });
  afterAll(async () => {
    await t.close();
  });

  /** A fresh CDA of the record. */
  function document(): { bytes: Buffer; meta: ReturnType<typeof x.metadataOf> } {
    const bytes = Buffer.from(
      fx.rewriteDocumentId(fx.rewriteIns(fx.readExample(x.EXAMPLE), ins), fx.freshOid()),
    );
    return { bytes, meta: x.metadataOf(bytes) };
  }

  /**
   * Sends an ITI-41 of `docs` with a signature document made by `sign` from the SubmissionSet's uniqueId (none when
   * `sign` is undefined); `sent` may change the documents' bytes after signing.
   */
  async function deposit(
    app: TestApp,
    docs: readonly { bytes: Buffer; meta: ReturnType<typeof x.metadataOf> }[],
    sign: ((ssUniqueId: string) => string | string[]) | undefined,
    sent: (bytes: Buffer, i: number) => Buffer = (b) => b,
  ): Promise<{ errors: { codeContext: string }[]; status: string }> {
    const body = x.pnrBody(
      docs.map((d, i) => ({ ...d, bytes: sent(d.bytes, i) })),
      false,
    ).xml;
    const ssUniqueId = new RegExp(`identificationScheme="${XDS.ssUniqueId}" value="([^"]+)"`).exec(
      body,
    )?.[1] as string;
    const patient = `${ins}^^^&amp;${fx.TEST_OID}&amp;ISO`;
    const signatures = sign ? [sign(ssUniqueId)].flat() : [];
    const entries = signatures.map((_, i) => signatureEntry(`Signature0${String(i + 1)}`, patient));
    const associations = signatures.map(
      (_, i) =>
        `<rim:Association associationType="${XDS.hasMember}" sourceObject="SubmissionSet01" targetObject="Signature0${String(i + 1)}" id="as-sig-${String(i)}" objectType="${XDS.associationObjectType}">` +
        `<rim:Slot name="SubmissionSetStatus"><rim:ValueList><rim:Value>Original</rim:Value></rim:ValueList></rim:Slot></rim:Association>` +
        `<rim:Association associationType="${XDS.signs}" sourceObject="Signature0${String(i + 1)}" targetObject="SubmissionSet01" id="as-signs-${String(i)}" objectType="${XDS.associationObjectType}"/>`,
    );
    const contents = signatures.map(
      (s, i) =>
        `<xdsb:Document id="Signature0${String(i + 1)}">${Buffer.from(s).toString('base64')}</xdsb:Document>`,
    );
    const xml = body
      .replace(
        '</rim:RegistryObjectList>',
        `${entries.join('')}${associations.join('')}</rim:RegistryObjectList>`,
      )
      .replace(
        '</xdsb:ProvideAndRegisterDocumentSetRequest>',
        `${contents.join('')}</xdsb:ProvideAndRegisterDocumentSetRequest>`,
      );
    const answer = await x.soap(
      app,
      'repository',
      x.envelope(ACTIONS['ITI-41'].request, await x.vihf(app, x.GP), xml),
    );
    return x.registryOutcome(answer.root);
  }

  async function stored(app: TestApp, uniqueIds: readonly string[]): Promise<number> {
    // By uniqueId alone (fresh OIDs): patientId is that of the last application set up.
    const [row] = await app.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM document
      WHERE unique_id = ANY(${uniqueIds as string[]})`;
    return row?.n ?? 0;
  }

  const codes = (o: { errors: { codeContext: string }[] }): string[] =>
    o.errors.map((e) => e.codeContext.split(':')[0] ?? '');

  it('a submission signed by its structure’s registered certificate is accepted; its documents are stored, not the signature', async () => {
    const docs = [document(), document()];
    const outcome = await deposit(t, docs, (ss) =>
      dsgSignature(
        demoVihfKey(),
        ss,
        docs.map((d) => ({ uniqueId: d.meta.uniqueId, bytes: d.bytes })),
      ),
    );
    expect(outcome).toMatchObject({ errors: [] });
    expect(
      await stored(
        t,
        docs.map((d) => d.meta.uniqueId),
      ),
    ).toBe(2);
    // The record holds these two documents only (the first deposit of the file): the signature is not deposited.
    const [all] = await t.db.owner<{ n: number }[]>`SELECT count(*)::int AS n FROM document
      WHERE patient_id = ${patientId}`;
    expect(all?.n).toBe(2);
  });

  it.each<
    [
      string,
      (docs: Signed[], ss: string) => string | string[],
      ((b: Buffer, i: number) => Buffer) | undefined,
      string,
    ]
  >([
    [
      'a document changed after signing',
      (docs, ss) => dsgSignature(demoVihfKey(), ss, docs),
      (b, i) =>
        i === 1
          ? Buffer.from(
              b.toString('utf8').replace('</ClinicalDocument>', '<!-- x --></ClinicalDocument>'),
            )
          : b,
      'XDS_SIGNATURE_INVALID',
    ],
    [
      'the signed Manifest changed (a reference’s digest replaced)',
      (docs, ss) =>
        dsgSignature(demoVihfKey(), ss, docs).replace(
          createHash('sha256')
            .update((docs[0] as Signed).bytes)
            .digest('base64'),
          createHash('sha256').update('something else').digest('base64'),
        ),
      undefined,
      'XDS_SIGNATURE_INVALID',
    ],
    [
      'a signature of another submission (another SubmissionSet uniqueId)',
      (docs) => dsgSignature(demoVihfKey(), fx.freshOid(), docs),
      undefined,
      'XDS_SIGNATURE_REFERENCES',
    ],
    [
      'a signature that leaves a document out',
      (docs, ss) => dsgSignature(demoVihfKey(), ss, docs.slice(0, 1)),
      undefined,
      'XDS_SIGNATURE_REFERENCES',
    ],
    [
      'a certificate not registered for the structure',
      (docs, ss) => dsgSignature(OTHER, ss, docs),
      undefined,
      'XDS_SIGNATURE_CERTIFICATE_UNKNOWN',
    ],
    [
      'a second Manifest (wrapping: the signed one kept, another to be read)',
      (docs, ss) =>
        dsgSignature(demoVihfKey(), ss, docs, {
          objectExtra: `<ds:Manifest xmlns:ds="${DS}" Id="Other"/>`,
        }),
      undefined,
      'XDS_SIGNATURE_WRAPPED',
    ],
    [
      'an element with the Manifest’s Id elsewhere (wrapping)',
      (docs, ss) =>
        dsgSignature(demoVihfKey(), ss, docs, {
          objectExtra: `<Data xmlns="urn:x" Id="IHEManifest"/>`,
        }),
      undefined,
      'XDS_SIGNATURE_WRAPPED',
    ],
    [
      'two signature documents',
      (docs, ss) => [dsgSignature(demoVihfKey(), ss, docs), dsgSignature(demoVihfKey(), ss, docs)],
      undefined,
      'XDS_SIGNATURE_DUPLICATE',
    ],
  ])('refused, nothing written: %s', async (_, sign, sent, code) => {
    const docs = [document(), document()];
    const signed = docs.map((d) => ({ uniqueId: d.meta.uniqueId, bytes: d.bytes }));
    const outcome = await deposit(t, docs, (ss) => sign(signed, ss), sent);
    expect(outcome.status).toMatch(/Failure$/);
    expect(codes(outcome)).toEqual([code]);
    expect(
      await stored(
        t,
        docs.map((d) => d.meta.uniqueId),
      ),
    ).toBe(0);
  });

  it('a revoked certificate is refused, nothing written', async () => {
    const row = await addCertificate(t.deps.sql, {
      structure: x.GP.structure,
      pem: OTHER.certificatePem,
      by: 'test',
      at: new Date(),
    });
    const docs = [document()];
    const sign = (ss: string): string =>
      dsgSignature(OTHER, ss, [
        { uniqueId: docs[0]?.meta.uniqueId ?? '', bytes: docs[0]?.bytes ?? Buffer.alloc(0) },
      ]);
    expect(await revokeCertificate(t.deps.sql, row.id, 'test', new Date())).toBe(true);
    const outcome = await deposit(t, docs, sign);
    expect(codes(outcome)).toEqual(['XDS_SIGNATURE_CERTIFICATE_REVOKED']);
    expect(await stored(t, [docs[0]?.meta.uniqueId ?? ''])).toBe(0);
  });

  it('a submission without signature is accepted, unless the operator requires one (OPENDMP_XDS_REQUIRE_SUBMISSION_SIGNATURE)', async () => {
    const free = [document()];
    expect(await deposit(t, free, undefined)).toMatchObject({ errors: [] });
    expect(
      loadConfig({ OPENDMP_XDS_REQUIRE_SUBMISSION_SIGNATURE: '1' }).xdsRequireSubmissionSignature,
    ).toBe(true);
    const strict = await setUp(true);
    try {
      const docs = [document()];
      const outcome = await deposit(strict, docs, undefined);
      expect(codes(outcome)).toEqual(['XDS_SIGNATURE_REQUIRED']);
      expect(await stored(strict, [docs[0]?.meta.uniqueId ?? ''])).toBe(0);
      const signed = await deposit(strict, docs, (ss) =>
        dsgSignature(demoVihfKey(), ss, [
          { uniqueId: docs[0]?.meta.uniqueId ?? '', bytes: docs[0]?.bytes ?? Buffer.alloc(0) },
        ]),
      );
      expect(signed).toMatchObject({ errors: [] });
      expect(await stored(strict, [docs[0]?.meta.uniqueId ?? ''])).toBe(1);
    } finally {
      await strict.close();
    }
  });

  it('a signature document written as DRIMbox writes one is accepted (default namespace, c14n with comments, RSA-SHA1, XAdES 1.1.1)', async () => {
    const docs = [document(), document()].map((d) => {
      const bytes = canonicalCda(d.bytes);
      return { bytes, meta: x.metadataOf(bytes) };
    });
    const outcome = await deposit(t, docs, (ss) =>
      drimboxSignature(
        demoVihfKey(),
        ss,
        docs.map((d) => ({ uniqueId: d.meta.uniqueId, bytes: d.bytes })),
      ),
    );
    expect(outcome).toMatchObject({ errors: [] });
    expect(
      await stored(
        t,
        docs.map((d) => d.meta.uniqueId),
      ),
    ).toBe(2);
  });

  it('a submission set signed with SHA-1 as DRIMbox signs it is accepted, unless the operator refuses SHA-1 (OPENDMP_XDS_REFUSE_SHA1_SIGNATURES, ADR 0034)', async () => {
    const sign =
      (docs: { bytes: Buffer; meta: ReturnType<typeof x.metadataOf> }[]) =>
      (ss: string): string =>
        dsgSignature(
          demoVihfKey(),
          ss,
          docs.map((d) => ({ uniqueId: d.meta.uniqueId, bytes: d.bytes })),
          { drimbox: true },
        );
    const docs = [document(), document()];
    const accepted = await deposit(t, docs, sign(docs));
    expect(accepted).toMatchObject({ errors: [] });
    expect(
      await stored(
        t,
        docs.map((d) => d.meta.uniqueId),
      ),
    ).toBe(2);
    // Still verified: a document changed after a SHA-1 signing is refused.
    const changed = [document()];
    const tampered = await deposit(t, changed, sign(changed), (b) =>
      Buffer.from(
        b.toString('utf8').replace('</ClinicalDocument>', '<!-- x --></ClinicalDocument>'),
      ),
    );
    expect(codes(tampered)).toEqual(['XDS_SIGNATURE_INVALID']);
    expect(loadConfig({}).xdsRefuseSha1Signatures).toBe(false);
    expect(loadConfig({ OPENDMP_XDS_REFUSE_SHA1_SIGNATURES: '1' }).xdsRefuseSha1Signatures).toBe(
      true,
    );
    const strict = await setUp(false, true);
    try {
      const refused = [document()];
      const outcome = await deposit(strict, refused, sign(refused));
      expect(codes(outcome)).toEqual(['XDS_SIGNATURE_PROFILE']);
      expect(await stored(strict, [refused[0]?.meta.uniqueId ?? ''])).toBe(0);
      // SHA-256 still accepted there.
      const modern = [document()];
      const signed = await deposit(strict, modern, (ss) =>
        dsgSignature(
          demoVihfKey(),
          ss,
          modern.map((d) => ({ uniqueId: d.meta.uniqueId, bytes: d.bytes })),
        ),
      );
      expect(signed).toMatchObject({ errors: [] });
    } finally {
      await strict.close();
    }
  });
});
