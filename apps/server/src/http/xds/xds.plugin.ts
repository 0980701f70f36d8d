/**
 * The DMP's SOAP web services (issue 19; product.md §3), one Fastify plugin with its own body parsing, authentication
 * (the VIHF, not a bearer token) and error mapping (SOAP faults, XDS RegistryErrors — never an OperationOutcome):
 *
 *   POST /si-dmp-server/v2/services/repository      ITI-41, ITI-43
 *   POST /si-dmp-server/v2/services/registry        ITI-18, ITI-57
 *   POST /si-dmp-server/v2/services/patients        TD0.2 (HL7v3 PRPA_IN201307UV02)
 *   POST /si-dmp-server/v2/services/habilitations   setAuthorization (AJOUT)
 *
 * A request, in order:
 * S1. Body: `application/soap+xml` (inline base64 documents) or `multipart/related` MTOM/XOP (xds/mtom.ts), at most
 *     the body limit of the FHIR side; anything else is a 415 fault.
 * S2. The envelope is parsed hardened (xds/xml.ts: no DTD, no entity, depth and size limits) and, on `registry` and
 *     `repository`, validated against the ebRS 3.0 / XDS.b schemas (xds/schema.ts): invalid → refused whole (a Sender
 *     fault, XML_SCHEMA_INVALID).
 * S3. SOAP 1.2 + WS-Addressing (xds/soap.ts): wsa:Action names a transaction this service serves, else
 *     `wsa:ActionNotSupported`.
 * S4. The VIHF (xds/vihf.ts) against the certificates registered for the structure; each assertion used once — its
 *     use written alone before the request, or, on a single PostgreSQL, with the request's own writes: an ITI-18's
 *     read trace (ADR 0037), an ITI-41's deposit statement, an ITI-57's update transaction (ADR 0039) — one commit for
 *     both; the answer leaves only once the use is committed. A refusal is a `wsse:InvalidSecurity` (or
 *     `wsse:FailedAuthentication`) fault, counted with the failed authentications (traced on the system chain, per
 *     address and minute, as a bad bearer token is).
 * S5a. A VIHF whose LPS_ID the operator registered as deposit-only (OPENDMP_VIHF_DEPOSIT_ONLY_SOFTWARE) acts as its
 *     structure's software with the deposit profile (issue 17 rule 12): deposits and management, no consultation.
 * S5. The VIHF's actor (the professional it names) is charged on the per-actor quotas — the same buckets as their
 *     bearer requests; nothing is counted by client address: a hospital's gateway sends all its software's calls
 *     from one address. Past a quota: a Sender fault with the quota's code, HTTP 429 and Retry-After.
 * S6. The call runs as the VIHF's actor, with the channel and software recorded in every trace; the answer is
 *     MTOM when the request was.
 */
import { DomainFailure } from '../../domain/errors.ts';
import { AnswerBuffers } from '../answer-buffers.ts';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../domain/access/actor.ts';
import type { Deps } from '../../services/deps.ts';
import { documentDeps } from '../../services/documents/context.ts';
import {
  assertionKey,
  captureAssertion,
  VihfFailure,
  verifyVihf,
  type VerifiedVihf,
} from '../../xds/vihf.ts';
import {
  cachedCertificateLookup,
  sweepUsedAssertions,
  useAssertion,
} from '../../xds/vihf-store.ts';
import { confirmSingleUse } from '../../services/audit.ts';
import { singleNode } from '../../db/engine.ts';
import { Lru } from '../../crypto/lru.ts';
import { SingleUseRefused, withSingleUse, type SingleUse } from '../../services/single-use.ts';
import {
  buildMultipartRelated,
  contentTypeParams,
  MtomFailure,
  parseMultipartRelated,
} from '../../xds/mtom.ts';
import { validateEnvelope } from '../../xds/schema.ts';
import {
  ACTIONS,
  type XmlChunks,
  faultEnvelope,
  faultStatus,
  readEnvelope,
  responseEnvelope,
  responseEnvelopeParts,
  SoapFault,
  transactionOf,
  type Transaction,
} from '../../xds/soap.ts';
import { parseXml, XmlFailure, type XElement } from '../../xds/xml.ts';
import { provideAndRegister, retrieveDocumentSet, retrieveResponse } from './repository.ts';
import { registryStoredQuery } from './registry.ts';
import { updateDocumentSet } from './registry-update.ts';
import { patientExistence } from './patients.ts';
import { setAuthorization } from './habilitations.ts';

export const XDS_PREFIX = '/si-dmp-server/v2/services';
/** The repositoryUniqueId of this service's repository (an OID under 2.25, fixed for the project). */
export const REPOSITORY_UNIQUE_ID = '2.25.256127303677869336298878285474188337170';

const SERVICES: Readonly<Record<string, readonly Transaction[]>> = {
  repository: ['ITI-41', 'ITI-43'],
  registry: ['ITI-18', 'ITI-57'],
  patients: ['TD0.2'],
  habilitations: ['HABILITATIONS'],
};

export interface XdsOptions {
  /** Failed authentications (VIHF refused): the same aggregated trace and quota as a bad bearer token. */
  readonly onAuthFailure?: (reason: string, request: FastifyRequest) => void;
  /** Maps a verified actor to the one the call acts as (the same resolver as the bearer tokens). */
  readonly resolveActor?: (actor: Actor) => Promise<Actor>;
  /**
   * The per-actor quotas, charged once the VIHF is verified (one request; the body's bytes as deposited bytes):
   * throws a rate-limited DomainFailure (Retry-After set on the reply) to refuse the call.
   */
  readonly charge?: (actor: Actor, bodyBytes: number, reply: FastifyReply) => void;
}

const FAULT_ACTION = 'http://www.w3.org/2005/08/addressing/soap/fault';
/** Assertions remembered as used by this process (about 150 bytes each). */
const USED_HERE = 4096;
const REPLAYED = 'This assertion was used already: each VIHF is used once.';
/**
 * The transactions whose single use is written with their own writes on a single PostgreSQL (ADR 0037, ADR 0039);
 * the others (ITI-43, TD0.2, the authorizations, and all of them on Citus) write it alone before their work.
 */
const DEFERRED: ReadonlySet<Transaction> = new Set<Transaction>(['ITI-18', 'ITI-41', 'ITI-57']);
/** Faults of a quota refusal: HTTP 429 (with the Retry-After the quota set), not the Sender fault's 400. */
const throttled = new WeakSet<SoapFault>();

interface Outgoing {
  readonly status: number;
  /** The envelope as text, or already as UTF-8 bytes (ITI-18: remembered encodings copied as they are). */
  readonly envelope: string | Buffer;
  /** Gives the envelope's reused memory back once the answer is over (AnswerBuffers). */
  readonly release?: () => void;
  readonly action: string;
  readonly attachments?: { id: string; mimeType: string; bytes: Buffer }[];
}

interface SoapBody {
  readonly root: Buffer;
  readonly attachments: ReadonlyMap<string, Buffer>;
  readonly mtom: boolean;
}

function readBody(request: FastifyRequest): SoapBody {
  const contentType = request.headers['content-type'] ?? '';
  const body = request.body;
  if (!Buffer.isBuffer(body)) {
    throw new SoapFault('Sender', 'SOAP_MEDIA_TYPE', 'A SOAP 1.2 body is required.');
  }
  const { type } = contentTypeParams(contentType);
  if (type === 'multipart/related') {
    try {
      const mp = parseMultipartRelated(contentType, body);
      return { root: mp.root, attachments: mp.parts, mtom: true };
    } catch (e) {
      if (e instanceof MtomFailure) {
        throw new SoapFault('Sender', e.code, e.message);
      }
      throw e;
    }
  }
  return { root: body, attachments: new Map(), mtom: false };
}

function send(
  reply: FastifyReply,
  status: number,
  envelope: string | Buffer,
  action: string,
  mtom: boolean,
  attachments: { id: string; mimeType: string; bytes: Buffer }[] = [],
): FastifyReply {
  if (mtom) {
    const out = buildMultipartRelated(
      typeof envelope === 'string' ? envelope : envelope.toString('utf8'),
      attachments,
      action,
      `MIMEBoundary_${randomUUID()}`,
    );
    return reply.code(status).header('content-type', out.contentType).send(out.body);
  }
  return reply
    .code(status)
    .header('content-type', `application/soap+xml; charset=utf-8; action="${action}"`)
    .send(typeof envelope === 'string' ? Buffer.from(envelope, 'utf8') : envelope);
}

/** Registers the four services. */
export function registerXdsRoutes(app: FastifyInstance, deps: Deps, opts: XdsOptions = {}): void {
  const docs = documentDeps(deps);
  // ITI-18 answers of a few hundred entries are ~1.3 MB (6 KB an ExtrinsicObject).
  const answers = new AnswerBuffers({ largest: 2 * 1024 * 1024, keepBytes: 32 * 1024 * 1024 });
  const depositOnly = new Set(deps.config.vihfDepositOnlySoftware ?? []);
  /**
   * The assertions whose single use this process wrote lately (a bounded memory): a deferred request (ITI-18, ITI-41,
   * ITI-57) naming one of them has its use written alone, before any work — the database refuses the replay there,
   * unserved and uncharged — rather than with its trace or deposit (ADR 0037, 0039). Only a shortcut: the database
   * decides every use.
   */
  const usedHere = new Lru<string, true>(USED_HERE);
  // The single-use keys of expired assertions are of no more use (they are refused as expired): swept hourly.
  const sweeper = setInterval(() => {
    sweepUsedAssertions(deps.sql, new Date(deps.clock.now().getTime() - 3600_000)).catch(
      () => undefined,
    );
  }, 3600_000);
  sweeper.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
  });

  void app.register(async (scope) => {
    scope.addContentTypeParser(
      ['application/soap+xml', 'multipart/related', 'application/xop+xml', 'text/xml'],
      { parseAs: 'buffer' },
      (_request, body, done) => {
        done(null, body);
      },
    );
    // Anything thrown outside a handler's own mapping (body too large, bad media type…) is a SOAP fault.
    scope.setErrorHandler(
      (error: Error & { statusCode?: number; code?: string }, request, reply) => {
        // A refusal raised by a hook before the service (a quota: 429 with its Retry-After, already set) is the
        // sender's, with its own code and status — not a failure of the service.
        const refused =
          error instanceof DomainFailure && error.error.kind === 'rate-limited'
            ? new SoapFault('Sender', error.error.code, error.error.message)
            : undefined;
        const fault =
          refused ??
          (error instanceof SoapFault
            ? error
            : error.statusCode === 413
              ? new SoapFault(
                  'Sender',
                  'HTTP_BODY_TOO_LARGE',
                  'The request is larger than the service accepts.',
                )
              : error.statusCode === 415
                ? new SoapFault(
                    'Sender',
                    'SOAP_MEDIA_TYPE',
                    'application/soap+xml or multipart/related (MTOM) is required.',
                  )
                : error.statusCode !== undefined && error.statusCode < 500
                  ? new SoapFault('Sender', 'SOAP_REQUEST_INVALID', 'The request cannot be read.')
                  : new SoapFault(
                      'Receiver',
                      'XDS_INTERNAL',
                      'The service failed; nothing was written.',
                    ));
        if (fault.faultCode === 'Receiver') {
          request.log.error({ err: error }, 'soap service failure');
        }
        return send(
          reply,
          refused ? 429 : error.statusCode === 413 ? 413 : faultStatus(fault),
          faultEnvelope(fault, undefined),
          'http://www.w3.org/2005/08/addressing/soap/fault',
          false,
        );
      },
    );

    scope.post<{ Params: { service: string } }>(
      `${XDS_PREFIX}/:service`,
      { config: { public: true } },
      async (request, reply) => {
        const served = SERVICES[request.params.service];
        if (!served) {
          return reply
            .code(404)
            .header('content-type', 'text/plain; charset=utf-8')
            .send('Unknown service');
        }
        let relatesTo: string | undefined;
        let mtom = false;
        let outgoing: Outgoing;
        try {
          const body = readBody(request);
          mtom = body.mtom;
          const validate =
            request.params.service === 'registry' || request.params.service === 'repository';
          let root: XElement;
          // The VIHF assertion is written out of the same hardened parse (xds/xmldsig.ts D1), before the tree goes.
          let captured: string | undefined;
          try {
            root = parseXml(body.root, {
              validate: (doc) => {
                if (validate) {
                  validateEnvelope(doc);
                }
                captured = captureAssertion(doc);
              },
            });
          } catch (e) {
            if (e instanceof XmlFailure) {
              throw new SoapFault('Sender', e.code, e.message);
            }
            throw e;
          }
          const envelope = readEnvelope(root);
          relatesTo = envelope.messageId;
          const transaction = transactionOf(envelope.action);
          if (!transaction || !served.includes(transaction)) {
            throw new SoapFault(
              'Sender',
              'SOAP_ACTION_NOT_SUPPORTED',
              `This service does not serve the action ${envelope.action.slice(0, 100)}.`,
              'wsa:ActionNotSupported',
            );
          }
          // S4: the VIHF.
          const authFault = (e: VihfFailure): SoapFault => {
            opts.onAuthFailure?.(e.code, request);
            return new SoapFault(
              'Sender',
              e.code,
              e.message,
              e.code === 'VIHF_MISSING' || e.code === 'VIHF_UNSIGNED'
                ? 'wsse:InvalidSecurity'
                : 'wsse:FailedAuthentication',
            );
          };
          let actor: Actor;
          let structure: string;
          // ITI-18, ITI-41 and ITI-57 on one PostgreSQL: the single use goes with the request's own writes — its read
          // trace's append (ADR 0037), its deposit's statement, its update's transaction (ADR 0039) — no commit of its
          // own; a replay's trace or deposit is not written and the request is refused.
          let use: SingleUse | undefined;
          // Whether the deferred use's VIHF was verified on remembered certificates.
          let remembered = false;
          const now = deps.clock.now();
          // Verified on the structure's remembered certificates when there are some, confirmed by the statement that
          // records the single use (the certificate still registered and not revoked); a refusal or a failed
          // confirmation on remembered rows is decided again on fresh ones (caches.ts vihfCertificates).
          const attempt = async (
            fresh: boolean,
            deferred: boolean,
          ): Promise<VerifiedVihf | 'unconfirmed'> => {
            const lookup = cachedCertificateLookup(deps.sql, deps.caches.vihfCertificates, fresh);
            let v: VerifiedVihf;
            try {
              v = await verifyVihf(captured, root, lookup, now, {
                sha1: deps.config.xdsRefuseSha1Signatures !== true,
              });
            } catch (e) {
              if (e instanceof VihfFailure && lookup.remembered) {
                return 'unconfirmed';
              }
              throw e;
            }
            remembered = lookup.remembered;
            if (deferred) {
              return v;
            }
            const key = assertionKey(v.context);
            const used = await useAssertion(
              deps.sql,
              key,
              v.context.notOnOrAfter,
              v.context.certificateId,
            );
            if (used) {
              usedHere.set(key, true);
              return v;
            }
            if (lookup.remembered) {
              return 'unconfirmed';
            }
            throw new VihfFailure('VIHF_REPLAYED', REPLAYED);
          };
          /** Verified, and its single use written alone (before the request's work). */
          const alone = async (fresh: boolean): Promise<VerifiedVihf> => {
            let v = await attempt(fresh, false);
            if (v === 'unconfirmed') {
              v = await attempt(true, false);
            }
            if (v === 'unconfirmed') {
              throw new Error('a fresh VIHF verification is never unconfirmed');
            }
            return v;
          };
          /**
           * Runs the request's work with its single use pending, when it has one (DEFERRED): written by the work's own
           * writes, else alone after it, before the answer leaves. A use refused there — a replay, or the remembered
           * certificate revoked meanwhile — is decided as without the deferral: on fresh certificates when remembered
           * ones verified it, the use written alone, then the work done again; else VIHF_REPLAYED. Nothing the refused
           * work would have written was written (its trace or deposit went with the use, or not at all).
           */
          const withUse = async <T>(work: () => Promise<T>): Promise<T> => {
            if (!use) {
              return work();
            }
            const pending = use;
            try {
              const out = await withSingleUse(pending, async () => {
                const answer = await work();
                // No write of the request committed its use (none made, a refusal answered, a transaction rolled
                // back): written now, alone — the request's own already, if a rolled-back write carried it.
                await confirmSingleUse(deps, pending);
                return answer;
              });
              usedHere.set(pending.key, true);
              return out;
            } catch (e) {
              if (!(e instanceof SingleUseRefused)) {
                throw e;
              }
              try {
                if (!remembered) {
                  throw new VihfFailure('VIHF_REPLAYED', REPLAYED);
                }
                await alone(true);
              } catch (f) {
                if (f instanceof VihfFailure) {
                  throw authFault(f);
                }
                throw f;
              }
              return work();
            }
          };
          try {
            let verified: VerifiedVihf;
            if (DEFERRED.has(transaction) && (await singleNode(deps.sql))) {
              const v = await attempt(false, true);
              const key = v === 'unconfirmed' ? undefined : assertionKey(v.context);
              if (v !== 'unconfirmed' && key !== undefined && usedHere.get(key) === undefined) {
                verified = v;
                use = {
                  key,
                  expiresAt: v.context.notOnOrAfter,
                  certificateId: v.context.certificateId,
                  by: randomUUID(),
                  confirmed: false,
                };
              } else {
                verified = await alone(v === 'unconfirmed');
              }
            } else {
              verified = await alone(false);
            }
            structure = verified.context.structure;
            const software = verified.context.software;
            const client = {
              channel: 'soap' as const,
              ...(software.id !== undefined && { software: software.id }),
              ...(software.homologation !== undefined && {
                homologation: software.homologation,
              }),
            };
            actor =
              software.id !== undefined && depositOnly.has(software.id)
                ? // S5a: a software the operator registered as deposit-only acts as its structure's software with the
                  // deposit profile (issue 17 rule 12): it deposits and manages, it consults nothing (the policy's
                  // ACCESS_SOFTWARE_DEPOSIT_ONLY, traced), whoever the VIHF names.
                  {
                    kind: 'software',
                    id: software.id,
                    structure: verified.context.structure,
                    profile: 'deposit',
                    ...(software.name !== undefined && { name: software.name }),
                    client,
                  }
                : {
                    ...verified.actor,
                    ...(verified.actor.kind === 'professional' && { client }),
                  };
          } catch (e) {
            if (e instanceof VihfFailure) {
              throw authFault(e);
            }
            throw e;
          }
          if (opts.resolveActor) {
            actor = await opts.resolveActor(actor);
          }
          // S5: the VIHF's professional is charged as their bearer requests are (never the client address).
          try {
            opts.charge?.(actor, Buffer.isBuffer(request.body) ? request.body.length : 0, reply);
          } catch (e) {
            if (e instanceof DomainFailure && e.error.kind === 'rate-limited') {
              const fault = new SoapFault('Sender', e.error.code, e.error.message);
              throttled.add(fault);
              throw fault;
            }
            throw e;
          }
          request.actor = actor;
          const action = ACTIONS[transaction].response;
          switch (transaction) {
            case 'ITI-41': {
              const out = await withUse(() =>
                provideAndRegister(docs, actor, envelope.payload, body.attachments, {
                  required: deps.config.xdsRequireSubmissionSignature === true,
                  structure,
                  certificates: cachedCertificateLookup(
                    deps.sql,
                    deps.caches.vihfCertificates,
                    true,
                  ),
                  now: deps.clock.now(),
                  sha1: deps.config.xdsRefuseSha1Signatures !== true,
                }),
              );
              outgoing = {
                status: out.status,
                envelope: responseEnvelope(action, relatesTo, out.payload),
                action,
              };
              break;
            }
            case 'ITI-43': {
              const got = await retrieveDocumentSet(
                docs,
                actor,
                envelope.payload,
                REPOSITORY_UNIQUE_ID,
              );
              const out = retrieveResponse(got.documents, got.issues, mtom);
              outgoing = {
                status: 200,
                envelope: responseEnvelope(action, relatesTo, out.payload),
                action,
                attachments: out.attachments,
              };
              break;
            }
            case 'ITI-18': {
              const query = (): Promise<XmlChunks> =>
                registryStoredQuery(docs, actor, envelope.payload, REPOSITORY_UNIQUE_ID);
              const payload = await withUse(query);
              // One buffer of reused memory, as the FHIR search answers (a fresh megabyte per answer cost more
              // than writing it: page faults and the collector's external memory).
              const { body: answer, release } = answers.assemble(
                responseEnvelopeParts(action, relatesTo, payload),
              );
              outgoing = { status: 200, envelope: answer, action, release };
              break;
            }
            case 'ITI-57': {
              const payload = await withUse(() => updateDocumentSet(docs, actor, envelope.payload));
              outgoing = {
                status: 200,
                envelope: responseEnvelope(action, relatesTo, payload),
                action,
              };
              break;
            }
            case 'TD0.2': {
              const payload = await patientExistence(
                deps,
                actor,
                envelope.payload,
                deps.clock.now(),
              );
              outgoing = {
                status: 200,
                envelope: responseEnvelope(action, relatesTo, payload),
                action,
              };
              break;
            }
            case 'HABILITATIONS': {
              const payload = await setAuthorization(deps, actor, envelope.payload);
              outgoing = {
                status: 200,
                envelope: responseEnvelope(action, relatesTo, payload),
                action,
              };
              break;
            }
          }
        } catch (e) {
          if (!(e instanceof SoapFault)) {
            throw e;
          }
          outgoing = {
            status: throttled.has(e) ? 429 : faultStatus(e),
            envelope: faultEnvelope(e, relatesTo),
            action: FAULT_ACTION,
          };
        }
        if (outgoing.release) {
          reply.raw.once('close', outgoing.release);
        }
        return send(
          reply,
          outgoing.status,
          outgoing.envelope,
          outgoing.action,
          mtom,
          outgoing.attachments,
        );
      },
    );
  });
}
