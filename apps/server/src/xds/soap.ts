/**
 * SOAP 1.2 envelopes and WS-Addressing for the DMP's services (issue 19). Pure.
 *
 * Reading: the root must be `env:Envelope` in the SOAP 1.2 namespace (a SOAP 1.1 envelope is answered with a
 * VersionMismatch fault); the Header must carry `wsa:Action` (and should carry `wsa:MessageID`, echoed in
 * `wsa:RelatesTo`); the Body holds exactly one element. Writing: responses carry `wsa:Action` (the request's action
 * + `Response`, or the transaction's response action) and `wsa:RelatesTo`; faults are SOAP 1.2 faults with a Code
 * (Sender / Receiver, a subcode), a Reason, and the project's stable code in the Detail.
 */
import { randomUUID } from 'node:crypto';
import { el, esc, kid, kids, NS, textOf, type XElement } from './xml.ts';

/** The transactions and their WS-Addressing actions. */
export const ACTIONS = {
  'ITI-41': {
    request: 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b',
    response: 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse',
  },
  'ITI-43': {
    request: 'urn:ihe:iti:2007:RetrieveDocumentSet',
    response: 'urn:ihe:iti:2007:RetrieveDocumentSetResponse',
  },
  'ITI-18': {
    request: 'urn:ihe:iti:2007:RegistryStoredQuery',
    response: 'urn:ihe:iti:2007:RegistryStoredQueryResponse',
  },
  'ITI-57': {
    request: 'urn:ihe:iti:2010:UpdateDocumentSet',
    response: 'urn:ihe:iti:2010:UpdateDocumentSetResponse',
  },
  'TD0.2': {
    request: 'urn:hl7-org:v3:PRPA_IN201307UV02',
    response: 'urn:hl7-org:v3:PRPA_IN201308UV02',
  },
  HABILITATIONS: {
    request: 'urn:si-dmp-habilitations:setAuthorization',
    response: 'urn:si-dmp-habilitations:setAuthorizationResponse',
  },
} as const;

export type Transaction = keyof typeof ACTIONS;

export function transactionOf(action: string): Transaction | undefined {
  for (const [t, a] of Object.entries(ACTIONS)) {
    if (a.request === action) {
      return t as Transaction;
    }
  }
  return undefined;
}

export interface SoapRequest {
  readonly action: string;
  readonly messageId: string | undefined;
  readonly header: XElement;
  /** The one element of the Body. */
  readonly payload: XElement;
}

export type FaultCode = 'Sender' | 'Receiver' | 'VersionMismatch' | 'MustUnderstand';

export class SoapFault extends Error {
  readonly faultCode: FaultCode;
  /** A qualified subcode, e.g. `wsse:InvalidSecurity`, `wsa:ActionNotSupported`. */
  readonly subcode: string | undefined;
  /** The project's stable code. */
  readonly code: string;
  constructor(faultCode: FaultCode, code: string, message: string, subcode?: string) {
    super(message);
    this.faultCode = faultCode;
    this.code = code;
    this.subcode = subcode;
  }
}

/** Reads an envelope tree into a request; throws SoapFault. */
export function readEnvelope(root: XElement): SoapRequest {
  if (root.name === 'Envelope' && root.ns === NS.soap11) {
    throw new SoapFault(
      'VersionMismatch',
      'SOAP_VERSION_MISMATCH',
      'SOAP 1.2 is required (namespace http://www.w3.org/2003/05/soap-envelope).',
    );
  }
  if (root.name !== 'Envelope' || root.ns !== NS.soap12) {
    throw new SoapFault('Sender', 'SOAP_NOT_ENVELOPE', 'The body is not a SOAP 1.2 Envelope.');
  }
  const headers = kids(root, NS.soap12, 'Header');
  const bodies = kids(root, NS.soap12, 'Body');
  if (headers.length !== 1 || bodies.length !== 1 || root.children.length !== 2) {
    throw new SoapFault(
      'Sender',
      'SOAP_ENVELOPE_INVALID',
      'The Envelope must hold one Header and one Body.',
    );
  }
  const header = headers[0] as XElement;
  const body = bodies[0] as XElement;
  if (body.children.length !== 1) {
    throw new SoapFault('Sender', 'SOAP_BODY_INVALID', 'The Body must hold exactly one element.');
  }
  const actions = kids(header, NS.wsa, 'Action');
  const action = textOf(actions[0]);
  if (actions.length !== 1 || action === undefined) {
    throw new SoapFault(
      'Sender',
      'SOAP_ACTION_MISSING',
      'The Header must carry one wsa:Action.',
      'wsa:MessageAddressingHeaderRequired',
    );
  }
  const messageId = textOf(kid(header, NS.wsa, 'MessageID'));
  return {
    action,
    messageId: messageId && messageId.length <= 256 ? messageId : undefined,
    header,
    payload: body.children[0] as XElement,
  };
}

const ENVELOPE_NS = `xmlns:env="${NS.soap12}" xmlns:wsa="${NS.wsa}"`;

function addressing(action: string, relatesTo: string | undefined): string {
  return (
    el('wsa:Action', { 'env:mustUnderstand': 'true' }, esc(action)) +
    el('wsa:MessageID', {}, `urn:uuid:${randomUUID()}`) +
    (relatesTo !== undefined ? el('wsa:RelatesTo', {}, esc(relatesTo)) : '')
  );
}

/** A response envelope around `payload` (already serialized XML, with its own namespace declarations). */
export function responseEnvelope(
  action: string,
  relatesTo: string | undefined,
  payload: string,
): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<env:Envelope ${ENVELOPE_NS}><env:Header>${addressing(action, relatesTo)}</env:Header>` +
    `<env:Body>${payload}</env:Body></env:Envelope>`
  );
}

/** Pieces of XML text, some already UTF-8 bytes (remembered encodings), written out in order. */
export type XmlChunks = readonly (string | Buffer)[];

/**
 * {@link responseEnvelope} as UTF-8 pieces around a payload in pieces (bytes are copied once, never re-encoded): the
 * caller assembles them into one buffer (http/fhir/bundle.ts AnswerBuffers: reused memory, one write).
 */
export function responseEnvelopeParts(
  action: string,
  relatesTo: string | undefined,
  payload: XmlChunks,
): Buffer[] {
  const parts: Buffer[] = [
    Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>` +
        `<env:Envelope ${ENVELOPE_NS}><env:Header>${addressing(action, relatesTo)}</env:Header><env:Body>`,
    ),
  ];
  for (const p of payload) {
    parts.push(typeof p === 'string' ? Buffer.from(p) : p);
  }
  parts.push(ENVELOPE_END);
  return parts;
}

const ENVELOPE_END = Buffer.from('</env:Body></env:Envelope>');

/** The HTTP status of a fault (SOAP 1.2 HTTP binding: Sender → 400, others → 500). */
export function faultStatus(fault: SoapFault): number {
  return fault.faultCode === 'Sender' ? 400 : 500;
}

/** A SOAP 1.2 fault envelope. */
export function faultEnvelope(fault: SoapFault, relatesTo: string | undefined): string {
  const subcode =
    fault.subcode !== undefined
      ? el('env:Subcode', {}, el('env:Value', {}, esc(fault.subcode)))
      : '';
  const xmlns = fault.subcode?.startsWith('wsse:') === true ? ` xmlns:wsse="${NS.wsse}"` : '';
  const body = el(
    'env:Fault',
    {},
    el('env:Code', {}, el('env:Value', {}, `env:${fault.faultCode}`), subcode),
    el('env:Reason', {}, el('env:Text', { 'xml:lang': 'en' }, esc(fault.message))),
    el(
      'env:Detail',
      {},
      el('opendmp:code', { 'xmlns:opendmp': 'urn:opendmp:error' }, esc(fault.code)),
    ),
  );
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<env:Envelope ${ENVELOPE_NS}${xmlns}><env:Header>` +
    `${addressing('http://www.w3.org/2005/08/addressing/soap/fault', relatesTo)}</env:Header>` +
    `<env:Body>${body}</env:Body></env:Envelope>`
  );
}
