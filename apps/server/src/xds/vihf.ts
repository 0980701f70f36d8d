/**
 * VIHF (issue 19): the SAML 2.0 assertion a DMP-compatible software puts in the WS-Security header of every call,
 * signed with its structure's certificate. This module verifies one (XML-DSig: libxml2's exclusive c14n and
 * node:crypto, xds/xmldsig.ts, ADR 0023; xml-crypto signs, for the development route and tests) and maps its attributes
 * to the same {@link Actor} a JWT's claims give (domain/access/claims.ts), and signs one (development route, tests).
 *
 * Verification rules, in order (each failure is a {@link VihfFailure} with a stable code; the SOAP layer answers a
 * `wsse:InvalidSecurity` / `wsse:FailedAuthentication` fault and the refusal is traced):
 * V1. VIHF_MISSING — no `wsse:Security` header, or not exactly one `saml2:Assertion` directly in it; no other
 *     `saml2:Assertion` may appear anywhere else in the envelope (a duplicated or moved assertion is refused).
 * V2. VIHF_UNSIGNED — the assertion has no `ds:Signature` child (exactly one).
 * V3. VIHF_SIGNATURE_PROFILE — the signature is not the expected profile: one Reference, whose URI is `#` + the
 *     assertion's own ID, transforms enveloped-signature + exclusive c14n only, exclusive c14n of SignedInfo,
 *     RSA-SHA256/512 and a SHA-256/512 digest — or RSA-SHA1 and a SHA-1 digest, as DMP clients sign (DRIMbox),
 *     accepted unless the operator refuses SHA-1 (OPENDMP_XDS_REFUSE_SHA1_SIGNATURES, ADR 0034).
 * V4. VIHF_CERTIFICATE_UNKNOWN / VIHF_CERTIFICATE_REVOKED / VIHF_CERTIFICATE_EXPIRED — the certificate of KeyInfo is
 *     not registered for the structure the assertion names (Identifiant_Structure), is revoked, or is outside its
 *     validity; without a KeyInfo certificate, the structure's registered certificates are tried.
 * V5. VIHF_SIGNATURE_INVALID — the digest of the assertion (without its Signature, exclusive c14n) or the SignedInfo
 *     signature does not verify (xmldsig.ts D2). The assertion checked is the one at its place in the header, written
 *     out of the request's own parse (D1); the Reference's URI is checked to be its ID, never resolved.
 * V6. The attributes are read from the signed assertion — the tree of the very document that was canonicalized and
 *     digested (xmldsig.ts D2), never from the envelope's nodes: the assertion used is the one signed.
 * V7. VIHF_EXPIRED / VIHF_NOT_YET_VALID — now is outside Conditions NotBefore / NotOnOrAfter (60 s of clock skew),
 *     either of them left out taken from the IssueInstant: from it, until {@link UNCONDITIONED_LIFETIME_SECONDS} after
 *     it (DRIMbox sends no Conditions); VIHF_LIFETIME_TOO_LONG — a window over {@link MAX_LIFETIME_SECONDS}.
 * V8. VIHF_REPLAYED — the assertion ID (with its issuer) was used before (the caller records it: vihf-store.ts).
 * V9. VIHF_ATTRIBUTES_INVALID — attributes missing or incoherent (mapped through actorFromClaims).
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import type { Actor } from '../domain/access/actor.ts';
import { actorFromClaims } from '../domain/access/claims.ts';
import { esc, kid, kids, NS, textOf, type XElement } from './xml.ts';
import {
  ENVELOPED,
  EXC_C14N,
  RSA_SHA1,
  SHA1_DIGEST,
  SignatureCheckFailure,
  verifyAssertionSignature,
  type VihfAlgorithms,
} from './xmldsig.ts';

export { captureAssertion, type VihfAlgorithms } from './xmldsig.ts';

export const MAX_LIFETIME_SECONDS = 24 * 3600;
/** How long an assertion without Conditions NotOnOrAfter is valid after its IssueInstant ({@link validityOf}). */
export const UNCONDITIONED_LIFETIME_SECONDS = 600;
const CLOCK_SKEW_MS = 60_000;

const SIGNATURE_METHODS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const DIGEST_METHODS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
/** With SHA-1 accepted (ADR 0034): what DRIMbox's VIHF is signed with. */
const SHA1_SIGNATURE_METHODS = new Set([...SIGNATURE_METHODS, RSA_SHA1]);
const SHA1_DIGEST_METHODS = new Set([...DIGEST_METHODS, SHA1_DIGEST]);

/** The attribute names of the VIHF (dmp-domain-facts.md §5). */
export const VIHF = {
  version: 'VIHF_Version',
  authMode: 'Authentification_Mode',
  structure: 'Identifiant_Structure',
  sector: 'Secteur_Activite',
  subjectId: 'urn:oasis:names:tc:xspa:1.0:subject:subject-id',
  role: 'urn:oasis:names:tc:xacml:2.0:subject:role',
  resourceId: 'urn:oasis:names:tc:xacml:2.0:resource:resource-id',
  resourceUrn: 'Ressource_URN',
  purposeOfUse: 'urn:oasis:names:tc:xspa:1.0:subject:purposeofuse',
  confidentiality: 'urn:oasis:names:tc:xspa:1.0:resource:patient:hl7:confidentiality-code',
  /** Not in the facts gathered: the written justification of a bris de glace (named as Pro Santé Connect does). */
  reason: 'Mode_Acces_Raison',
  lpsId: 'LPS_ID',
  lpsName: 'LPS_Nom',
  lpsVersion: 'LPS_Version',
  homologation: 'LPS_ID_HOMOLOGATION_DMP',
} as const;

export type AuthMode = 'DIRECTE' | 'INDIRECTE' | 'INDIRECTE_RENFORCEE';
export const AUTH_MODES: readonly AuthMode[] = ['DIRECTE', 'INDIRECTE', 'INDIRECTE_RENFORCEE'];

export class VihfFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** A registered certificate, as vihf-store.ts gives it. */
export interface RegisteredCertificate {
  readonly id: string;
  readonly structure: string;
  readonly fingerprint: string;
  readonly pem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly revokedAt: Date | null;
}

export interface CertificateLookup {
  /** Certificates registered for the structure (revoked ones included). */
  byStructure(structure: string): Promise<readonly RegisteredCertificate[]>;
}

/** What a verified VIHF says about its call, besides the actor. */
export interface VihfContext {
  readonly assertionId: string;
  readonly issuer: string;
  readonly notOnOrAfter: Date;
  readonly authMode: AuthMode;
  readonly structure: string;
  readonly software: {
    readonly id?: string;
    readonly name?: string;
    readonly version?: string;
    readonly homologation?: string;
  };
  readonly certificateId: string;
  /** The INS the assertion names (resource-id), if any. */
  readonly ins?: string;
}

export interface VerifiedVihf {
  readonly actor: Actor;
  readonly context: VihfContext;
}

// ---------------------------------------------------------------------------------------------
// Attributes

/** A statement's Attributes by Name, in document order: read once for every attribute looked up. */
type Attributes = ReadonlyMap<string, readonly XElement[]>;

function attributesOf(statement: XElement | undefined): Attributes {
  const byName = new Map<string, XElement[]>();
  for (const a of kids(statement, NS.saml2, 'Attribute')) {
    const name = a.attrs['Name'];
    if (name !== undefined) {
      const known = byName.get(name);
      if (known) {
        known.push(a);
      } else {
        byName.set(name, [a]);
      }
    }
  }
  return byName;
}

/** The values of an attribute: text, or `code` (with `^codeSystem`) of an HL7 element inside AttributeValue. */
function attributeValues(attributes: Attributes, name: string): string[] {
  const attr = attributes.get(name) ?? [];
  return attr.flatMap((a) =>
    kids(a, NS.saml2, 'AttributeValue').flatMap((v) => {
      const coded = v.children[0];
      if (coded) {
        const code = coded.attrs['code'];
        const system = coded.attrs['codeSystem'];
        return code ? [system ? `${code}^${system}` : code] : [];
      }
      const t = textOf(v);
      return t === undefined ? [] : [t];
    }),
  );
}

function codeOf(value: string | undefined): string | undefined {
  const c = value?.split('^')[0]?.trim();
  return c === '' ? undefined : c;
}

/** HL7 CX `NIR^^^&1.2.250.1.213.1.4.8&ISO^NH` → the INS. */
function insOf(cx: string | undefined): string | undefined {
  const v = cx?.split('^')[0]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Maps the attributes of a (verified) assertion to an actor and the call's context (rule V9). Pure.
 * - NameID → idNatPs; role[0] → profession (+ its system), role[1] → specialty (SMxx) ; Identifiant_Structure →
 *   structure; Secteur_Activite → sector; subject-id → name; purposeofuse (TRE_R248 code) → mode; Mode_Acces_Raison →
 *   reason; resource-id → the INS the emergency mode applies to; the confidentiality attribute
 *   (INVISIBLE_REPRESENTANTS_LEGAUX, the connexion secrète) → secret; Authentification_Mode → the context, also
 *   recorded as the actor's authStrength (`VIHF:<mode>`), which every trace carries.
 */
export function actorFromAssertion(assertion: XElement): {
  actor: Actor;
  context: Omit<VihfContext, 'certificateId' | 'notOnOrAfter'>;
} {
  const statement = attributesOf(kid(assertion, NS.saml2, 'AttributeStatement'));
  const one = (name: string): string | undefined => attributeValues(statement, name)[0];
  const issuer = textOf(kid(assertion, NS.saml2, 'Issuer')) ?? '';
  const nameId = textOf(kid(kid(assertion, NS.saml2, 'Subject'), NS.saml2, 'NameID'));
  const authMode = one(VIHF.authMode);
  if (!AUTH_MODES.includes(authMode as AuthMode)) {
    throw new VihfFailure(
      'VIHF_ATTRIBUTES_INVALID',
      `Attribute ${VIHF.authMode} must be one of ${AUTH_MODES.join(', ')}.`,
    );
  }
  const structure = one(VIHF.structure);
  if (structure === undefined) {
    throw new VihfFailure('VIHF_ATTRIBUTES_INVALID', `Attribute ${VIHF.structure} is required.`);
  }
  const roles = attributeValues(statement, VIHF.role);
  const profession = roles[0];
  const systemOid = profession?.split('^')[1];
  const professionSystem =
    systemOid === '1.2.250.1.213.1.6.1.4'
      ? 'TRE_R94'
      : systemOid === '1.2.250.1.213.1.6.1.109'
        ? 'TRE_R95'
        : systemOid === '1.2.250.1.71.1.2.8'
          ? 'TRE_G16'
          : undefined;
  const specialty = roles
    .slice(1)
    .map(codeOf)
    .find((c) => c !== undefined && /^SM\d{2}$/.test(c));
  const mode = codeOf(one(VIHF.purposeOfUse)) ?? 'normal';
  const ins = insOf(one(VIHF.resourceId));
  const confidentiality = attributeValues(statement, VIHF.confidentiality).map(codeOf);
  const claims: Record<string, unknown> = {
    kind: 'professional',
    idNatPs: nameId,
    profession: codeOf(profession),
    ...(professionSystem !== undefined && { professionSystem }),
    ...(specialty !== undefined && { specialty }),
    structure,
    sector: codeOf(one(VIHF.sector)),
    mode,
    reason: one(VIHF.reason),
    name: one(VIHF.subjectId),
    ...(mode !== 'normal' && ins !== undefined && { ins }),
    ...(confidentiality.includes('INVISIBLE_REPRESENTANTS_LEGAUX') && { secret: true }),
  };
  const result = actorFromClaims(claims);
  if (!result.ok) {
    throw new VihfFailure('VIHF_ATTRIBUTES_INVALID', result.error.message);
  }
  const actor: Actor = { ...result.value, authStrength: `VIHF:${authMode}` } as Actor;
  const software = {
    ...(one(VIHF.lpsId) !== undefined && { id: one(VIHF.lpsId) }),
    ...(one(VIHF.lpsName) !== undefined && { name: one(VIHF.lpsName) }),
    ...(one(VIHF.lpsVersion) !== undefined && { version: one(VIHF.lpsVersion) }),
    ...(one(VIHF.homologation) !== undefined && { homologation: one(VIHF.homologation) }),
  };
  return {
    actor,
    context: {
      assertionId: assertion.attrs['ID'] ?? '',
      issuer,
      authMode: authMode as AuthMode,
      structure,
      software,
      ...(ins !== undefined && { ins }),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Verification

/** SHA-256 of a certificate's DER, lower-case hex. */
export function certificateFingerprint(pemOrBase64: string): string {
  const cert = new X509Certificate(
    pemOrBase64.includes('-----BEGIN')
      ? pemOrBase64
      : `-----BEGIN CERTIFICATE-----\n${pemOrBase64.replace(/\s+/g, '')}\n-----END CERTIFICATE-----\n`,
  );
  return createHash('sha256').update(cert.raw).digest('hex');
}

/** The public keys of registered certificates, parsed once (by fingerprint: a certificate's key never changes). */
const publicKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 1000;

export function publicKeyOf(cert: RegisteredCertificate): KeyObject {
  let key = publicKeys.get(cert.fingerprint);
  if (!key) {
    key = new X509Certificate(cert.pem).publicKey;
    if (publicKeys.size >= MAX_CACHED_KEYS) {
      publicKeys.clear();
    }
    publicKeys.set(cert.fingerprint, key);
  }
  return key;
}

/** KeyInfo certificates' fingerprints by their text as sent (a client sends the same certificate with each VIHF). */
const keyInfoFingerprints = new Map<string, string | undefined>();
const MAX_KEYINFO_FINGERPRINTS = 256;

/**
 * The SHA-256 of a KeyInfo certificate's DER, as registered (no need to parse it: only a registered certificate is
 * used), from its base64 text (white space allowed); undefined when the text is not base64. Remembered by the text
 * (at most {@link MAX_KEYINFO_FINGERPRINTS}, forgotten all at once when full): the same text gives the same answer,
 * without the RegExp, the decoding and the hash (about 15 µs of each VIHF's verification).
 */
export function keyInfoFingerprint(text: string): string | undefined {
  if (keyInfoFingerprints.has(text)) {
    return keyInfoFingerprints.get(text);
  }
  const der = text.replace(/\s+/g, '');
  const fingerprint = /^[A-Za-z0-9+/]+={0,2}$/.test(der)
    ? createHash('sha256').update(Buffer.from(der, 'base64')).digest('hex')
    : undefined;
  if (keyInfoFingerprints.size >= MAX_KEYINFO_FINGERPRINTS) {
    keyInfoFingerprints.clear();
  }
  keyInfoFingerprints.set(text, fingerprint);
  return fingerprint;
}

function fail(code: string, message: string): never {
  throw new VihfFailure(code, message);
}

function checkProfile(signature: XElement, assertionId: string, algorithms: VihfAlgorithms): void {
  const methods = algorithms.sha1 ? SHA1_SIGNATURE_METHODS : SIGNATURE_METHODS;
  const digests = algorithms.sha1 ? SHA1_DIGEST_METHODS : DIGEST_METHODS;
  const signedInfo = kid(signature, NS.ds, 'SignedInfo');
  const c14n = kid(signedInfo, NS.ds, 'CanonicalizationMethod')?.attrs['Algorithm'];
  const method = kid(signedInfo, NS.ds, 'SignatureMethod')?.attrs['Algorithm'];
  const refs = kids(signedInfo, NS.ds, 'Reference');
  const ref = refs[0];
  const transforms = kids(kid(ref, NS.ds, 'Transforms'), NS.ds, 'Transform').map(
    (t) => t.attrs['Algorithm'],
  );
  const digest = kid(ref, NS.ds, 'DigestMethod')?.attrs['Algorithm'];
  if (
    c14n !== EXC_C14N ||
    method === undefined ||
    !methods.has(method) ||
    refs.length !== 1 ||
    ref?.attrs['URI'] !== `#${assertionId}` ||
    transforms.length !== 2 ||
    !transforms.includes(ENVELOPED) ||
    !transforms.includes(EXC_C14N) ||
    digest === undefined ||
    !digests.has(digest)
  ) {
    fail(
      'VIHF_SIGNATURE_PROFILE',
      `The assertion must be signed as a whole (one Reference to its own ID), with exclusive c14n and ${
        algorithms.sha1 ? 'RSA-SHA1/256/512' : 'RSA-SHA256/512 (SHA-1 is refused here)'
      }.`,
    );
  }
}

/** How many saml2:Assertion and ds:Signature elements the envelope holds, anywhere (one walk for both). */
function assertionsAndSignatures(
  el: XElement,
  counts: { assertions: number; signatures: number } = { assertions: 0, signatures: 0 },
): { assertions: number; signatures: number } {
  for (const c of el.children) {
    if (c.ns === NS.saml2 && c.name === 'Assertion') {
      counts.assertions += 1;
    } else if (c.ns === NS.ds && c.name === 'Signature') {
      counts.signatures += 1;
    }
    assertionsAndSignatures(c, counts);
  }
  return counts;
}

/**
 * Verifies the VIHF of a SOAP request (rules V1–V7, V9); the caller checks replay (V8) and traces the outcome.
 * `captured` is what {@link captureAssertion} wrote out of the same parse as `envelope` (the request's tree);
 * `algorithms` says whether SHA-1 is accepted (the default, ADR 0034).
 */
export async function verifyVihf(
  captured: string | undefined,
  envelope: XElement,
  certificates: CertificateLookup,
  now: Date,
  algorithms: VihfAlgorithms = { sha1: true },
): Promise<VerifiedVihf> {
  const header = kid(envelope, NS.soap12, 'Header');
  const securities = kids(header, NS.wsse, 'Security');
  const assertions = kids(securities[0], NS.saml2, 'Assertion');
  const everywhere = assertionsAndSignatures(envelope);
  if (securities.length !== 1 || assertions.length !== 1 || everywhere.assertions !== 1) {
    fail(
      'VIHF_MISSING',
      'The Header must carry one wsse:Security holding exactly one saml2:Assertion (the VIHF), and no other assertion.',
    );
  }
  const assertion = assertions[0] as XElement;
  const assertionId = assertion.attrs['ID'];
  // Not only an xs:ID (an NCName): DRIMbox's IDs are bare UUIDs, most of them starting with a digit. The ID is compared,
  // never resolved (rule V5), so any short run of these characters is safe.
  if (assertionId === undefined || !/^[\w.-]{1,128}$/.test(assertionId)) {
    fail('VIHF_MISSING', 'The assertion has no valid ID.');
  }
  const signatures = kids(assertion, NS.ds, 'Signature');
  if (signatures.length !== 1 || everywhere.signatures !== 1) {
    fail(
      'VIHF_UNSIGNED',
      'The assertion must carry exactly one ds:Signature, and the envelope no other.',
    );
  }
  const signature = signatures[0] as XElement;
  checkProfile(signature, assertionId, algorithms);

  // Candidates: the KeyInfo certificate if registered for the structure the (not yet verified) assertion names.
  const claimedStructure = attributeValues(
    attributesOf(kid(assertion, NS.saml2, 'AttributeStatement')),
    VIHF.structure,
  )[0];
  if (claimedStructure === undefined) {
    fail('VIHF_ATTRIBUTES_INVALID', `Attribute ${VIHF.structure} is required.`);
  }
  const registered = await certificates.byStructure(claimedStructure);
  const keyInfoCert = textOf(
    kid(kid(kid(signature, NS.ds, 'KeyInfo'), NS.ds, 'X509Data'), NS.ds, 'X509Certificate'),
  );
  let candidates: readonly RegisteredCertificate[] = registered;
  if (keyInfoCert !== undefined) {
    const fingerprint = keyInfoFingerprint(keyInfoCert);
    if (fingerprint === undefined) {
      fail('VIHF_CERTIFICATE_UNKNOWN', 'The KeyInfo certificate cannot be read.');
    }
    candidates = registered.filter((c) => c.fingerprint === fingerprint);
  }
  if (candidates.length === 0) {
    fail(
      'VIHF_CERTIFICATE_UNKNOWN',
      'The signing certificate is not registered for this structure.',
    );
  }
  const live = candidates.filter((c) => c.revokedAt === null);
  if (live.length === 0) {
    fail('VIHF_CERTIFICATE_REVOKED', 'The signing certificate was revoked.');
  }
  const valid = live.filter((c) => c.notBefore <= now && now < c.notAfter);
  if (valid.length === 0) {
    fail('VIHF_CERTIFICATE_EXPIRED', 'The signing certificate is outside its validity period.');
  }

  // D1/D2 (xds/xmldsig.ts): the assertion captured from the hardened parse at its place, verified alone.
  if (captured === undefined) {
    fail('VIHF_MISSING', 'The assertion could not be read at its place in the header.');
  }
  let signed: XElement;
  let certificateId: string;
  try {
    const verified = verifyAssertionSignature(captured, valid.map(publicKeyOf), algorithms);
    signed = verified.tree;
    certificateId = (valid[verified.keyIndex] as RegisteredCertificate).id;
  } catch (e) {
    if (e instanceof SignatureCheckFailure) {
      fail('VIHF_SIGNATURE_INVALID', 'The assertion signature does not verify.');
    }
    throw e;
  }

  // V6: what was signed is what is used — the tree of the document that was canonicalized and digested.
  if (signed.ns !== NS.saml2 || signed.name !== 'Assertion' || signed.attrs['ID'] !== assertionId) {
    fail('VIHF_SIGNATURE_INVALID', 'The signed element is not the assertion.');
  }
  const { notBefore, notOnOrAfter } = validityOf(signed);
  if (Number.isNaN(notBefore) || Number.isNaN(notOnOrAfter)) {
    fail(
      'VIHF_ATTRIBUTES_INVALID',
      'The assertion must state its IssueInstant, or Conditions NotBefore and NotOnOrAfter.',
    );
  }
  if (now.getTime() + CLOCK_SKEW_MS < notBefore) {
    fail('VIHF_NOT_YET_VALID', 'The assertion is not valid yet.');
  }
  if (now.getTime() - CLOCK_SKEW_MS >= notOnOrAfter) {
    fail('VIHF_EXPIRED', 'The assertion has expired.');
  }
  if (notOnOrAfter - notBefore > MAX_LIFETIME_SECONDS * 1000) {
    fail('VIHF_LIFETIME_TOO_LONG', `An assertion may be valid ${MAX_LIFETIME_SECONDS} s at most.`);
  }
  const { actor, context } = actorFromAssertion(signed);
  if (context.structure !== claimedStructure) {
    fail('VIHF_SIGNATURE_INVALID', 'The signed structure differs from the one read.');
  }
  return { actor, context: { ...context, certificateId, notOnOrAfter: new Date(notOnOrAfter) } };
}

/**
 * The window an assertion is valid in (rule V7): its Conditions' NotBefore and NotOnOrAfter; each one it leaves out is
 * taken from its IssueInstant — from it, and until {@link UNCONDITIONED_LIFETIME_SECONDS} after it. DRIMbox, the ANS's
 * public DMP client, sends no Conditions at all: it builds a fresh assertion for each request, and its IssueInstant is
 * all that dates it (test/integration/xds.vihf-drimbox). NaN where a date is missing or unreadable.
 */
function validityOf(assertion: XElement): { notBefore: number; notOnOrAfter: number } {
  const conditions = kid(assertion, NS.saml2, 'Conditions');
  const issued = Date.parse(assertion.attrs['IssueInstant'] ?? '');
  const from = conditions?.attrs['NotBefore'];
  const until = conditions?.attrs['NotOnOrAfter'];
  return {
    notBefore: from === undefined ? issued : Date.parse(from),
    notOnOrAfter:
      until === undefined ? issued + UNCONDITIONED_LIFETIME_SECONDS * 1000 : Date.parse(until),
  };
}

/** The key under which an assertion's single use is recorded (its issuer and ID). */
export function assertionKey(context: Pick<VihfContext, 'issuer' | 'assertionId'>): string {
  return createHash('sha256').update(`${context.issuer}\n${context.assertionId}`).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Signing (development route, tests)

export interface VihfSubject {
  readonly idNatPs: string;
  readonly profession: string;
  readonly professionOid?: string;
  readonly specialty?: string;
  readonly structure: string;
  readonly sector?: string;
  readonly name?: string;
  readonly mode?: string;
  readonly reason?: string;
  readonly ins?: string;
  readonly secret?: boolean;
  readonly authMode?: AuthMode;
  readonly software?: { id: string; name: string; version: string; homologation: string };
}

export interface SigningKey {
  readonly privateKeyPem: string;
  readonly certificatePem: string;
}

function attribute(name: string, values: readonly string[]): string {
  return `<saml2:Attribute Name="${esc(name)}">${values
    .map((v) => `<saml2:AttributeValue>${v}</saml2:AttributeValue>`)
    .join('')}</saml2:Attribute>`;
}

function coded(tag: string, code: string, system: string): string {
  return `<${tag} xmlns="urn:hl7-org:v3" code="${esc(code)}" codeSystem="${esc(system)}"/>`;
}

/** An unsigned VIHF assertion (v3.0 attribute set); `id` must start with a letter or `_`. */
export function buildAssertion(
  subject: VihfSubject,
  issuer: string,
  id: string,
  notBefore: Date,
  notOnOrAfter: Date,
): string {
  const software = subject.software ?? {
    id: 'opendmp-dev',
    name: 'opendmp development VIHF',
    version: '1',
    homologation: 'DEV-0000',
  };
  const attrs = [
    attribute(VIHF.version, ['3.0']),
    attribute(VIHF.authMode, [subject.authMode ?? 'DIRECTE']),
    attribute(VIHF.structure, [esc(subject.structure)]),
    ...(subject.sector !== undefined
      ? [attribute(VIHF.sector, [esc(`${subject.sector}^1.2.250.1.71.4.2.4`)])]
      : []),
    ...(subject.name !== undefined ? [attribute(VIHF.subjectId, [esc(subject.name)])] : []),
    attribute(VIHF.role, [
      coded('Role', subject.profession, subject.professionOid ?? '1.2.250.1.71.1.2.7'),
      ...(subject.specialty !== undefined
        ? [coded('Role', subject.specialty, '1.2.250.1.71.4.2.5')]
        : []),
    ]),
    ...(subject.ins !== undefined
      ? [attribute(VIHF.resourceId, [esc(`${subject.ins}^^^&1.2.250.1.213.1.4.8&ISO^NH`)])]
      : []),
    attribute(VIHF.resourceUrn, ['urn:dmp']),
    attribute(VIHF.purposeOfUse, [
      coded('PurposeOfUse', subject.mode ?? 'normal', '1.2.250.1.213.1.1.4.248'),
    ]),
    ...(subject.reason !== undefined ? [attribute(VIHF.reason, [esc(subject.reason)])] : []),
    ...(subject.secret === true
      ? [
          attribute(VIHF.confidentiality, [
            coded(
              'ConfidentialityCode',
              'INVISIBLE_REPRESENTANTS_LEGAUX',
              '1.2.250.1.213.1.1.4.13',
            ),
          ]),
        ]
      : []),
    attribute(VIHF.lpsId, [esc(software.id)]),
    attribute(VIHF.lpsName, [esc(software.name)]),
    attribute(VIHF.lpsVersion, [esc(software.version)]),
    attribute(VIHF.homologation, [esc(software.homologation)]),
  ];
  return (
    `<saml2:Assertion xmlns:saml2="${NS.saml2}" ID="${esc(id)}" IssueInstant="${notBefore.toISOString()}" Version="2.0">` +
    `<saml2:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">${esc(issuer)}</saml2:Issuer>` +
    `<saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${esc(subject.idNatPs)}</saml2:NameID></saml2:Subject>` +
    `<saml2:Conditions NotBefore="${notBefore.toISOString()}" NotOnOrAfter="${notOnOrAfter.toISOString()}"/>` +
    `<saml2:AuthnStatement AuthnInstant="${notBefore.toISOString()}"><saml2:AuthnContext>` +
    `<saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:X509</saml2:AuthnContextClassRef>` +
    `</saml2:AuthnContext></saml2:AuthnStatement>` +
    `<saml2:AttributeStatement>${attrs.join('')}</saml2:AttributeStatement>` +
    `</saml2:Assertion>`
  );
}

/**
 * Signs an assertion as the VIHF profile wants it (exclusive c14n, RSA-SHA256, KeyInfo with the certificate);
 * `sha1`: RSA-SHA1 and a SHA-1 digest instead, as DRIMbox signs its VIHF (tests).
 */
export function signAssertion(
  assertionXml: string,
  key: SigningKey,
  options: { readonly sha1?: boolean } = {},
): string {
  const signer = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    signatureAlgorithm:
      options.sha1 === true ? RSA_SHA1 : 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: EXC_C14N,
  });
  signer.addReference({
    xpath: "/*[local-name(.)='Assertion']",
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm:
      options.sha1 === true ? SHA1_DIGEST : 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  signer.computeSignature(assertionXml, {
    prefix: 'ds',
    location: {
      reference: "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']",
      action: 'after',
    },
  });
  return signer.getSignedXml();
}

/** The subject DN of a certificate, as the Issuer of the assertions it signs. */
export function certificateSubject(pem: string): string {
  return new X509Certificate(pem).subject.replace(/\n/g, ', ');
}
