import type { FastifyInstance, FastifyReply } from 'fastify';
import { linkBase } from '../link-base.ts';
import { readPatientRef } from './consent-reading.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import type { ProfileType } from '../../domain/profile/entry.ts';
import { PROFILE_TYPES } from '../../domain/profile/entry.ts';
import { readProfileEntry, stampEntry } from './profile-entry.ts';
import type { ProfileRow } from '../../db/profile.repository.ts';
import type { Deps } from '../../services/deps.ts';
import * as profile from '../../services/profile.ts';
import { exportProfile } from '../../services/profile-export.ts';
import { validateFhirResource } from '../../validation/fhir-schema.ts';
import { FHIR_JSON } from '../error-handler.ts';
import { patientRefFromQuery } from './care-history.routes.ts';
import { searchset } from './bundle.ts';
import { parameterValue, parseToken, requireParameters } from './parameters.ts';
import { actorOf } from '../actor.ts';

/**
 * The medical profile on /fhir (docs/care-history.md "Medical profile"): create, read, search by patient, update
 * and delete Condition, AllergyIntolerance, MedicationStatement, Immunization, Observation and RelatedPerson;
 * GET /fhir/Patient/{id}/$profile (every section at once) and POST /fhir/Patient/{id}/$export-profile. The FHIR
 * resource is read here into the entry the use cases take (services/profile.ts ProfileEntryInput); its stored
 * content is the resource as sent, stamped by the server (domain/profile/entry.ts stampEntry), and served as stored.
 */
type Query = Record<string, string | string[] | undefined>;
type Json = Record<string, unknown>;

/** A FHIR resource of the profile read into the use cases' entry (R4 structure, then the profile's rules). */
function profileEntryOf(type: ProfileType, body: unknown): profile.ProfileEntryInput {
  const structure = validateFhirResource(body, type);
  if (structure.length > 0) {
    throw new DomainFailure(validationError(structure));
  }
  const resource = body as Json;
  const read = readProfileEntry(resource, type, JSON.stringify(resource).length);
  if (!read.ok) {
    throw new DomainFailure(validationError(read.error, 'unprocessable'));
  }
  return { ...read.value, encode: (stamp) => stampEntry(resource, type, stamp) };
}

/** PUT: the resource replacing entry `id`, whose own id, when it gives one, must be that one. */
function replacementOf(
  type: ProfileType,
  body: unknown,
): (id: string) => profile.ProfileEntryInput {
  return (id) => {
    const sentId = (body as Json | undefined)?.['id'];
    if (sentId !== undefined && sentId !== id) {
      throw new DomainFailure(
        domainError(
          'invalid',
          'PROFILE_ID_MISMATCH',
          'The resource id must be the id of the URL.',
          [`${type}.id`],
        ),
      );
    }
    return profileEntryOf(type, body);
  };
}

const MAX_COUNT = 500;
const DEFAULT_COUNT = 100;

function single(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[0] : v;
}

function paging(q: Query): { count: number; offset: number } {
  const c = single(q, '_count');
  const o = single(q, '_offset');
  const count = c === undefined ? DEFAULT_COUNT : Number(c);
  const offset = o === undefined ? 0 : Number(o);
  if (
    !Number.isInteger(count) ||
    count < 1 ||
    count > MAX_COUNT ||
    !Number.isInteger(offset) ||
    offset < 0 ||
    offset > 100_000
  ) {
    throw new DomainFailure(
      domainError(
        'invalid',
        'PROFILE_SEARCH_PAGING',
        `_count takes 1 to ${MAX_COUNT}, _offset 0 to 100000.`,
        ['_count'],
      ),
    );
  }
  return { count, offset };
}

function send(reply: FastifyReply, row: ProfileRow, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('ETag', `W/"${row.version_id}"`)
    .header('Last-Modified', row.updated_at.toUTCString())
    .type(FHIR_JSON)
    .send(row.resource);
}

function ifMatch(header: string | string[] | undefined): number | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (v === undefined) {
    return undefined;
  }
  const m = /^(?:W\/)?"(\d+)"$/.exec(v.trim());
  if (!m?.[1]) {
    throw new DomainFailure(
      domainError('invalid', 'PROFILE_IF_MATCH', 'If-Match takes W/"<versionId>".'),
    );
  }
  return Number(m[1]);
}

export function registerProfileRoutes(app: FastifyInstance, deps: Deps): void {
  for (const type of PROFILE_TYPES) {
    app.post(`/fhir/${type}`, async (request, reply) => {
      const base = linkBase(request, deps.config);
      const { row } = await profile.createEntry(
        deps,
        actorOf(request),
        profileEntryOf(type, request.body),
      );
      reply.header('Location', `${base}/fhir/${type}/${row.id}/_history/${row.version_id}`);
      return send(reply, row, 201);
    });

    app.get(`/fhir/${type}/:id`, async (request, reply) => {
      const { id } = request.params as { id: string };
      const { row } = await profile.readEntry(deps, actorOf(request), type, id);
      return send(reply, row);
    });

    app.get(`/fhir/${type}`, async (request, reply) => {
      const base = linkBase(request, deps.config);
      const actor = actorOf(request);
      const q = request.query as Query;
      const subject = single(q, 'subject.identifier') ?? single(q, 'subject');
      const patient =
        subject !== undefined && q['patient.identifier'] === undefined && q['patient'] === undefined
          ? patientRefFromQuery(
              single(q, 'subject.identifier') !== undefined
                ? { 'patient.identifier': subject }
                : { patient: subject },
              'PROFILE_PATIENT_REQUIRED',
            )
          : patientRefFromQuery(q, 'PROFILE_PATIENT_REQUIRED');
      const codeParam = single(q, 'code');
      const code = codeParam
        ? (() => {
            const t = parseToken(codeParam);
            return { system: t.system, code: t.value };
          })()
        : undefined;
      const { count, offset } = paging(q);
      const { rows, more } = await profile.searchEntries(deps, actor, {
        patient,
        types: [type],
        code,
        count,
        offset,
      });
      const self = `${base}${request.url}`;
      let next: string | undefined;
      if (more) {
        const u = new URL(self);
        u.searchParams.set('_offset', String(offset + count));
        next = u.toString();
      }
      return reply.type(FHIR_JSON).send(
        searchset(
          base,
          self,
          rows.map((r) => ({ resource: r.resource })),
          undefined,
          next,
        ),
      );
    });

    app.put(`/fhir/${type}/:id`, async (request, reply) => {
      const { id } = request.params as { id: string };
      const { row } = await profile.updateEntry(
        deps,
        actorOf(request),
        type,
        id,
        replacementOf(type, request.body),
        ifMatch(request.headers['if-match']),
      );
      return send(reply, row);
    });

    app.delete(`/fhir/${type}/:id`, async (request, reply) => {
      const { id } = request.params as { id: string };
      await profile.deleteEntry(deps, actorOf(request), type, id);
      return reply.code(204).send();
    });
  }

  // Every section of a record's profile at once (the portal's profile page).
  app.get('/fhir/Patient/:id/$profile', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const patient = readPatientRef({ reference: `Patient/${id}` });
    if (!patient) {
      throw new DomainFailure(domainError('not-found', 'REC_NOT_FOUND', 'No such record.'));
    }
    const { count, offset } = paging(request.query as Query);
    const types: readonly ProfileType[] = PROFILE_TYPES;
    const { rows, more } = await profile.searchEntries(deps, actor, {
      patient,
      types,
      count,
      offset,
    });
    const self = `${base}${request.url}`;
    let next: string | undefined;
    if (more) {
      const u = new URL(self);
      u.searchParams.set('_offset', String(offset + count));
      next = u.toString();
    }
    return reply.type(FHIR_JSON).send(
      searchset(
        base,
        self,
        rows.map((r) => ({ resource: r.resource })),
        undefined,
        next,
      ),
    );
  });

  app.post('/fhir/Patient/:id/$export-profile', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    requireParameters(request.body);
    const depositParam = parameterValue(request.body, 'deposit');
    const deposit = depositParam === undefined ? true : depositParam === true;
    const result = await exportProfile(deps, actor, id, { deposit });
    return reply
      .code(result.documentId !== undefined ? 201 : 200)
      .type(FHIR_JSON)
      .send({
        resourceType: 'Parameters',
        parameter: [
          ...(result.documentId !== undefined
            ? [
                {
                  name: 'document',
                  valueReference: { reference: `DocumentReference/${result.documentId}` },
                },
              ]
            : []),
          { name: 'entries', valueInteger: result.entries },
          {
            name: 'content',
            valueAttachment: {
              contentType: 'text/xml',
              title: 'Profil médical',
              data: Buffer.from(result.xml, 'utf8').toString('base64'),
            },
          },
        ],
      });
  });
}

/** CapabilityStatement.rest.resource entries for the profile and the care history (for metadata.routes.ts). */
export function profileCapabilities(): Record<string, unknown>[] {
  const search = (name: string, type: string) => ({ name, type });
  return [
    ...PROFILE_TYPES.map((type) => ({
      type,
      interaction: [
        { code: 'create' },
        { code: 'read' },
        { code: 'search-type' },
        { code: 'update' },
        { code: 'delete' },
      ],
      searchParam: [
        search('patient.identifier', 'token'),
        search('patient', 'reference'),
        search('code', 'token'),
      ],
    })),
    {
      type: 'ExplanationOfBenefit',
      interaction: [{ code: 'search-type' }],
      searchParam: [
        search('patient.identifier', 'token'),
        search('patient', 'reference'),
        search('date', 'date'),
        search('kind', 'token'),
      ],
    },
  ];
}
