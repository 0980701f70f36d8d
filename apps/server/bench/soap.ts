/**
 * The SOAP side of `npm run bench` (issue 19): a structure's software as the DMP sees it — each request with its own
 * VIHF (single use), signed with the demo structure's certificate (src/xds/demo, registered for the author's
 * structure by one call to POST /auth/dev/vihf), ITI-41 Provide and Register of one CDA (inline base64) and ITI-18
 * FindDocuments of a record (LeafClass). Assertions are signed before a load, as many as it should use, so that the
 * measure is the server's work: a real client signs each of its requests too, but on its own machine.
 */
import { randomUUID } from 'node:crypto';
import { demoVihfKey } from '../src/http/auth/dev-vihf.ts';
import { buildAssertion, certificateSubject, signAssertion } from '../src/xds/vihf.ts';
import type { SigningKey, VihfSubject } from '../src/xds/vihf.ts';
import { ACTIONS } from '../src/xds/soap.ts';
import type { DocumentMetadata } from '../src/domain/documents/model.ts';
import {
  envelope,
  iti18,
  metadataOf,
  pnrBody,
  SERVICES,
} from '../test/integration/xds.fixtures.ts';
import { request } from './http-load.ts';

const FIND_DOCUMENTS = 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d';
const APPROVED = "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')";
const SUCCESS = 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success';
const TEST_OID = '1.2.250.1.213.1.4.10';
/** An ExtrinsicObject's start tag, prefixed or not (ADR 0041: answered with rim as its default namespace). */
const EXTRINSIC = Buffer.from('ExtrinsicObject ');
/** The answer's head where its status is (the envelope's header and the AdhocQueryResponse start tag). */
const HEAD_BYTES = 2048;
const SOAP_XML = { 'content-type': 'application/soap+xml; charset=utf-8' };

interface Author {
  readonly idNatPs: string;
  readonly profession: string;
  readonly specialty: string;
  readonly structure: string;
  readonly mode: string;
}

export class SoapBench {
  readonly #pool: string[] = [];
  #signedLate = 0;
  #signedAhead = 0;
  #signingMs = 0;
  readonly #metadata = new Map<string, DocumentMetadata>();

  private readonly base: URL;
  private readonly subject: VihfSubject;
  private readonly key: SigningKey;
  private readonly issuer: string;
  private readonly log: (msg: string) => void;

  private constructor(
    base: URL,
    subject: VihfSubject,
    key: SigningKey,
    issuer: string,
    log: (msg: string) => void,
  ) {
    this.base = base;
    this.subject = subject;
    this.key = key;
    this.issuer = issuer;
    this.log = log;
  }

  /** Registers the demo certificate for the author's structure (through the dev VIHF route) and loads its key. */
  static async start(base: URL, author: Author, log: (msg: string) => void): Promise<SoapBench> {
    const r = await request(base, {
      method: 'POST',
      path: '/auth/dev/vihf',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'professional', ...author }),
    });
    if (r.status !== 200) {
      throw new Error(`dev VIHF ${r.status} ${r.body.toString().slice(0, 300)}`);
    }
    const key = demoVihfKey();
    return new SoapBench(
      base,
      {
        idNatPs: author.idNatPs,
        profession: author.profession,
        specialty: author.specialty,
        structure: author.structure,
        mode: author.mode,
      },
      key,
      certificateSubject(key.certificatePem),
      log,
    );
  }

  #signOne(): string {
    const now = new Date();
    return signAssertion(
      buildAssertion(
        this.subject,
        this.issuer,
        `_${randomUUID()}`,
        new Date(now.getTime() - 60_000),
        new Date(now.getTime() + 3_600_000),
      ),
      this.key,
    );
  }

  /** Signs `n` assertions ahead of a load. */
  async sign(n: number): Promise<void> {
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      this.#pool.push(this.#signOne());
      if (i % 200 === 199) {
        await new Promise((r) => setImmediate(r)); // keep the event loop (and the server's sockets) alive
      }
    }
    const ms = performance.now() - started;
    this.#signingMs += ms;
    this.#signedAhead += n;
    this.log(`${n} VIHF signed ahead in ${(ms / 1000).toFixed(1)} s`);
  }

  #assertion(): string {
    const ready = this.#pool.pop();
    if (ready !== undefined) {
      return ready;
    }
    this.#signedLate++;
    return this.#signOne();
  }

  /**
   * ITI-18 FindDocuments (Approved) of the record of `ins`. Under load (`full` false) the answer is checked as the
   * FHIR search's is — its status, the Success status at its head, its size — and its bytes counted, not kept: keeping
   * and scanning 1.3 MB per answer cost this client, on the server's cores, 3 × the FHIR client's CPU. `full` (once,
   * before the load) keeps the answer (`body`) and counts its DocumentEntries; `bytes` is its size.
   */
  async findDocuments(
    ins: string,
    full = false,
  ): Promise<{ entries?: number; bytes: number; body?: Buffer }> {
    const xml = iti18(this.#assertion(), FIND_DOCUMENTS, {
      $XDSDocumentEntryPatientId: `'${ins}^^^&amp;${TEST_OID}&amp;ISO'`,
      $XDSDocumentEntryStatus: APPROVED,
    });
    const r = await request(this.base, {
      method: 'POST',
      path: `${SERVICES}/registry`,
      headers: SOAP_XML,
      body: xml,
      ...(!full && { discardBody: true, keepHead: HEAD_BYTES }),
    });
    if (r.status !== 200 || r.body.indexOf(SUCCESS) < 0) {
      throw new Error(`ITI-18 ${r.status} ${r.body.subarray(0, 300).toString()}`);
    }
    if (!full) {
      return { bytes: r.bytes };
    }
    let entries = 0;
    for (let at = r.body.indexOf(EXTRINSIC); at >= 0; at = r.body.indexOf(EXTRINSIC, at + 1)) {
      entries++;
    }
    return { entries, bytes: r.bytes, body: r.body };
  }

  /**
   * ITI-41 of one CDA (inline base64) with the metadata its header gives — derived once per record from the first
   * CDA, then only its uniqueId changes (bench CDAs differ by their id and patient only).
   */
  async provide(bytes: Buffer, ins: string, uniqueId: string): Promise<void> {
    let meta = this.#metadata.get(ins);
    if (!meta) {
      meta = metadataOf(bytes);
      if (meta.uniqueId !== uniqueId) {
        throw new Error(`the CDA's uniqueId is ${meta.uniqueId}, not ${uniqueId}`);
      }
      this.#metadata.set(ins, meta);
    }
    const body = pnrBody([{ bytes, meta: { ...meta, uniqueId } }], false);
    const r = await request(this.base, {
      method: 'POST',
      path: `${SERVICES}/repository`,
      headers: SOAP_XML,
      body: envelope(ACTIONS['ITI-41'].request, this.#assertion(), body.xml),
    });
    const text = r.body.toString('utf8');
    if (r.status !== 200 || !text.includes(SUCCESS)) {
      throw new Error(`ITI-41 ${r.status} ${text.slice(0, 300)}`);
    }
  }

  /** Logs how the VIHF were signed (ahead, and during the loads when the pool ran out). */
  report(): void {
    this.log(
      `VIHF: ${this.#signedAhead} signed ahead (${(this.#signingMs / Math.max(1, this.#signedAhead)).toFixed(2)} ms each in this process), ${this.#signedLate} signed during the loads`,
    );
  }
}
