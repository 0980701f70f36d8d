/**
 * Legal representatives of a minor, as operations on the record returning FHIR RelatedPerson resources (issue 17
 * rule 1; services/representation.ts LR1–LR4). RelatedPerson itself is the medical profile's trusted person
 * (profile.routes.ts), so registrations are reached through their Patient:
 *   POST /fhir/Patient/{id}/$representative         the operator registers a representative; body: a RelatedPerson
 *   GET  /fhir/Patient/{id}/$representatives        the holder, a live representative, the operator: a Bundle
 *   POST /fhir/Patient/{id}/$end-representative     the operator ends one now; body: Parameters
 *                                                   `representative` (valueString: the RelatedPerson id)
 * The RelatedPerson of the POST: `identifier[0]` the representative's own identifier (what their token carries as
 * `id`: their INS, or their subject at the patients' identity provider), `name[0]` (text, or given + family),
 * `relationship[0]` (v3 RoleCode: MTH, FTH, GUARD…), `period` (`start` defaults to now; `end` optional; the 18th
 * birthday ends it in any case); `patient`, when present, must be that record.
 */
import type { FastifyInstance } from 'fastify';
import { readPatientRef, type PatientRef } from './consent-reading.ts';
import { DomainFailure, domainError } from '../../domain/errors.ts';
import { majorityAt } from '../../domain/access/representation.ts';
import type { RecordRow } from '../../db/records.repository.ts';
import type { RepresentationRow } from '../../db/representation.repository.ts';
import type { Deps } from '../../services/deps.ts';
import * as service from '../../services/representation.ts';
import { FHIR_JSON } from '../error-handler.ts';
import { linkBase } from '../link-base.ts';
import { searchset } from './bundle.ts';
import { actorOf } from '../actor.ts';
import { locatedThrough, RELATED_PERSON_PATHS } from './operation-locations.ts';

const ROLE_CODE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const MAX_ID = 64;
const MAX_NAME = 200;

type Json = Record<string, unknown>;

function invalid(message: string, location: string): DomainFailure {
  return new DomainFailure(domainError('invalid', 'REP_BODY_INVALID', message, [location]));
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function first(v: unknown): Json | undefined {
  return Array.isArray(v) && isObj(v[0]) ? v[0] : undefined;
}

function text(v: unknown, max: number, location: string): string | undefined {
  if (v === undefined) {
    return undefined;
  }
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) {
    throw invalid(
      `${location} must be a non-empty string of at most ${String(max)} characters.`,
      location,
    );
  }
  return v.trim();
}

function date(v: unknown, location: string): Date | null {
  if (v === undefined) {
    return null;
  }
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(v)) {
    throw invalid(`${location} must be a FHIR date or dateTime.`, location);
  }
  const d = new Date(v.length === 10 ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) {
    throw invalid(`${location} must be a FHIR date or dateTime.`, location);
  }
  return d;
}

/** The POST body as the service's input. Pure; throws REP_BODY_INVALID (400). */
export function readRelatedPerson(body: unknown, patientId: string): service.RepresentationInput {
  if (!isObj(body) || body['resourceType'] !== 'RelatedPerson') {
    throw invalid('The body must be a FHIR RelatedPerson.', 'RelatedPerson');
  }
  const named = body['patient'] === undefined ? undefined : readPatientRef(body['patient']);
  if (body['patient'] !== undefined && (named?.kind !== 'id' || named.id !== patientId)) {
    throw invalid(
      'patient, when given, must be Patient/<the record’s id>.',
      'RelatedPerson.patient',
    );
  }
  const patient: PatientRef = { kind: 'id', id: patientId };
  const identifier = first(body['identifier']);
  const value = text(identifier?.['value'], MAX_ID, 'RelatedPerson.identifier[0].value');
  if (value === undefined) {
    throw invalid(
      'identifier[0].value is required: the representative’s own identifier, the one their token carries as "id".',
      'RelatedPerson.identifier[0].value',
    );
  }
  const system = text(identifier?.['system'], MAX_NAME, 'RelatedPerson.identifier[0].system');
  const name = first(body['name']);
  const given = Array.isArray(name?.['given'])
    ? (name['given'] as unknown[]).filter((g): g is string => typeof g === 'string')
    : [];
  const family = typeof name?.['family'] === 'string' ? name['family'] : '';
  const display =
    text(name?.['text'], MAX_NAME, 'RelatedPerson.name[0].text') ??
    text([...given, family].join(' ').trim() || undefined, MAX_NAME, 'RelatedPerson.name[0]');
  if (display === undefined) {
    throw invalid('name[0] is required (text, or given and family).', 'RelatedPerson.name[0]');
  }
  const coding = first(first(body['relationship'])?.['coding']);
  const relation = text(coding?.['code'], 32, 'RelatedPerson.relationship[0].coding[0].code');
  const period = isObj(body['period']) ? body['period'] : {};
  return {
    patient,
    identifierSystem: system ?? null,
    identifier: value,
    name: display,
    relation: relation ?? null,
    start: date(period['start'], 'RelatedPerson.period.start'),
    end: date(period['end'], 'RelatedPerson.period.end'),
  };
}

/** The registration as a RelatedPerson; the representative's own identifier is shown to the operator only. */
export function toFhirRelatedPerson(
  row: RepresentationRow,
  record: RecordRow,
  now: Date,
  withIdentifier: boolean,
): Json {
  const ends = [row.ends_at, row.ended_at, majorityAt(record.birth_date)].filter(
    (d): d is Date => d !== null,
  );
  const end = new Date(Math.min(...ends.map((d) => d.getTime())));
  return {
    resourceType: 'RelatedPerson',
    id: row.id,
    active: service.isActive(row, record, now),
    patient: {
      reference: `Patient/${record.patient_id}`,
      identifier: { system: `urn:oid:${record.ins_oid}`, value: record.ins },
    },
    ...(withIdentifier && row.identifier !== null
      ? {
          identifier: [
            {
              ...(row.identifier_system ? { system: row.identifier_system } : {}),
              value: row.identifier,
            },
          ],
        }
      : {}),
    ...(row.relation
      ? { relationship: [{ coding: [{ system: ROLE_CODE, code: row.relation }] }] }
      : {}),
    name: [{ text: row.name }],
    period: { start: row.starts_at.toISOString(), end: end.toISOString() },
  };
}

function representativeIdOf(body: unknown): string {
  const parameter = isObj(body) && Array.isArray(body['parameter']) ? body['parameter'] : [];
  const found = parameter.find(
    (p): p is Json =>
      isObj(p) && p['name'] === 'representative' && typeof p['valueString'] === 'string',
  );
  if (!found) {
    throw invalid(
      'Send Parameters with "representative" (valueString: the RelatedPerson id).',
      'Parameters.parameter',
    );
  }
  return found['valueString'] as string;
}

export function registerRepresentativeRoutes(app: FastifyInstance, deps: Deps): void {
  app.post('/fhir/Patient/:id/$representative', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const input = readRelatedPerson(request.body, id);
    const { row, record } = await locatedThrough(RELATED_PERSON_PATHS, () =>
      service.registerRepresentation(deps, actor, input),
    );
    return reply
      .code(201)
      .type(FHIR_JSON)
      .send(toFhirRelatedPerson(row, record, deps.clock.now(), actor.kind === 'operator'));
  });

  app.get('/fhir/Patient/:id/$representatives', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const base = linkBase(request, deps.config);
    const { record, rows } = await service.listRepresentations(deps, actor, { kind: 'id', id });
    const now = deps.clock.now();
    return reply.type(FHIR_JSON).send(
      searchset(
        base,
        `${base}${request.url}`,
        rows.map((r) => ({
          resource: toFhirRelatedPerson(r, record, now, actor.kind === 'operator'),
        })),
        rows.length,
      ),
    );
  });

  app.post('/fhir/Patient/:id/$end-representative', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const { row, record } = await service.endRepresentation(
      deps,
      actor,
      id,
      representativeIdOf(request.body),
    );
    return reply
      .type(FHIR_JSON)
      .send(toFhirRelatedPerson(row, record, deps.clock.now(), actor.kind === 'operator'));
  });
}
