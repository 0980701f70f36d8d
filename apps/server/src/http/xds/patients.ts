/**
 * TD0.2 on the `patients` service (issue 19): HL7v3 `PRPA_IN201307UV02` (reason `TEST_EXST`) answered with the same
 * facts, rules and traces as the FHIR TD0.2 (`GET /fhir/Patient?identifier=…`, services/records.ts lookupRecord and
 * services/standing.ts): the record's existence and status, and the calling professional's standing.
 *
 * Request: the INS is read from `controlActProcess/queryByParameter/parameterList/patientIdentifier/value`
 * (`@root` = the INS OID, `@extension` = the INS). Answer: `PRPA_IN201308UV02`, `queryResponseCode` OK (found) or NF
 * (no such record, or one the caller may not know of), the record as `registrationEvent/subject1/patient` with its
 * status (`active`, else `suspended` for a closed record), and the standing as observations `AUTORISATION`, `BLOQUE`,
 * `MEDECIN_TRAITANT`, `BRIS_DE_GLACE`, `CENTRE_15` (BL). The DMP's own response layout was not found: this is
 * opendmp's rendering of the same facts (docs/xds.md).
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../../domain/access/actor.ts';
import { DomainFailure } from '../../domain/errors.ts';
import type { Deps } from '../../services/deps.ts';
import { lookupRecord } from '../../services/records.ts';
import { callerStanding } from '../../services/standing.ts';
import { SoapFault } from '../../xds/soap.ts';
import { descendants, el, kid, NS, type XElement } from '../../xds/xml.ts';

function observation(code: string, value: boolean): string {
  return el(
    'subjectOf',
    { typeCode: 'SBJ' },
    el(
      'observation',
      { classCode: 'OBS', moodCode: 'EVN' },
      el('code', { code, codeSystem: '1.2.250.1.213.1.1.4.11' }),
      el('value', { 'xsi:type': 'BL', value: value ? 'true' : 'false' }),
    ),
  );
}

/** TD0.2: the PRPA_IN201308UV02 payload. */
export async function patientExistence(
  deps: Deps,
  actor: Actor,
  request: XElement,
  now: Date,
): Promise<string> {
  if (request.ns !== NS.hl7 || request.name !== 'PRPA_IN201307UV02') {
    throw new SoapFault(
      'Sender',
      'TD02_REQUEST_INVALID',
      'The Body must hold a PRPA_IN201307UV02.',
    );
  }
  const value = kid(descendants(request, NS.hl7, 'patientIdentifier')[0], NS.hl7, 'value');
  const ins = value?.attrs['extension'];
  const oid = value?.attrs['root'];
  if (!ins || !oid) {
    throw new SoapFault(
      'Sender',
      'TD02_PATIENT_IDENTIFIER_REQUIRED',
      'parameterList/patientIdentifier/value needs @root (the INS OID) and @extension (the INS).',
    );
  }
  let row;
  try {
    row = await lookupRecord(deps, actor, ins, oid);
  } catch (e) {
    if (e instanceof DomainFailure) {
      throw new SoapFault('Sender', e.error.code, e.error.message);
    }
    throw e;
  }
  const standing =
    row && actor.kind === 'professional' ? await callerStanding(deps, actor, row) : undefined;
  const subject = row
    ? el(
        'subject',
        { typeCode: 'SUBJ' },
        el(
          'registrationEvent',
          { classCode: 'REG', moodCode: 'EVN' },
          el('statusCode', { code: 'active' }),
          el(
            'subject1',
            { typeCode: 'SBJ' },
            el(
              'patient',
              { classCode: 'PAT' },
              el('id', { root: row.ins_oid, extension: row.ins }),
              el('statusCode', { code: row.status === 'active' ? 'active' : 'suspended' }),
              standing && [
                observation('AUTORISATION', standing.authorized),
                observation('BLOQUE', standing.blocked),
                observation('MEDECIN_TRAITANT', standing.medecinTraitant),
                observation('BRIS_DE_GLACE', standing.brisDeGlaceOpen),
                observation('CENTRE_15', standing.centre15Open),
              ],
            ),
          ),
        ),
      )
    : '';
  const time = now
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14);
  return el(
    'PRPA_IN201308UV02',
    { xmlns: NS.hl7, 'xmlns:xsi': NS.xsi, ITSVersion: 'XML_1.0' },
    el('id', { root: randomUUID() }),
    el('creationTime', { value: time }),
    el('interactionId', { root: '2.16.840.1.113883.1.6', extension: 'PRPA_IN201308UV02' }),
    el('processingCode', { code: 'P' }),
    el('processingModeCode', { code: 'T' }),
    el('acceptAckCode', { code: 'NE' }),
    el('acknowledgement', {}, el('typeCode', { code: 'AA' })),
    el(
      'controlActProcess',
      { classCode: 'CACT', moodCode: 'EVN' },
      el('code', { code: 'PRPA_TE201308UV02', codeSystem: '2.16.840.1.113883.1.6' }),
      subject,
      el('queryAck', {}, el('queryResponseCode', { code: row ? 'OK' : 'NF' })),
    ),
  );
}
