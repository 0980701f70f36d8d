/**
 * XML-DSig core validation of the VIHF (issue 19, ADR 0023): the assertion canonicalized by libxml2 (exclusive c14n,
 * the C library's own implementation), its reference digest and its SignedInfo signature checked with node:crypto.
 * It replaced xml-crypto on the verifying side (xml-crypto still signs: the development route, tests, the bench):
 * xml-crypto's XPath engine rebuilt its parser tables on each of its ~15 queries and cost ≈ 5 ms per assertion,
 * ≈ 8 ms over a whole ITI-41 envelope; this costs ≈ 0.3 ms.
 *
 * Two steps, so that the signed assertion is the one used (no signature wrapping):
 * D1. {@link captureAssertion}, on the hardened libxml2 tree of the request (xds/xml.ts, before it is disposed): the
 *     one `saml2:Assertion` at its place — Envelope / Header / wsse:Security / Assertion, nothing looked up by ID —
 *     is serialized alone by libxml2, every namespace in scope declared on it: a small standalone document whose
 *     exclusive canonical form is that of the assertion in the envelope (exclusive c14n depends only on the
 *     namespaces in scope and visibly used). Not a c14n of the subtree in place: libxml2-wasm calls back into
 *     JavaScript for every node of the whole envelope then (≈ 3 ms for an ITI-41 of one 10 KB CDA).
 * D2. {@link verifyAssertionSignature}, on that document alone: the one ds:Signature child of the root; SignedInfo
 *     canonicalized (exclusive c14n, its PrefixList if any) and its SignatureValue verified with each candidate key
 *     (RSA PKCS#1 v1.5, SHA-256/512, and SHA-1 unless refused: ADR 0034); the Signature removed
 *     (enveloped-signature), the root canonicalized (exclusive c14n, the Reference's PrefixList) and its digest
 *     compared with the DigestValue (SHA-256/512, or SHA-1 unless refused). The Reference must name the
 *     root's own ID (checked before, vihf.ts V3); it is never resolved, so no other element can stand for it.
 *     What is returned is the canonical text that was digested and the plain tree of the same document (after the
 *     Signature's removal, CDATA read as text): the caller reads the attributes from that tree (V6) — one parse of
 *     the assertion for the signature, the digest and the attributes.
 */
import { createHash, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { ParseOption, XmlC14NMode, XmlDocument, XmlElement } from 'libxml2-wasm';
// libxml2's structures read in place, as xml.ts reads the tree.
import {
  childrenOf,
  elementTree,
  libxmlHref,
  libxmlName,
  namespaceOf,
  nextOf,
  NS,
  typeOf,
  type XElement,
} from './xml.ts';

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SIGNATURE_HASH: Readonly<Record<string, string>> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};
const DIGEST_HASH: Readonly<Record<string, string>> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};
export const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
export const SHA1_DIGEST = 'http://www.w3.org/2000/09/xmldsig#sha1';
/** What the DMP's clients sign their VIHF with (DRIMbox: RSA-SHA1, SHA-1 digest; ADR 0034), unless refused. */
const SHA1_SIGNATURE_HASH: Readonly<Record<string, string>> = {
  ...SIGNATURE_HASH,
  [RSA_SHA1]: 'sha1',
};
const SHA1_DIGEST_HASH: Readonly<Record<string, string>> = {
  ...DIGEST_HASH,
  [SHA1_DIGEST]: 'sha1',
};

/** The algorithms the VIHF's signature may use. */
export interface VihfAlgorithms {
  /**
   * RSA-SHA1 and a SHA-1 digest accepted beside SHA-256/512 (the default, ADR 0034;
   * OPENDMP_XDS_REFUSE_SHA1_SIGNATURES=1 refuses them).
   */
  readonly sha1: boolean;
}

const PARSE_OPTIONS =
  ParseOption.XML_PARSE_NONET |
  ParseOption.XML_PARSE_NO_XXE |
  ParseOption.XML_PARSE_NOWARNING |
  ParseOption.XML_PARSE_NOERROR;
/**
 * The captured assertion's parse: CDATA sections read as text, as its canonical form writes them, so that the tree
 * read (V6) holds the text that was digested.
 */
const CAPTURED_OPTIONS = PARSE_OPTIONS | ParseOption.XML_PARSE_NOCDATA;

const ELEMENT_NODE = 1;
/** libxml2-wasm's node object for a node pointer (its constructor is internal to the library). */
const elementAt = (ptr: number): XmlElement =>
  new (XmlElement as unknown as new (ptr: number) => XmlElement)(ptr);

/**
 * The element children of `el` of this name, walked on libxml2's structures (as xml.ts converts): a node object made
 * only for the elements returned — through the node objects, the walks of D2 were about a sixth of its CPU.
 */
function childElements(el: XmlElement, ns: string, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const ptr = (el as unknown as { _nodePtr: number })._nodePtr;
  for (let n = childrenOf(ptr); n !== 0; n = nextOf(n)) {
    if (typeOf(n) === ELEMENT_NODE && libxmlName(n) === name) {
      const nsPtr = namespaceOf(n);
      if (nsPtr !== 0 && libxmlHref(nsPtr) === ns) {
        out.push(elementAt(n));
      }
    }
  }
  return out;
}

function onlyChild(el: XmlElement | undefined, ns: string, name: string): XmlElement | undefined {
  if (!el) {
    return undefined;
  }
  const found = childElements(el, ns, name);
  return found.length === 1 ? found[0] : undefined;
}

/** The prefixes of an `ec:InclusiveNamespaces` child (exclusive c14n's PrefixList), or undefined. */
function prefixList(el: XmlElement | undefined): string[] | undefined {
  const inc = el ? onlyChild(el, EXC_C14N, 'InclusiveNamespaces') : undefined;
  const list = inc?.attr('PrefixList')?.value.trim();
  return list ? list.split(/\s+/) : undefined;
}

/**
 * D1: the VIHF assertion serialized alone, every namespace in scope declared on it;
 * undefined when the envelope has not exactly one Header / wsse:Security / saml2:Assertion (vihf.ts refuses it).
 */
export function captureAssertion(doc: XmlDocument): string | undefined {
  const root = doc.root;
  if (root.namespaceUri !== NS.soap12 || root.name !== 'Envelope') {
    return undefined;
  }
  const assertion = onlyChild(
    onlyChild(onlyChild(root, NS.soap12, 'Header'), NS.wsse, 'Security'),
    NS.saml2,
    'Assertion',
  );
  if (!assertion) {
    return undefined;
  }
  // Every namespace in scope declared on the assertion itself (the tree is the request's, about to be converted
  // and disposed: a namespace declaration changes nothing of what is read from it).
  declareInScopeNamespaces(assertion);
  return assertion.toString({ format: false });
}

export class SignatureCheckFailure extends Error {}

/**
 * Text that libxml2 wrote (a serialization, decoded) as the UTF-8 bytes it is parsed from: encoded by Node.js, where
 * `XmlDocument.fromString` encodes it in a JavaScript loop (libxml2-wasm's stringToUTF8) — the same bytes, a
 * captured assertion's parse 0.081 → 0.052 ms (4.7 KB, loaded machine).
 */
function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Declares on `el` every namespace in scope there (a serialization of `el` alone then reads the same). */
function declareInScopeNamespaces(el: XmlElement): void {
  const local = el.nsDeclarations;
  for (const [prefix, uri] of Object.entries(el.namespaces)) {
    if (prefix !== 'xml' && !(prefix in local)) {
      el.addNsDeclaration(uri, prefix === '' ? undefined : prefix);
    }
  }
}

/**
 * The c14n of `el`'s subtree (exclusive by default; inclusive c14n 1.0 and comments for the submission signature,
 * submission-signature.ts), computed on a document of its own: `el` written out alone with every namespace in scope
 * declared on it (what both c14n forms render of the namespace axis at the apex).
 */
export function canonicalAlone(
  el: XmlElement,
  how:
    | string[]
    | undefined
    | {
        readonly mode: (typeof XmlC14NMode)[keyof typeof XmlC14NMode];
        readonly withComments: boolean;
      },
): string {
  declareInScopeNamespaces(el);
  const doc = XmlDocument.fromBuffer(utf8(el.toString({ format: false })), {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- a union of the enum's flags
    option: PARSE_OPTIONS as ParseOption,
  });
  try {
    if (how !== undefined && !Array.isArray(how)) {
      return doc.canonicalizeToString({ mode: how.mode, withComments: how.withComments });
    }
    return doc.canonicalizeToString({
      mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0,
      ...(how && { inclusiveNamespacePrefixes: how }),
    });
  } finally {
    doc.dispose();
  }
}

function base64Bytes(el: XmlElement | undefined): Buffer | undefined {
  const text = el?.content.replace(/\s+/g, '') ?? '';
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/**
 * D2: verifies the signature of a captured assertion against candidate keys. Returns the index of the key that
 * verified, the canonical text that was digested (the signed assertion, without its Signature) and the plain tree of
 * that same libxml2 document — the one canonicalized and digested, so the caller reads the attributes (V6) without
 * parsing the assertion again; throws {@link SignatureCheckFailure} when the digest or the signature does not verify
 * or the signature is not readable.
 */
export function verifyAssertionSignature(
  captured: string,
  keys: readonly KeyObject[],
  algorithms: VihfAlgorithms = { sha1: true },
): { keyIndex: number; signed: string; tree: XElement } {
  const signatureHash = algorithms.sha1 ? SHA1_SIGNATURE_HASH : SIGNATURE_HASH;
  const digestHashes = algorithms.sha1 ? SHA1_DIGEST_HASH : DIGEST_HASH;
  let doc: XmlDocument;
  try {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- a union of the enum's flags
    doc = XmlDocument.fromBuffer(utf8(captured), { option: CAPTURED_OPTIONS as ParseOption });
  } catch {
    throw new SignatureCheckFailure('The captured assertion cannot be read.');
  }
  try {
    const root = doc.root;
    const signature = onlyChild(root, NS.ds, 'Signature');
    const signedInfo = onlyChild(signature, NS.ds, 'SignedInfo');
    if (!signature || !signedInfo) {
      throw new SignatureCheckFailure('The assertion has no single ds:Signature / SignedInfo.');
    }
    const c14nMethod = onlyChild(signedInfo, NS.ds, 'CanonicalizationMethod');
    const hash =
      signatureHash[
        onlyChild(signedInfo, NS.ds, 'SignatureMethod')?.attr('Algorithm')?.value ?? ''
      ];
    const reference = onlyChild(signedInfo, NS.ds, 'Reference');
    const transforms = childElements(
      onlyChild(reference, NS.ds, 'Transforms') ?? signedInfo,
      NS.ds,
      'Transform',
    );
    const c14nTransform = transforms.find((t) => t.attr('Algorithm')?.value === EXC_C14N);
    const digestHash =
      digestHashes[onlyChild(reference, NS.ds, 'DigestMethod')?.attr('Algorithm')?.value ?? ''];
    const digestValue = base64Bytes(onlyChild(reference, NS.ds, 'DigestValue'));
    const signatureValue = base64Bytes(onlyChild(signature, NS.ds, 'SignatureValue'));
    if (
      c14nMethod?.attr('Algorithm')?.value !== EXC_C14N ||
      hash === undefined ||
      !reference ||
      reference.attr('URI')?.value !== `#${root.attr('ID')?.value ?? ''}` ||
      transforms.length !== 2 ||
      !transforms.some((t) => t.attr('Algorithm')?.value === ENVELOPED) ||
      !c14nTransform ||
      digestHash === undefined ||
      !digestValue ||
      !signatureValue
    ) {
      throw new SignatureCheckFailure('The signature is not of the expected profile.');
    }
    const signedInfoPrefixes = prefixList(c14nMethod);
    const referencePrefixes = prefixList(c14nTransform);
    // SignedInfo, as signed: written out alone with its in-scope namespaces (as in D1) and canonicalized as a
    // whole document — libxml2-wasm's subtree c14n would call back into JavaScript for every node of the assertion.
    const signedInfoC14n = Buffer.from(canonicalAlone(signedInfo, signedInfoPrefixes), 'utf8');
    const keyIndex = keys.findIndex(
      (key) => key.asymmetricKeyType === 'rsa' && verify(hash, signedInfoC14n, key, signatureValue),
    );
    if (keyIndex < 0) {
      throw new SignatureCheckFailure('The SignedInfo signature does not verify.');
    }
    // The reference: the assertion without its Signature (enveloped-signature), canonicalized. (The Signature's
    // nodes are freed here: nothing read from them is used after this line.)
    signature.remove();
    const signed = doc.canonicalizeToString({
      mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0,
      ...(referencePrefixes && { inclusiveNamespacePrefixes: referencePrefixes }),
    });
    const digest = createHash(digestHash).update(signed, 'utf8').digest();
    if (digest.length !== digestValue.length || !timingSafeEqual(digest, digestValue)) {
      throw new SignatureCheckFailure('The assertion digest does not match.');
    }
    return { keyIndex, signed, tree: elementTree(doc) };
  } finally {
    doc.dispose();
  }
}
