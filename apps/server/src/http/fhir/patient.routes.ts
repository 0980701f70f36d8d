import type { FastifyInstance } from 'fastify';
import { linkBase } from '../link-base.ts';
import { actorOf } from '../actor.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import { isClosureReason } from '../../domain/records/lifecycle.ts';
import { bareOid } from '../../domain/identity/ins.ts';
import type { Deps } from '../../services/deps.ts';
import * as recordsService from '../../services/records.ts';
import { mergeRecords } from '../../services/record-merge.ts';
import {
  ASSIGN_NIR_PARAMETERS,
  locatedThrough,
  MERGE_PARAMETERS,
  PATIENT_PATHS,
} from './operation-locations.ts';
import { setMedecinTraitant } from '../../services/consent.ts';
import { callerStanding, identityDisclosed } from '../../services/standing.ts';
import { searchset } from './bundle.ts';
import { FHIR_JSON } from '../error-handler.ts';
import { parameterValue, parseToken, requireParameters } from './parameters.ts';
import { toFhirPatient } from './patient-mapping.ts';
import { PATIENT_FHIR_PATHS, readFhirPatient } from './patient-reading.ts';
import { requireFhirStructure } from './structure.ts';

export function registerPatientRoutes(app: FastifyInstance, deps: Deps): void {
  app.post('/fhir/Patient', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const actor = actorOf(request);
    requireFhirStructure(request.body, 'Patient');
    const claim = readFhirPatient(request.body);
    if (!claim.ok) {
      throw new DomainFailure(validationError(claim.error));
    }
    const row = await locatedThrough(PATIENT_FHIR_PATHS, () =>
      recordsService.createRecord(deps, actor, claim.value),
    );
    return reply
      .code(201)
      .header('Location', `${base}/fhir/Patient/${row.patient_id}/_history/${row.version}`)
      .type(FHIR_JSON)
      .send(toFhirPatient(row, { traits: true }));
  });

  app.get('/fhir/Patient', async (request, reply) => {
    const base = linkBase(request, deps.config);
    const actor = actorOf(request);
    const query = request.query as Record<string, string | string[] | undefined>;
    const raw = query['identifier'];
    if (typeof raw !== 'string' || raw === '') {
      throw new DomainFailure(
        domainError(
          'invalid',
          'REC_IDENTIFIER_REQUIRED',
          'Search a record by identifier=urn:oid:1.2.250.1.213.1.4.8|<INS> (or the NIA, test or demo OID).',
          ['identifier'],
        ),
      );
    }
    const token = parseToken(raw);
    const row = await recordsService.lookupRecord(
      deps,
      actor,
      token.value,
      token.system ? bareOid(token.system) : undefined,
    );
    const self = `${base}/fhir/Patient?identifier=${encodeURIComponent(raw)}`;
    if (!row) {
      return reply.type(FHIR_JSON).send(searchset(base, self, [], 0));
    }
    const standing =
      actor.kind === 'professional' ? await callerStanding(deps, actor, row) : undefined;
    // Issue 17 rule 8: the identity traits go to whoever may consult the record (decideAccess record.identity).
    const resource = toFhirPatient(row, {
      traits: await identityDisclosed(deps, actor, row),
      ...(standing ? { standing } : {}),
      // The caller's system is echoed for the INS it named (not for a former NIA: the record's NIR keeps its own).
      ...(token.system && token.value === row.ins ? { sentIdentifierSystem: token.system } : {}),
    });
    return reply.type(FHIR_JSON).send(searchset(base, self, [{ resource }], 1));
  });

  app.get('/fhir/Patient/:id', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const row = await recordsService.readRecord(deps, actor, id);
    return reply.type(FHIR_JSON).send(toFhirPatient(row, { traits: true }));
  });

  // The médecin traitant, set by the patient (or representative) or the operator: JSON Patch on generalPractitioner.
  app.patch('/fhir/Patient/:id', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const ops = request.body;
    if (
      !Array.isArray(ops) ||
      ops.length !== 1 ||
      typeof ops[0] !== 'object' ||
      ops[0] === null ||
      Array.isArray(ops[0])
    ) {
      throw new DomainFailure(
        domainError(
          'invalid',
          'REC_PATCH_INVALID',
          'Send a JSON Patch array with one operation on /generalPractitioner.',
        ),
      );
    }
    const op = ops[0] as { op?: unknown; path?: unknown; value?: unknown };
    const path = typeof op.path === 'string' ? op.path : '';
    if (!/^\/generalPractitioner(\/0|\/-)?$/.test(path)) {
      throw new DomainFailure(
        domainError(
          'unprocessable',
          'REC_PATCH_PATH_NOT_ALLOWED',
          'Only /generalPractitioner may be patched on Patient.',
          ['Patient.generalPractitioner'],
        ),
      );
    }
    let idNatPs: string | null = null;
    if (op.op === 'add' || op.op === 'replace') {
      const value = (Array.isArray(op.value) ? (op.value as unknown[])[0] : op.value) as
        { identifier?: { system?: unknown; value?: unknown } } | undefined;
      const ident = value?.identifier;
      if (
        !ident ||
        typeof ident.value !== 'string' ||
        !/^(urn:oid:)?1\.2\.250\.1\.71\.4\.2\.1$/.test(
          typeof ident.system === 'string' ? ident.system : '',
        )
      ) {
        throw new DomainFailure(
          domainError(
            'invalid',
            'REC_GP_IDENTIFIER',
            'generalPractitioner must be a Reference with identifier system urn:oid:1.2.250.1.71.4.2.1 and the IdNat_PS.',
            ['Patient.generalPractitioner'],
          ),
        );
      }
      idNatPs = ident.value;
    } else if (op.op !== 'remove') {
      throw new DomainFailure(
        domainError('invalid', 'REC_PATCH_INVALID', 'op must be add, replace or remove.'),
      );
    }
    const row = await locatedThrough(PATIENT_PATHS, () =>
      setMedecinTraitant(deps, actor, id, idNatPs),
    );
    return reply
      .type(FHIR_JSON)
      .send(toFhirPatient(row, { traits: actor.kind !== 'professional' }));
  });

  app.post('/fhir/Patient/:id/$close', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    requireParameters(request.body);
    const reason =
      parameterValue(request.body, 'reason') ??
      (actor.kind === 'operator' ? undefined : 'holder-request');
    if (!isClosureReason(reason)) {
      throw new DomainFailure(
        domainError(
          'invalid',
          'REC_CLOSURE_REASON',
          'reason must be holder-request, death or operator-decision.',
          ["Parameters.parameter.where(name='reason')"],
        ),
      );
    }
    const comment = parameterValue(request.body, 'comment');
    const row = await recordsService.changeRecord(deps, actor, id, {
      type: 'close',
      reason,
      comment: typeof comment === 'string' ? comment.slice(0, 500) : null,
    });
    return reply.type(FHIR_JSON).send(toFhirPatient(row, { traits: true }));
  });

  // Issue 17 rule 11: the operator gives a record created under an NIA its NIR; body: Parameters with
  // `identifier` (valueIdentifier, system urn:oid:1.2.250.1.213.1.4.8).
  app.post('/fhir/Patient/:id/$assign-nir', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    requireParameters(request.body);
    const identifier = parameterValue(request.body, 'identifier') as
      { system?: unknown; value?: unknown } | undefined;
    if (!identifier || typeof identifier.value !== 'string') {
      throw new DomainFailure(
        domainError(
          'invalid',
          'REC_NIR_REQUIRED',
          'Give the NIR as a parameter "identifier" (valueIdentifier with system urn:oid:1.2.250.1.213.1.4.8).',
          ["Parameters.parameter.where(name='identifier')"],
        ),
      );
    }
    const nir = {
      value: identifier.value,
      system: typeof identifier.system === 'string' ? bareOid(identifier.system) : undefined,
    };
    const row = await locatedThrough(ASSIGN_NIR_PARAMETERS, () =>
      recordsService.assignNir(deps, actor, id, nir),
    );
    return reply.type(FHIR_JSON).send(toFhirPatient(row, { traits: true }));
  });

  // Issue 17 rule 11 (ADR 0016): the operator merges the record `source-patient` (valueReference Patient/{id})
  // into this one, confirming the identity check (`confirm-identity` valueBoolean true). Answers the survivor.
  app.post('/fhir/Patient/:id/$merge', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    requireParameters(request.body);
    const source = parameterValue(request.body, 'source-patient') as
      { reference?: unknown } | undefined;
    const match =
      typeof source?.reference === 'string' ? /^Patient\/([^/]+)$/.exec(source.reference) : null;
    const confirmed = parameterValue(request.body, 'confirm-identity') === true;
    const outcome = await locatedThrough(MERGE_PARAMETERS, () =>
      mergeRecords(deps, actor, id, match?.[1] ?? '', confirmed),
    );
    return reply.type(FHIR_JSON).send(toFhirPatient(outcome.survivor, { traits: true }));
  });

  app.post('/fhir/Patient/:id/$reopen', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const row = await recordsService.changeRecord(deps, actor, id, { type: 'reopen' });
    return reply.type(FHIR_JSON).send(toFhirPatient(row, { traits: true }));
  });

  app.post('/fhir/Patient/:id/$request-deletion', async (request, reply) => {
    const actor = actorOf(request);
    const { id } = request.params as { id: string };
    const row = await recordsService.changeRecord(deps, actor, id, { type: 'request-deletion' });
    return reply.type(FHIR_JSON).send(toFhirPatient(row, { traits: true }));
  });

  app.post('/fhir/Patient/$opposition', async (request, reply) => {
    const actor = actorOf(request);
    requireParameters(request.body);
    const identifier = parameterValue(request.body, 'identifier') as
      { system?: unknown; value?: unknown } | undefined;
    const action = parameterValue(request.body, 'action') ?? 'register';
    if (
      !identifier ||
      typeof identifier.value !== 'string' ||
      (action !== 'register' && action !== 'lift')
    ) {
      throw new DomainFailure(
        domainError(
          'invalid',
          'REC_OPPOSITION_PARAMETERS',
          'Send Parameters with identifier (valueIdentifier: INS system and value) and action (valueCode register|lift).',
        ),
      );
    }
    const system = typeof identifier.system === 'string' ? bareOid(identifier.system) : undefined;
    const result = await recordsService.setOpposition(
      deps,
      actor,
      identifier.value,
      system,
      action,
    );
    return reply.type(FHIR_JSON).send({
      resourceType: 'Parameters',
      parameter: [
        { name: 'changed', valueBoolean: result.changed },
        { name: 'recordClosed', valueBoolean: result.closedRecord },
      ],
    });
  });
}
