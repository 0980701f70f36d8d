import type { DomainIssue } from '../../domain/errors.ts';
import type { Result } from '../../domain/result.ts';
import { err, ok } from '../../domain/result.ts';
import { UUID_SOURCE } from '../../domain/identity/uuid.ts';
import type { PatientRef } from '../../domain/access/patient-ref.ts';
import type { ConsentIntent } from '../../domain/access/consent-intent.ts';

const PATIENT_REFERENCE = new RegExp(`^(?:.*/)?Patient/(${UUID_SOURCE})$`);

/**
 * Reading a FHIR Consent posted by a professional's software or by the patient (docs/api.md "Consent"):
 *  C1. status must be active; patient = the INS (patient.identifier) or Patient/{id} (patient.reference);
 *  C2. provision.type permit (default) with one actor → an authorization of that professional (IdNat_PS,
 *      urn:oid:1.2.250.1.71.4.2.1) or that structure's care team (IdNat_Struct, urn:oid:1.2.250.1.71.4.2.2);
 *  C3. provision.type deny with one professional actor → a block; with one structure actor → an objection to that
 *      care team; with a provision.purpose from TRE_R248 (bris_de_glace or centre_15; NOS canonical system or
 *      urn:oid:1.2.250.1.213.1.1.4.248) and no actor → an objection to that emergency mode.
 */
export const IDNAT_PS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';
export const IDNAT_STRUCT_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.2';
export const TRE_R248_SYSTEM =
  'https://mos.esante.gouv.fr/NOS/TRE_R248-ModeAcces/FHIR/TRE-R248-ModeAcces';
const TRE_R248_SYSTEMS = new Set([
  TRE_R248_SYSTEM,
  'urn:oid:1.2.250.1.213.1.1.4.248',
  '1.2.250.1.213.1.1.4.248',
]);
const PS_SYSTEMS = new Set([IDNAT_PS_SYSTEM, '1.2.250.1.71.4.2.1']);
const STRUCT_SYSTEMS = new Set([IDNAT_STRUCT_SYSTEM, '1.2.250.1.71.4.2.2']);

export type { PatientRef };

export type { ConsentIntent };

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function issue(code: string, message: string, location: string): DomainIssue {
  return { code, message, location: [location] };
}

export function readPatientRef(patient: unknown): PatientRef | undefined {
  if (!isObj(patient)) {
    return undefined;
  }
  const identifier = patient['identifier'];
  if (isObj(identifier) && typeof identifier['value'] === 'string') {
    return {
      kind: 'ins',
      system: typeof identifier['system'] === 'string' ? identifier['system'] : undefined,
      value: identifier['value'],
    };
  }
  const reference = patient['reference'];
  if (typeof reference === 'string') {
    const m = PATIENT_REFERENCE.exec(reference);
    if (m?.[1]) {
      return { kind: 'id', id: m[1].toLowerCase() };
    }
  }
  return undefined;
}

export function readConsent(
  body: unknown,
): Result<{ patient: PatientRef; intent: ConsentIntent }, DomainIssue[]> {
  if (!isObj(body) || body['resourceType'] !== 'Consent') {
    return err([
      issue('CONSENT_NOT_A_CONSENT', 'The body must be a FHIR Consent resource.', 'Consent'),
    ]);
  }
  const issues: DomainIssue[] = [];
  if (body['status'] !== 'active') {
    issues.push(issue('CONSENT_STATUS', 'Consent.status must be active.', 'Consent.status'));
  }
  const patient = readPatientRef(body['patient']);
  if (!patient) {
    issues.push(
      issue(
        'CONSENT_PATIENT_REQUIRED',
        'Consent.patient must give the INS (identifier) or Patient/{id}.',
        'Consent.patient',
      ),
    );
  }
  const provision = isObj(body['provision']) ? body['provision'] : {};
  const type = provision['type'] ?? 'permit';
  if (type !== 'permit' && type !== 'deny') {
    issues.push(
      issue(
        'CONSENT_PROVISION_TYPE',
        'provision.type must be permit or deny.',
        'Consent.provision.type',
      ),
    );
  }
  const actors = Array.isArray(provision['actor']) ? provision['actor'].filter(isObj) : [];
  const purposes = Array.isArray(provision['purpose']) ? provision['purpose'].filter(isObj) : [];
  let intent: ConsentIntent | undefined;
  if (actors.length > 1) {
    issues.push(
      issue('CONSENT_ONE_ACTOR', 'Give exactly one provision.actor.', 'Consent.provision.actor'),
    );
  } else if (actors.length === 1) {
    const ref = isObj(actors[0]?.['reference']) ? actors[0]['reference'] : {};
    const identifier = isObj(ref['identifier']) ? ref['identifier'] : {};
    const system = typeof identifier['system'] === 'string' ? identifier['system'] : '';
    const value = typeof identifier['value'] === 'string' ? identifier['value'].trim() : '';
    const actorKind = PS_SYSTEMS.has(system)
      ? 'professional'
      : STRUCT_SYSTEMS.has(system)
        ? 'structure'
        : undefined;
    if (!actorKind || value === '') {
      issues.push(
        issue(
          'CONSENT_ACTOR_IDENTIFIER',
          `provision.actor.reference.identifier must be an IdNat_PS (${IDNAT_PS_SYSTEM}) or IdNat_Struct (${IDNAT_STRUCT_SYSTEM}).`,
          'Consent.provision.actor[0].reference.identifier',
        ),
      );
    } else if (type === 'permit') {
      intent = { kind: 'authorization', actorKind, actorId: value };
    } else {
      intent =
        actorKind === 'professional'
          ? { kind: 'block', idNatPs: value }
          : { kind: 'care-team-objection', structure: value };
    }
    if (purposes.length > 0) {
      issues.push(
        issue(
          'CONSENT_ACTOR_AND_PURPOSE',
          'Give an actor or a purpose, not both.',
          'Consent.provision.purpose',
        ),
      );
    }
  } else if (purposes.length === 1) {
    const p = purposes[0] ?? {};
    const system = typeof p['system'] === 'string' ? p['system'] : '';
    const code = p['code'];
    if (type !== 'deny') {
      issues.push(
        issue(
          'CONSENT_EMERGENCY_DENY_ONLY',
          'An emergency-mode Consent must have provision.type deny.',
          'Consent.provision.type',
        ),
      );
    } else if (
      !TRE_R248_SYSTEMS.has(system) ||
      (code !== 'bris_de_glace' && code !== 'centre_15')
    ) {
      issues.push(
        issue(
          'CONSENT_PURPOSE',
          `provision.purpose must be bris_de_glace or centre_15 from ${TRE_R248_SYSTEM} (or urn:oid:1.2.250.1.213.1.1.4.248).`,
          'Consent.provision.purpose[0]',
        ),
      );
    } else {
      intent = { kind: 'emergency-objection', mode: code };
    }
  } else {
    issues.push(
      issue(
        'CONSENT_PROVISION_REQUIRED',
        'provision needs one actor (or, for an emergency objection, one purpose).',
        'Consent.provision',
      ),
    );
  }
  if (issues.length > 0 || !patient || !intent) {
    return err(issues);
  }
  return ok({ patient, intent });
}
