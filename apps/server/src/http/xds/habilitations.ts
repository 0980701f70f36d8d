/**
 * The `habilitations` service (issue 19): a professional's software declares the patient's consent for the calling
 * professional — the same use case, rules and traces as `POST /fhir/Consent` (services/consent.ts declareConsent).
 *
 * The DMP's message (`urn:si-dmp-habilitations`, `setAuthorization`, action `AJOUT`) was not found in full; opendmp
 * reads: the Body's `setAuthorization` element (any namespace), its `action` child (`AJOUT`; anything else:
 * HABILITATION_ACTION_UNSUPPORTED) and its `ins` child with `@root` (the INS OID) and `@extension` (the INS)
 * (docs/xds.md). Answer: `setAuthorizationResponse` with `status` OK and whether the consent was created or existed.
 */
import type { Actor } from '../../domain/access/actor.ts';
import { DomainFailure } from '../../domain/errors.ts';
import type { Deps } from '../../services/deps.ts';
import { declareConsent } from '../../services/consent.ts';
import { SoapFault } from '../../xds/soap.ts';
import { el, esc, textOf, type XElement } from '../../xds/xml.ts';

function child(e: XElement, name: string): XElement | undefined {
  return e.children.find((c) => c.name === name);
}

/** setAuthorization (AJOUT): the response payload. */
export async function setAuthorization(
  deps: Deps,
  actor: Actor,
  request: XElement,
): Promise<string> {
  if (request.name !== 'setAuthorization') {
    throw new SoapFault(
      'Sender',
      'HABILITATION_REQUEST_INVALID',
      'The Body must hold a setAuthorization.',
    );
  }
  const action = textOf(child(request, 'action'));
  if (action !== 'AJOUT') {
    throw new SoapFault(
      'Sender',
      'HABILITATION_ACTION_UNSUPPORTED',
      'Only the action AJOUT (declare the consent) is served; ending one goes through DELETE /fhir/Consent/{id}.',
    );
  }
  const ins = child(request, 'ins');
  const root = ins?.attrs['root'];
  const value = ins?.attrs['extension'];
  if (actor.kind !== 'professional' || !root || !value) {
    throw new SoapFault(
      'Sender',
      'HABILITATION_PATIENT_REQUIRED',
      'setAuthorization names the patient: <ins root="INS OID" extension="INS"/>.',
    );
  }
  try {
    const out = await declareConsent(deps, actor, {
      patient: { kind: 'ins', system: `urn:oid:${root}`, value },
      intent: { kind: 'authorization', actorKind: 'professional', actorId: actor.idNatPs },
    });
    return el(
      'setAuthorizationResponse',
      { xmlns: request.ns || undefined },
      el('status', {}, 'OK'),
      el('created', {}, out.created ? 'true' : 'false'),
      el('authorizationId', {}, esc(out.row.id)),
    );
  } catch (e) {
    if (e instanceof DomainFailure) {
      throw new SoapFault('Sender', e.error.code, e.error.message);
    }
    throw e;
  }
}
