/**
 * Document identifiers and times between their XDS, FHIR and CDA forms.
 *
 * uniqueId (rules U1–U4):
 *  U1. The stored form is XDS's: `<OID>` or `<OID>^<extension>`; a UUID is kept bare, in lower case.
 *  U2. CDA `ClinicalDocument/id` → `root` alone when there is no extension, else `root^extension`
 *      (the CI-SIS maps uniqueId to id/@root, with @extension when present; all the ANS examples carry a
 *      root only).
 *  U3. FHIR masterIdentifier (IHE MHD, ITI TF Appendix Z.9.1.1, as the PDSm/DMP examples write it):
 *      `system = urn:ietf:rfc:3986` and `value = urn:oid:<OID>` (or `urn:oid:<OID>^<ext>`, or
 *      `urn:uuid:<uuid>`); also read: `system = urn:oid:<OID>` with `value = <extension>`.
 *  U4. Emitted as in U3: `urn:ietf:rfc:3986` + `urn:oid:<OID>` for a bare OID, `urn:uuid:` for a UUID,
 *      and `system = urn:oid:<OID>`, `value = <extension>` for OID^extension.
 *
 * Times (rule T1): an HL7 TS (`YYYY[MM[DD[HH[MM[SS[.f]]]]]][±ZZZZ]`) becomes a FHIR dateTime. With a time
 * of day but no zone, FHIR cannot carry the time (a dateTime with a time needs a zone), so it is cut to
 * the day rather than guessed.
 */
import type { CdaId } from './cda-header.ts';

const OID = /^[0-2](?:\.(?:0|[1-9]\d*))+$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RFC3986 = 'urn:ietf:rfc:3986';
/** XDS limits: uniqueId ≤ 128 characters; OID root ≤ 64. */
const MAX_UNIQUE_ID = 128;
const MAX_ROOT = 64;

export function isOid(s: string): boolean {
  return OID.test(s);
}

/** Whether a uniqueId has the U1 form. */
export function isValidUniqueId(uid: string): boolean {
  if (uid.length === 0 || uid.length > MAX_UNIQUE_ID) {
    return false;
  }
  if (UUID.test(uid)) {
    return uid === uid.toLowerCase();
  }
  const caret = uid.indexOf('^');
  const root = caret < 0 ? uid : uid.slice(0, caret);
  const ext = caret < 0 ? undefined : uid.slice(caret + 1);
  if (!OID.test(root) || root.length > MAX_ROOT) {
    return false;
  }
  return ext === undefined || (ext.length > 0 && !/[\s^]/.test(ext));
}

/** U2. */
export function uniqueIdFromCdaId(id: CdaId): string {
  const root = UUID.test(id.root) ? id.root.toLowerCase() : id.root;
  return id.extension === undefined ? root : `${root}^${id.extension}`;
}

/** U3: the uniqueId a masterIdentifier carries, or undefined when it has none of the accepted forms. */
export function uniqueIdFromIdentifier(
  system: string | undefined,
  value: string | undefined,
): string | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  let uid: string | undefined;
  if (system === RFC3986 || system === undefined) {
    if (value.startsWith('urn:oid:')) {
      uid = value.slice('urn:oid:'.length);
    } else if (value.toLowerCase().startsWith('urn:uuid:')) {
      uid = value.slice('urn:uuid:'.length).toLowerCase();
    }
  } else if (system.startsWith('urn:oid:') && OID.test(system.slice('urn:oid:'.length))) {
    uid = `${system.slice('urn:oid:'.length)}^${value}`;
  }
  return uid !== undefined && isValidUniqueId(uid) ? uid : undefined;
}

/** U4. */
export function uniqueIdToIdentifier(uid: string): { system: string; value: string } {
  if (UUID.test(uid)) {
    return { system: RFC3986, value: `urn:uuid:${uid}` };
  }
  const caret = uid.indexOf('^');
  if (caret < 0) {
    return { system: RFC3986, value: `urn:oid:${uid}` };
  }
  return { system: `urn:oid:${uid.slice(0, caret)}`, value: uid.slice(caret + 1) };
}

const TS = /^(\d{4})(\d{2})?(\d{2})?(?:(\d{2})(\d{2})?(\d{2})?(\.\d{1,6})?)?([+-]\d{4})?$/;

/** T1: HL7 TS → FHIR dateTime, or undefined when it is not a TS. */
export function cdaTimeToFhir(ts: string | undefined): string | undefined {
  if (ts === undefined) {
    return undefined;
  }
  const m = TS.exec(ts.trim());
  if (!m) {
    return undefined;
  }
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  if (mo === undefined) {
    return y;
  }
  if (d === undefined) {
    return `${y}-${mo}`;
  }
  const date = `${y}-${mo}-${d}`;
  if (h === undefined || tz === undefined) {
    return date;
  }
  const zone = `${tz.slice(0, 3)}:${tz.slice(3)}`;
  return `${date}T${h}:${mi ?? '00'}:${s ?? '00'}${frac ?? ''}${zone === '+00:00' ? 'Z' : zone}`;
}

/** Milliseconds since the epoch of a FHIR date/dateTime (start of the period for partial dates). */
export function fhirTimeToEpoch(t: string): number | undefined {
  const full = /T/.test(t) ? t : t.length === 4 ? `${t}-01-01` : t.length === 7 ? `${t}-01` : t;
  const ms = Date.parse(/T/.test(full) ? full : `${full}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
