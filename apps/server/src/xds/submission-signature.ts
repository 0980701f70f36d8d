/**
 * The XAdES signature of an ITI-41 submission set (issue 19, ADR 0030): the DMP's submission set is signed the IHE
 * DSG way — a signature document in the submission (a DocumentEntry of classCode `urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1`
 * "Digital Signature", formatCode `http://www.w3.org/2000/09/xmldsig#`, linked to the SubmissionSet by a `signs`
 * association) whose content is one `ds:Signature`: SignedInfo references a `ds:Manifest` and the XAdES
 * SignedProperties, both in `ds:Object`s of the signature; the Manifest references the SubmissionSet and every
 * document of the submission by `urn:oid:<uniqueId>`, each document with the digest of its bytes.
 *
 * Verification, for the one profile we accept (failures are {@link SubmissionSignatureFailure}, stable codes):
 * S1. XDS_SIGNATURE_UNREADABLE — the content is not XML (hardened parse, xds/xml.ts: no DTD, no entity, bounded) or
 *     its root is not `ds:Signature`.
 * S2. XDS_SIGNATURE_WRAPPED — anti-wrapping, structural: no other `ds:Signature` anywhere in it; exactly one
 *     `ds:Manifest` and one XAdES `SignedProperties`, each at its place (Signature / Object / Manifest, Signature /
 *     Object / QualifyingProperties / SignedProperties); no two elements with one Id. A Reference is never resolved by
 *     ID: its URI is compared with the Id of the element at that place, which is the one digested and read.
 * S3. XDS_SIGNATURE_PROFILE — SignedInfo: c14n 1.0 or exclusive c14n (with or without comments), RSA-SHA256/512,
 *     exactly two References (the Manifest and the SignedProperties), each with no transform or one c14n transform,
 *     SHA-256/512 digests; Manifest References: `urn:oid:` URIs, no transform or one c14n transform, SHA-256/512.
 *     RSA-SHA1 and SHA-1 digests too unless the operator refuses them (ADR 0034: the DMP's clients sign with SHA-1;
 *     OPENDMP_XDS_REFUSE_SHA1_SIGNATURES=1 refuses them, chosen-prefix collisions being practical).
 * S4. XDS_SIGNATURE_CERTIFICATE_UNKNOWN / _REVOKED / _EXPIRED — the KeyInfo certificate (else each registered one)
 *     must be registered for the depositing structure (the VIHF's Identifiant_Structure, vihf-store.ts), live, and
 *     within its validity.
 * S5. XDS_SIGNATURE_INVALID — the SignedInfo signature, the Manifest's and the SignedProperties' digests, the XAdES
 *     SigningCertificate digest (when given) against the certificate that verified, and each document's digest against
 *     the bytes submitted (the bytes stored: no transform, or their c14n when the Reference says so).
 * S6. XDS_SIGNATURE_REFERENCES — the Manifest names exactly the SubmissionSet's uniqueId and every other document of
 *     the submission, each once: a signature of another submission, or one that leaves a document out, is refused.
 *     The SubmissionSet's own Reference is bound by its URI (its uniqueId, signed through the Manifest's digest); its
 *     DigestValue is not compared: DSG defines no byte form of ebRIM metadata (DMP clients send a placeholder).
 */
import { createHash, timingSafeEqual, verify, X509Certificate, type KeyObject } from 'node:crypto';
import type { XmlDocument } from 'libxml2-wasm';
import { XmlC14NMode, XmlElement, type XmlTreeNode } from 'libxml2-wasm';
import type { DocumentMetadataDraft } from '../domain/documents/model.ts';
import type { RegisteredCertificate } from './vihf.ts';
import { publicKeyOf } from './vihf.ts';
import { NS, parseXml, XmlFailure } from './xml.ts';
import { canonicalAlone, EXC_C14N } from './xmldsig.ts';

/** The IHE DSG codes of a signature document's entry. */
export const DSG = {
  classCode: 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1',
  formatCode: 'http://www.w3.org/2000/09/xmldsig#',
  manifestType: 'http://www.w3.org/2000/09/xmldsig#Manifest',
} as const;

/** Size of a signature document (a Manifest of at most a few hundred References). */
export const MAX_SIGNATURE_BYTES = 1024 * 1024;

const C14N: Readonly<
  Record<string, { mode: (typeof XmlC14NMode)[keyof typeof XmlC14NMode]; withComments: boolean }>
> = {
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315': {
    mode: XmlC14NMode.XML_C14N_1_0,
    withComments: false,
  },
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments': {
    mode: XmlC14NMode.XML_C14N_1_0,
    withComments: true,
  },
  [EXC_C14N]: { mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0, withComments: false },
  [`${EXC_C14N}WithComments`]: { mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0, withComments: true },
};
const SIGNATURE_HASH: Readonly<Record<string, string>> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};
const DIGEST_HASH: Readonly<Record<string, string>> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};
/** What the DMP's clients write (ADR 0034), accepted unless the operator refuses SHA-1. */
const SHA1_SIGNATURE_HASH: Readonly<Record<string, string>> = {
  ...SIGNATURE_HASH,
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'sha1',
};
const SHA1_DIGEST_HASH: Readonly<Record<string, string>> = {
  ...DIGEST_HASH,
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
};
/** XAdES SigningCertificate digests only identify a certificate: SHA-1 accepted there, as XAdES 1.1.1 writes it. */
const CERT_DIGEST_HASH = SHA1_DIGEST_HASH;

/** The algorithms a verification accepts. */
export interface SignatureAlgorithms {
  /** RSA-SHA1 and SHA-1 digests accepted (the default; OPENDMP_XDS_REFUSE_SHA1_SIGNATURES=1 refuses them). */
  readonly sha1: boolean;
}

interface Tables {
  readonly signature: Readonly<Record<string, string>>;
  readonly digest: Readonly<Record<string, string>>;
  readonly names: string;
}

function tablesOf(algorithms: SignatureAlgorithms): Tables {
  return algorithms.sha1
    ? {
        signature: SHA1_SIGNATURE_HASH,
        digest: SHA1_DIGEST_HASH,
        names: 'SHA-1, SHA-256 or SHA-512',
      }
    : {
        signature: SIGNATURE_HASH,
        digest: DIGEST_HASH,
        names: 'SHA-256 or SHA-512 (this registry refuses SHA-1)',
      };
}

export class SubmissionSignatureFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function fail(code: string, message: string): never {
  throw new SubmissionSignatureFailure(code, message);
}

/** Whether a DocumentEntry is an IHE DSG signature document. */
export function isSignatureEntry(draft: DocumentMetadataDraft): boolean {
  return draft.class?.code === DSG.classCode || draft.format?.code === DSG.formatCode;
}

/** What the signature must cover: the SubmissionSet's uniqueId, every other document's uniqueId and bytes. */
export interface SignedSubmission {
  readonly submissionSetUniqueId: string;
  readonly documents: readonly { readonly uniqueId: string; readonly bytes: Buffer }[];
}

function childElements(el: XmlElement, ns: string | undefined, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (let n: XmlTreeNode | null = el.firstChild; n !== null; n = n.next) {
    if (n instanceof XmlElement && (ns === undefined || n.namespaceUri === ns) && n.name === name) {
      out.push(n);
    }
  }
  return out;
}

function only(el: XmlElement | undefined, ns: string | undefined, name: string): XmlElement {
  const found = el ? childElements(el, ns, name) : [];
  if (found.length !== 1) {
    fail('XDS_SIGNATURE_PROFILE', `The signature needs exactly one ${name} here.`);
  }
  return found[0] as XmlElement;
}

/** Every element of the tree (bounded by the parse's limits). */
function* elements(el: XmlElement): Generator<XmlElement> {
  yield el;
  for (let n: XmlTreeNode | null = el.firstChild; n !== null; n = n.next) {
    if (n instanceof XmlElement) {
      yield* elements(n);
    }
  }
}

const isXades = (el: XmlElement): boolean =>
  (el.namespaceUri ?? '').startsWith('http://uri.etsi.org/01903');

function base64Of(el: XmlElement): Buffer {
  const text = el.content.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    fail('XDS_SIGNATURE_PROFILE', `${el.name} is not base64.`);
  }
  return Buffer.from(text, 'base64');
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

interface ReadReference {
  readonly uri: string;
  readonly c14n: (typeof C14N)[string] | undefined;
  readonly hash: string;
  readonly digest: Buffer;
  readonly type: string | undefined;
}

function readReference(ref: XmlElement, tables: Tables): ReadReference {
  const transforms = ref.firstChild
    ? childElements(ref, NS.ds, 'Transforms').flatMap((t) => childElements(t, NS.ds, 'Transform'))
    : [];
  if (transforms.length > 1) {
    fail('XDS_SIGNATURE_PROFILE', 'A Reference has at most one transform (a c14n).');
  }
  const transform = transforms[0]?.attr('Algorithm')?.value;
  const c14n = transform === undefined ? undefined : C14N[transform];
  if (transform !== undefined && !c14n) {
    fail('XDS_SIGNATURE_PROFILE', 'A Reference transform is a c14n or nothing.');
  }
  const hash = tables.digest[only(ref, NS.ds, 'DigestMethod').attr('Algorithm')?.value ?? ''];
  if (hash === undefined) {
    fail('XDS_SIGNATURE_PROFILE', `Digests are ${tables.names}.`);
  }
  return {
    uri: ref.attr('URI')?.value ?? '',
    c14n,
    hash,
    digest: base64Of(only(ref, NS.ds, 'DigestValue')),
    type: ref.attr('Type')?.value,
  };
}

/** The digest of an element of the signature as a same-document Reference makes it (default: c14n 1.0). */
function elementDigest(el: XmlElement, ref: ReadReference): Buffer {
  const c14n = ref.c14n ?? { mode: XmlC14NMode.XML_C14N_1_0, withComments: false };
  return createHash(ref.hash).update(canonicalAlone(el, c14n), 'utf8').digest();
}

/** The digest of a submitted document as a Manifest Reference makes it: its bytes, or their c14n. */
function documentDigest(bytes: Buffer, ref: ReadReference): Buffer {
  if (!ref.c14n) {
    return createHash(ref.hash).update(bytes).digest();
  }
  const c14n = ref.c14n;
  let text = '';
  try {
    parseXml(bytes, {
      validate: (doc: XmlDocument) => {
        text = doc.canonicalizeToString({ mode: c14n.mode, withComments: c14n.withComments });
      },
    });
  } catch (e) {
    if (e instanceof XmlFailure) {
      fail('XDS_SIGNATURE_INVALID', 'A document signed with a c14n transform is not XML.');
    }
    throw e;
  }
  return createHash(ref.hash).update(text, 'utf8').digest();
}

/** The Id of an element (XML-DSig and XAdES write `Id`; some write `ID` or `id`). */
function idOf(el: XmlElement): string | undefined {
  return el.attr('Id')?.value ?? el.attr('ID')?.value ?? el.attr('id')?.value;
}

function uniqueIdOfUri(uri: string): string {
  return uri.startsWith('urn:oid:') ? uri.slice('urn:oid:'.length) : uri;
}

/**
 * Verifies a signature document (rules S1–S6) against the certificates registered for the depositing structure.
 * Returns the id of the certificate that verified.
 */
export function verifySubmissionSignature(
  bytes: Buffer,
  submission: SignedSubmission,
  registered: readonly RegisteredCertificate[],
  now: Date,
  algorithms: SignatureAlgorithms = { sha1: true },
): { readonly certificateId: string } {
  if (bytes.length > MAX_SIGNATURE_BYTES) {
    fail('XDS_SIGNATURE_UNREADABLE', 'The signature document is too large.');
  }
  let outcome: { certificateId: string } | undefined;
  try {
    parseXml(bytes, {
      limits: { maxBytes: MAX_SIGNATURE_BYTES, maxElements: 20_000 },
      validate: (doc) => {
        outcome = verifyTree(doc, submission, registered, now, tablesOf(algorithms));
      },
    });
  } catch (e) {
    if (e instanceof XmlFailure) {
      fail('XDS_SIGNATURE_UNREADABLE', 'The signature document is not readable XML.');
    }
    throw e;
  }
  if (!outcome) {
    fail('XDS_SIGNATURE_UNREADABLE', 'The signature document is not readable XML.');
  }
  return outcome;
}

function verifyTree(
  doc: XmlDocument,
  submission: SignedSubmission,
  registered: readonly RegisteredCertificate[],
  now: Date,
  tables: Tables,
): { certificateId: string } {
  const root = doc.root;
  if (root.namespaceUri !== NS.ds || root.name !== 'Signature') {
    fail('XDS_SIGNATURE_UNREADABLE', 'The signature document is not a ds:Signature.');
  }
  // S2: structure first.
  const ids = new Set<string>();
  let signatures = 0;
  let manifestsAnywhere = 0;
  let signedPropertiesAnywhere = 0;
  for (const el of elements(root)) {
    const id = idOf(el);
    if (id !== undefined) {
      if (ids.has(id)) {
        fail('XDS_SIGNATURE_WRAPPED', 'Two elements of the signature have the same Id.');
      }
      ids.add(id);
    }
    if (el.namespaceUri === NS.ds && el.name === 'Signature') {
      signatures++;
    } else if (el.namespaceUri === NS.ds && el.name === 'Manifest') {
      manifestsAnywhere++;
    } else if (isXades(el) && el.name === 'SignedProperties') {
      signedPropertiesAnywhere++;
    }
  }
  const objects = childElements(root, NS.ds, 'Object');
  const manifests = objects.flatMap((o) => childElements(o, NS.ds, 'Manifest'));
  const signedProperties = objects
    .flatMap((o) => childElements(o, undefined, 'QualifyingProperties').filter(isXades))
    .flatMap((q) => childElements(q, q.namespaceUri, 'SignedProperties'));
  if (
    signatures !== 1 ||
    manifests.length !== 1 ||
    manifestsAnywhere !== 1 ||
    signedProperties.length !== 1 ||
    signedPropertiesAnywhere !== 1
  ) {
    fail(
      'XDS_SIGNATURE_WRAPPED',
      'The signature holds one ds:Signature, one ds:Manifest and one XAdES SignedProperties, each at its place.',
    );
  }
  const manifest = manifests[0] as XmlElement;
  const props = signedProperties[0] as XmlElement;
  const manifestId = idOf(manifest);
  const propsId = idOf(props);

  // S3: the profile of SignedInfo.
  const signedInfo = only(root, NS.ds, 'SignedInfo');
  const c14n =
    C14N[only(signedInfo, NS.ds, 'CanonicalizationMethod').attr('Algorithm')?.value ?? ''];
  const hash =
    tables.signature[only(signedInfo, NS.ds, 'SignatureMethod').attr('Algorithm')?.value ?? ''];
  if (!c14n || hash === undefined) {
    fail(
      'XDS_SIGNATURE_PROFILE',
      `SignedInfo is c14n-canonicalized and signed RSA with ${tables.names}.`,
    );
  }
  const refs = childElements(signedInfo, NS.ds, 'Reference').map((r) => readReference(r, tables));
  const manifestRef = refs.find((r) => r.uri === `#${manifestId ?? ''}`);
  const propsRef = refs.find((r) => r.uri === `#${propsId ?? ''}`);
  if (
    refs.length !== 2 ||
    manifestId === undefined ||
    propsId === undefined ||
    !manifestRef ||
    !propsRef ||
    (manifestRef.type !== undefined && manifestRef.type !== DSG.manifestType)
  ) {
    fail(
      'XDS_SIGNATURE_PROFILE',
      'SignedInfo references exactly the signature’s Manifest and its XAdES SignedProperties.',
    );
  }
  const signatureValue = base64Of(only(root, NS.ds, 'SignatureValue'));

  // S4: the candidate certificates.
  const keyInfoCerts = childElements(root, NS.ds, 'KeyInfo')
    .flatMap((k) => childElements(k, NS.ds, 'X509Data'))
    .flatMap((x) => childElements(x, NS.ds, 'X509Certificate'));
  let candidates = registered;
  if (keyInfoCerts.length > 0) {
    const fingerprint = createHash('sha256')
      .update(base64Of(keyInfoCerts[0] as XmlElement))
      .digest('hex');
    candidates = registered.filter((c) => c.fingerprint === fingerprint);
  }
  if (candidates.length === 0) {
    fail(
      'XDS_SIGNATURE_CERTIFICATE_UNKNOWN',
      'The signing certificate is not registered for the depositing structure.',
    );
  }
  const live = candidates.filter((c) => c.revokedAt === null);
  if (live.length === 0) {
    fail('XDS_SIGNATURE_CERTIFICATE_REVOKED', 'The signing certificate was revoked.');
  }
  const valid = live.filter((c) => c.notBefore <= now && now < c.notAfter);
  if (valid.length === 0) {
    fail(
      'XDS_SIGNATURE_CERTIFICATE_EXPIRED',
      'The signing certificate is outside its validity period.',
    );
  }

  // S5: SignedInfo's signature, then what it references.
  const signedInfoC14n = Buffer.from(canonicalAlone(signedInfo, c14n), 'utf8');
  const keys: KeyObject[] = valid.map(publicKeyOf);
  const keyIndex = keys.findIndex(
    (key) => key.asymmetricKeyType === 'rsa' && verify(hash, signedInfoC14n, key, signatureValue),
  );
  if (keyIndex < 0) {
    fail('XDS_SIGNATURE_INVALID', 'The SignedInfo signature does not verify.');
  }
  const certificate = valid[keyIndex] as RegisteredCertificate;
  if (!sameBytes(elementDigest(manifest, manifestRef), manifestRef.digest)) {
    fail(
      'XDS_SIGNATURE_INVALID',
      'The Manifest digest does not match: the signed references changed.',
    );
  }
  if (!sameBytes(elementDigest(props, propsRef), propsRef.digest)) {
    fail('XDS_SIGNATURE_INVALID', 'The SignedProperties digest does not match.');
  }
  checkSigningCertificate(props, certificate);

  // S6 then S5 on the documents: the Manifest covers exactly this submission.
  const manifestRefs = childElements(manifest, NS.ds, 'Reference').map((r) =>
    readReference(r, tables),
  );
  const byUniqueId = new Map<string, ReadReference>();
  for (const r of manifestRefs) {
    const uniqueId = uniqueIdOfUri(r.uri);
    if (byUniqueId.has(uniqueId)) {
      fail('XDS_SIGNATURE_REFERENCES', 'The Manifest names one object twice.');
    }
    byUniqueId.set(uniqueId, r);
  }
  const expected = [
    submission.submissionSetUniqueId,
    ...submission.documents.map((d) => d.uniqueId),
  ];
  if (
    byUniqueId.size !== expected.length ||
    new Set(expected).size !== expected.length ||
    !expected.every((u) => byUniqueId.has(u))
  ) {
    fail(
      'XDS_SIGNATURE_REFERENCES',
      'The Manifest must name exactly this SubmissionSet and each of its documents (urn:oid:<uniqueId>).',
    );
  }
  for (const d of submission.documents) {
    const ref = byUniqueId.get(d.uniqueId) as ReadReference;
    if (!sameBytes(documentDigest(d.bytes, ref), ref.digest)) {
      fail('XDS_SIGNATURE_INVALID', 'A document’s digest does not match the signed one.');
    }
  }
  return { certificateId: certificate.id };
}

/** XAdES SigningCertificate, when given: its digest names the certificate that verified. */
function checkSigningCertificate(props: XmlElement, certificate: RegisteredCertificate): void {
  const ns = props.namespaceUri;
  const certs = childElements(props, ns, 'SignedSignatureProperties')
    .flatMap((s) => childElements(s, ns, 'SigningCertificate'))
    .flatMap((s) => childElements(s, ns, 'Cert'));
  if (certs.length === 0) {
    return;
  }
  const der = new X509Certificate(certificate.pem).raw;
  const named = certs.some((c) => {
    const digest = childElements(c, ns, 'CertDigest')[0];
    const method = digest ? childElements(digest, undefined, 'DigestMethod')[0] : undefined;
    const value = digest ? childElements(digest, undefined, 'DigestValue')[0] : undefined;
    const h = CERT_DIGEST_HASH[method?.attr('Algorithm')?.value ?? ''];
    return (
      h !== undefined &&
      value !== undefined &&
      sameBytes(createHash(h).update(der).digest(), base64Of(value))
    );
  });
  if (!named) {
    fail(
      'XDS_SIGNATURE_INVALID',
      'XAdES SigningCertificate does not name the signing certificate.',
    );
  }
}
