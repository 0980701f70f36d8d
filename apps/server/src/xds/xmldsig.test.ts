import fs from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { XmlDocument } from 'libxml2-wasm';
import { SignedXml } from 'xml-crypto';
import { describe, expect, it } from 'vitest';
import { demoVihfKey } from '../http/auth/dev-vihf.ts';
import { buildAssertion, certificateSubject, signAssertion } from './vihf.ts';
import { captureAssertion, SignatureCheckFailure, verifyAssertionSignature } from './xmldsig.ts';
import { NS, parseXml, type XElement } from './xml.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/vihf/', import.meta.url));
const demo = demoVihfKey();
const demoKey = new X509Certificate(demo.certificatePem).publicKey;
const otherKey = new X509Certificate(fs.readFileSync(`${FIXTURES}other.cert.pem`, 'utf8'))
  .publicKey;

function signed(idNatPs = '899700366240', sha1 = false): string {
  const now = new Date();
  return signAssertion(
    buildAssertion(
      { idNatPs, profession: '10', structure: '1750300000' },
      certificateSubject(demo.certificatePem),
      '_a1b2c3',
      now,
      new Date(now.getTime() + 3600_000),
    ),
    demo,
    { sha1 },
  );
}

/** The assertion at its place in a SOAP 1.2 envelope (extra: more header content after the Security). */
function envelope(assertion: string, extra = '', envelopeNs = ''): string {
  return (
    `<soap:Envelope xmlns:soap="${NS.soap12}"${envelopeNs}><soap:Header>` +
    `<wsse:Security xmlns:wsse="${NS.wsse}">${assertion}</wsse:Security>${extra}</soap:Header>` +
    `<soap:Body><x:Any xmlns:x="urn:x"/></soap:Body></soap:Envelope>`
  );
}

function capture(xml: string): string | undefined {
  const doc = XmlDocument.fromString(xml);
  try {
    return captureAssertion(doc);
  } finally {
    doc.dispose();
  }
}

function refusal(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof SignatureCheckFailure ? 'refused' : String(e);
  }
  return undefined;
}

describe('VIHF XML-DSig (libxml2 exclusive c14n + node:crypto)', () => {
  it('verifies an assertion signed by xml-crypto and returns the signed text, without its Signature', () => {
    const captured = capture(envelope(signed()));
    expect(captured).toBeDefined();
    const out = verifyAssertionSignature(captured as string, [otherKey, demoKey]);
    expect(out.keyIndex).toBe(1);
    expect(out.signed).toContain('>899700366240<');
    expect(out.signed).not.toContain('Signature');
  });

  it('returns the tree of the document it digested — the canonical text as a reparse reads it, CDATA as its text (one parse)', () => {
    const now = new Date();
    const unsigned = buildAssertion(
      { idNatPs: '899700366240', profession: '10', structure: '1750300000' },
      certificateSubject(demo.certificatePem),
      '_cdata1',
      now,
      new Date(now.getTime() + 3600_000),
    ).replace('>899700366240<', '><![CDATA[899700366240]]><!-- a comment --><');
    expect(unsigned).toContain('CDATA');
    const out = verifyAssertionSignature(
      capture(envelope(signAssertion(unsigned, demo))) as string,
      [demoKey],
    );
    const withoutLines = (e: XElement): unknown => ({
      ...e,
      line: 0,
      children: e.children.map(withoutLines),
    });
    expect(withoutLines(out.tree)).toEqual(withoutLines(parseXml(Buffer.from(out.signed, 'utf8'))));
    expect(JSON.stringify(out.tree)).toContain('"text":"899700366240"');
    expect(out.tree.children.map((c) => c.name)).not.toContain('Signature');
  });

  it('verifies an assertion whose namespace is declared on the envelope (written out with its in-scope namespaces)', () => {
    const assertion = signed().replace(` xmlns:saml2="${NS.saml2}"`, '');
    expect(assertion).not.toContain(`xmlns:saml2=`);
    const captured = capture(envelope(assertion, '', ` xmlns:saml2="${NS.saml2}"`));
    expect(verifyAssertionSignature(captured as string, [demoKey]).signed).toContain(
      '>899700366240<',
    );
  });

  it('honours InclusiveNamespaces PrefixList, the namespace declared on the envelope only', () => {
    const now = new Date();
    const unsigned = buildAssertion(
      { idNatPs: '899700366240', profession: '10', structure: '1750300000' },
      certificateSubject(demo.certificatePem),
      '_p1',
      now,
      new Date(now.getTime() + 3600_000),
    ).replace('<saml2:Assertion ', '<saml2:Assertion xmlns:foo="urn:foo" ');
    const signer = new SignedXml({
      privateKey: demo.privateKeyPem,
      publicCert: demo.certificatePem,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    signer.addReference({
      xpath: "/*[local-name(.)='Assertion']",
      transforms: [
        'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
        'http://www.w3.org/2001/10/xml-exc-c14n#',
      ],
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      inclusiveNamespacesPrefixList: ['foo'],
    });
    signer.computeSignature(unsigned, { prefix: 'ds' });
    const assertion = signer.getSignedXml().replace(' xmlns:foo="urn:foo"', '');
    expect(assertion).toContain('PrefixList="foo"');
    const onEnvelope = capture(envelope(assertion, '', ' xmlns:foo="urn:foo"')) as string;
    expect(verifyAssertionSignature(onEnvelope, [demoKey]).signed).toContain('xmlns:foo="urn:foo"');
    // Without the namespace in scope, the digest differs: the PrefixList is what made it count.
    expect(
      refusal(() => verifyAssertionSignature(capture(envelope(assertion)) as string, [demoKey])),
    ).toBe('refused');
  });

  it('ignores comments (the profile canonicalizes without them)', () => {
    const assertion = signed().replace('<saml2:Subject>', '<!-- a comment --><saml2:Subject>');
    const out = verifyAssertionSignature(capture(envelope(assertion)) as string, [demoKey]);
    expect(out.signed).not.toContain('a comment');
  });

  it('refuses a tampered attribute, another key, and a signature lifted onto another assertion', () => {
    const real = signed();
    expect(
      refusal(() =>
        verifyAssertionSignature(
          capture(envelope(real.replace('code="10"', 'code="21"'))) as string,
          [demoKey],
        ),
      ),
    ).toBe('refused');
    expect(
      refusal(() => verifyAssertionSignature(capture(envelope(real)) as string, [otherKey])),
    ).toBe('refused');
    // The signature of an assertion naming another professional, on a forged one with the same ID.
    const other = signed('899700000001');
    const lifted = real.replace(
      /<ds:Signature[\s\S]*<\/ds:Signature>/,
      /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(other)?.[0] ?? '',
    );
    expect(
      refusal(() => verifyAssertionSignature(capture(envelope(lifted)) as string, [demoKey])),
    ).toBe('refused');
  });

  it('checks the assertion at its place: a signed copy elsewhere (XSW) stands for nothing', () => {
    const real = signed();
    const forged = real.replace('>899700366240<', '>899700000001<');
    // The real, signed assertion (same ID) moved after the Security header, under another element.
    const xml = envelope(forged, `<x:Wrapper xmlns:x="urn:attacker">${real}</x:Wrapper>`);
    const captured = capture(xml) as string;
    expect(captured).toContain('>899700000001<');
    expect(refusal(() => verifyAssertionSignature(captured, [demoKey]))).toBe('refused');
  });

  it('verifies RSA-SHA1 with a SHA-1 digest (as DRIMbox signs its VIHF) unless SHA-1 is refused; a tampered one is refused (ADR 0034)', () => {
    const real = signed('899700366240', true);
    expect(real).toContain('Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"');
    expect(real).toContain('Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"');
    const captured = capture(envelope(real)) as string;
    expect(verifyAssertionSignature(captured, [demoKey]).signed).toContain('>899700366240<');
    expect(verifyAssertionSignature(captured, [demoKey], { sha1: true }).keyIndex).toBe(0);
    expect(refusal(() => verifyAssertionSignature(captured, [demoKey], { sha1: false }))).toBe(
      'refused',
    );
    // SHA-256 is accepted either way.
    expect(
      verifyAssertionSignature(capture(envelope(signed())) as string, [demoKey], { sha1: false })
        .keyIndex,
    ).toBe(0);
    const tampered = capture(envelope(real.replace('code="10"', 'code="21"'))) as string;
    expect(refusal(() => verifyAssertionSignature(tampered, [demoKey]))).toBe('refused');
  });

  it('captures nothing when the header does not hold exactly one Security / Assertion', () => {
    const real = signed();
    expect(capture(envelope(real + real))).toBeUndefined();
    expect(capture(envelope('<x:None xmlns:x="urn:x"/>'))).toBeUndefined();
    expect(
      capture(
        `<soap:Envelope xmlns:soap="${NS.soap11}"><soap:Header/><soap:Body/></soap:Envelope>`,
      ),
    ).toBeUndefined();
  });
});
