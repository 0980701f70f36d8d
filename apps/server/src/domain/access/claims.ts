/**
 * Pure mapping from the claims of a verified token to an {@link Actor}. No I/O, no clock.
 *
 * Two claim vocabularies are understood, chosen by the presence of a `kind` claim.
 *
 * 1. **opendmp claims** (tokens of the development identity provider, and of any configured issuer that
 *    speaks our vocabulary). Every claim is a string unless said otherwise:
 *
 *    | claim        | for kind                  | meaning                                                        |
 *    |--------------|---------------------------|----------------------------------------------------------------|
 *    | `kind`       | all (required)            | `professional` · `patient` · `representative` · `operator`     |
 *    | `idNatPs`    | professional (required)   | IdNat_PS (`8`+RPPS, `0`+ADELI…)                                |
 *    | `profession` | professional (required)   | TRE_G15 profession code (`10` médecin, `21` pharmacien…)       |
 *    | `professionSystem` | professional        | terminology of `profession` when not TRE_G15: `TRE_R94`,       |
 *    |              |                           | `TRE_R95`, `TRE_G16` (`TRE_G15` is accepted and dropped)       |
 *    | `specialty`  | professional              | TRE_R01/R38 specialty (`SM26`…)                                |
 *    | `structure`  | professional              | IdNat_Struct of the structure the professional acts from       |
 *    | `sector`     | professional              | TRE_R02 activity sector (`SA07`…)                              |
 *    | `mode`       | professional              | `normal` (default) · `bris_de_glace` · `centre_15` (TRE_R248)  |
 *    | `reason`     | professional              | written justification; required and non-blank for bris_de_glace|
 *    | `regulator`  | professional (boolean)    | `true` for a SAMU regulator médecin (centre 15)                |
 *    | `ins`        | patient, representative   | INS of the holder / of the represented minor (required)        |
 *    | `ins`        | professional              | INS of the one record an emergency mode applies to: required   |
 *    |              |                           | with bris_de_glace and centre_15, ignored in normal mode       |
 *    | `id`         | operator (required)       | operator agent or service identifier                           |
 *    | `id`         | representative            | the representative's own identifier (their INS, or their       |
 *    |              |                           | subject): matched against the record's registrations (rule 1)  |
 *    | `secret`     | professional (boolean)    | `true`: connexion secrète for a minor (CSP L1111-5, rule 2)    |
 *    | `name`       | all                       | display name                                                   |
 *    | `id`         | software (required)       | the structure software's identifier (LPS_ID, client id)        |
 *    | `structure`  | software (required)       | IdNat_Struct of the software's structure (issue 17 rule 12)    |
 *    | `profile`    | software (required)       | `deposit` (alimentation) · `consultation`                      |
 *    | `acr`, `amr` | professional (standard)   | authentication strength (`authStrength`: acr, else amr joined  |
 *    |              |                           | by `+`), recorded in traces; for patients and representatives |
 *    |              |                           | the verifier checks the second factor (issue 17 rule 12)       |
 *
 *    Claims that do not apply to the kind are ignored. A wrongly typed claim is refused.
 *
 *    About `regulator`: TRE_R02 has no activity-sector code for a SAMU (the only SAMU code in the CI-SIS
 *    sets is the practice setting `SAMU_SMUR` of JDV_J04, which is a document attribute, not an
 *    actor's sector), so the flag comes only from the explicit claim (or, for Pro Santé Connect,
 *    `Acces_Regulation_Medicale`). Whether `centre_15` requires the flag is the access policy's call:
 *    the fixed dev-token interface (product.md §3) lets any professional body ask for `centre_15`.
 *
 * 2. **Pro Santé Connect claims** (production; used when there is no `kind` claim). Names as in the PSC
 *    userinfo / access token:
 *
 *    | PSC claim                               | actor field                                               |
 *    |-----------------------------------------|-----------------------------------------------------------|
 *    | `SubjectNameID`, else `preferred_username` | `idNatPs`                                              |
 *    | `SubjectRole` (list of `code^OID`)      | `profession` (+ `professionSystem`): first 2-digit code whose OID is JDV_J65 / TRE_G15 (or none) → G15, TRE_R95 / TRE_R94 / TRE_G16 → that system; `specialty`: first `SMxx` code |
 *    | `SubjectRefPro.exercices[0]`            | fallbacks: `codeProfession`, `codeSavoirFaire`            |
 *    | `Secteur_Activite` (`SA07^OID`)         | `sector` (code before `^`)                                |
 *    | `SubjectOrganizationID`                 | `structure`                                               |
 *    | `given_name` + `family_name`            | `name`                                                    |
 *    | `Acces_Regulation_Medicale` = `VRAI`    | `regulator: true` (the caller MAY regulate: the mode stays |
 *    |                                         | what the access declares, issue 17 rule 7)                |
 *    | `Mode_Acces_Raison` (non-empty)         | `mode: bris_de_glace`, `reason`                           |
 *    | `mode`                                  | the declared mode (wins over the derivation above)        |
 *    | `ins`                                   | the record an emergency mode applies to (as above)        |
 *
 *    `centre_15` is therefore never implied: a regulator declares it (`mode`) for the access that needs it. PSC only authenticates
 *    professionals, so this vocabulary always yields a professional. The claims must be in the
 *    verified token itself (we do not call the userinfo endpoint).
 *
 * Issue codes: `AUTH_CLAIMS_INVALID` (missing / wrongly typed / unknown value, with the claim name in
 * `location`), `AUTH_JUSTIFICATION_REQUIRED` (bris_de_glace without a reason) and
 * `AUTH_EMERGENCY_RECORD_REQUIRED` (an emergency mode that names no record: a token is never an open emergency
 * pass, issue 17 rule 6).
 */
import type { AccessMode, Actor, ProfessionalActor, SoftwareProfile } from './actor.ts';
import type { DomainIssue } from '../errors.ts';
import { err, ok, type Result } from '../result.ts';

export const ACCESS_MODES: readonly AccessMode[] = ['normal', 'bris_de_glace', 'centre_15'];
export const ACTOR_KINDS: readonly Actor['kind'][] = [
  'professional',
  'patient',
  'representative',
  'operator',
  'software',
];
export const SOFTWARE_PROFILES: readonly SoftwareProfile[] = ['deposit', 'consultation'];

/** The claim names of our own tokens (see the table above). */
export const OPENDMP_CLAIMS = [
  'kind',
  'idNatPs',
  'profession',
  'professionSystem',
  'specialty',
  'structure',
  'sector',
  'mode',
  'reason',
  'regulator',
  'ins',
  'name',
  'id',
  'secret',
  'profile',
] as const;

/** Terminologies of `profession` besides TRE_G15 (see ProfessionalActor.professionSystem). */
export const PROFESSION_SYSTEMS = ['TRE_R94', 'TRE_R95', 'TRE_G16'] as const;
const DEFAULT_PROFESSION_SYSTEM = 'TRE_G15';

/**
 * `SubjectRole` OIDs (JDV_J65-SubjectRole-DMP) → profession system; undefined = TRE_G15.
 * PSC sends the value-set OID itself (`10^1.2.250.1.213.1.1.5.5`), read as TRE_G15.
 */
const SUBJECT_ROLE_SYSTEMS: ReadonlyMap<string, string | undefined> = new Map([
  ['1.2.250.1.213.1.1.5.5', undefined], // JDV_J65 itself
  ['1.2.250.1.71.1.2.7', undefined], // TRE_G15 ProfessionSante
  ['1.2.250.1.213.1.6.1.4', 'TRE_R94'], // social and medico-social professions
  ['1.2.250.1.213.1.6.1.109', 'TRE_R95'], // professional titles (psychologue, ostéopathe…)
  ['1.2.250.1.71.1.2.8', 'TRE_G16'], // students
]);

const MAX_ID_LENGTH = 64;
const MAX_TEXT_LENGTH = 1000;

/** True when the actor is a professional flagged as a SAMU regulator. */
export function isRegulator(actor: Actor): boolean {
  return actor.kind === 'professional' && actor.regulator === true;
}

function invalid(claim: string, message: string): DomainIssue {
  return { code: 'AUTH_CLAIMS_INVALID', message, location: [claim] };
}

type Read<T> = Result<T | undefined, DomainIssue>;

/** Optional string claim: absent (undefined / null / '') → undefined; present → trimmed, bounded. */
function readString(claims: Record<string, unknown>, claim: string, max: number): Read<string> {
  const value = claims[claim];
  if (value === undefined || value === null) {
    return ok(undefined);
  }
  if (typeof value !== 'string') {
    return err(invalid(claim, `Claim "${claim}" must be a string`));
  }
  const trimmed = value.trim();
  if (trimmed.length > max) {
    return err(invalid(claim, `Claim "${claim}" is longer than ${max} characters`));
  }
  return ok(trimmed === '' ? undefined : trimmed);
}

function requireString(
  claims: Record<string, unknown>,
  claim: string,
  kind: string,
): Result<string, DomainIssue> {
  const read = readString(claims, claim, MAX_ID_LENGTH);
  if (!read.ok) {
    return read;
  }
  if (read.value === undefined) {
    return err(invalid(claim, `Claim "${claim}" is required for kind "${kind}"`));
  }
  return ok(read.value);
}

function isAccessMode(value: string): value is AccessMode {
  return (ACCESS_MODES as readonly string[]).includes(value);
}

function readMode(claims: Record<string, unknown>): Read<AccessMode> {
  const read = readString(claims, 'mode', MAX_ID_LENGTH);
  if (!read.ok || read.value === undefined) {
    return read as Read<AccessMode>;
  }
  if (!isAccessMode(read.value)) {
    return err(invalid('mode', `Claim "mode" must be one of ${ACCESS_MODES.join(', ')}`));
  }
  return ok(read.value);
}

/** Assemble a professional, enforcing the justification rule. */
function professional(fields: {
  idNatPs: string;
  profession: string;
  professionSystem: string | undefined;
  specialty: string | undefined;
  structure: string | undefined;
  sector: string | undefined;
  mode: AccessMode;
  reason: string | undefined;
  regulator: boolean;
  name: string | undefined;
  emergencyIns: string | undefined;
  secret?: boolean;
  authStrength?: string | undefined;
}): Result<Actor, DomainIssue> {
  if (fields.mode === 'bris_de_glace' && fields.reason === undefined) {
    return err({
      code: 'AUTH_JUSTIFICATION_REQUIRED',
      message: 'Access mode bris_de_glace requires a written justification ("reason")',
      location: ['reason'],
    });
  }
  const emergency = fields.mode !== 'normal';
  if (emergency && fields.emergencyIns === undefined) {
    return err({
      code: 'AUTH_EMERGENCY_RECORD_REQUIRED',
      message: `Access mode ${fields.mode} applies to one record: name its INS ("ins")`,
      location: ['ins'],
    });
  }
  const actor: ProfessionalActor = {
    kind: 'professional',
    idNatPs: fields.idNatPs,
    profession: fields.profession,
    ...(fields.professionSystem !== undefined && { professionSystem: fields.professionSystem }),
    mode: fields.mode,
    ...(fields.specialty !== undefined && { specialty: fields.specialty }),
    ...(fields.structure !== undefined && { structure: fields.structure }),
    ...(fields.sector !== undefined && { sector: fields.sector }),
    ...(fields.reason !== undefined && { reason: fields.reason }),
    ...(emergency && fields.emergencyIns !== undefined && { emergencyIns: fields.emergencyIns }),
    ...(fields.regulator && { regulator: true }),
    ...(fields.secret === true && { secret: true }),
    ...(fields.name !== undefined && { name: fields.name }),
    ...(fields.authStrength !== undefined && { authStrength: fields.authStrength }),
  };
  return ok(actor);
}

function opendmpActor(claims: Record<string, unknown>): Result<Actor, DomainIssue> {
  const kind = claims['kind'];
  if (typeof kind !== 'string' || !(ACTOR_KINDS as readonly string[]).includes(kind)) {
    return err(invalid('kind', `Claim "kind" must be one of ${ACTOR_KINDS.join(', ')}`));
  }
  const name = readString(claims, 'name', MAX_TEXT_LENGTH);
  if (!name.ok) {
    return name;
  }
  const withName = name.value !== undefined ? { name: name.value } : {};
  switch (kind) {
    case 'professional': {
      const idNatPs = requireString(claims, 'idNatPs', kind);
      if (!idNatPs.ok) {
        return idNatPs;
      }
      const profession = requireString(claims, 'profession', kind);
      if (!profession.ok) {
        return profession;
      }
      const professionSystem = readString(claims, 'professionSystem', MAX_ID_LENGTH);
      if (!professionSystem.ok) {
        return professionSystem;
      }
      const system = professionSystem.value;
      if (
        system !== undefined &&
        system !== DEFAULT_PROFESSION_SYSTEM &&
        !(PROFESSION_SYSTEMS as readonly string[]).includes(system)
      ) {
        return err(
          invalid(
            'professionSystem',
            `Claim "professionSystem" must be one of ${[DEFAULT_PROFESSION_SYSTEM, ...PROFESSION_SYSTEMS].join(', ')}`,
          ),
        );
      }
      const specialty = readString(claims, 'specialty', MAX_ID_LENGTH);
      if (!specialty.ok) {
        return specialty;
      }
      const structure = readString(claims, 'structure', MAX_ID_LENGTH);
      if (!structure.ok) {
        return structure;
      }
      const sector = readString(claims, 'sector', MAX_ID_LENGTH);
      if (!sector.ok) {
        return sector;
      }
      const mode = readMode(claims);
      if (!mode.ok) {
        return mode;
      }
      const reason = readString(claims, 'reason', MAX_TEXT_LENGTH);
      if (!reason.ok) {
        return reason;
      }
      const regulator = claims['regulator'];
      if (regulator !== undefined && regulator !== null && typeof regulator !== 'boolean') {
        return err(invalid('regulator', 'Claim "regulator" must be a boolean'));
      }
      const emergencyIns = readString(claims, 'ins', MAX_ID_LENGTH);
      if (!emergencyIns.ok) {
        return emergencyIns;
      }
      const secret = claims['secret'];
      if (secret !== undefined && secret !== null && typeof secret !== 'boolean') {
        return err(invalid('secret', 'Claim "secret" must be a boolean'));
      }
      return professional({
        idNatPs: idNatPs.value,
        profession: profession.value,
        professionSystem: system === DEFAULT_PROFESSION_SYSTEM ? undefined : system,
        specialty: specialty.value,
        structure: structure.value,
        sector: sector.value,
        mode: mode.value ?? 'normal',
        reason: reason.value,
        regulator: regulator === true,
        name: name.value,
        emergencyIns: emergencyIns.value,
        secret: secret === true,
        authStrength: authStrengthOf(claims),
      });
    }
    case 'software': {
      const id = requireString(claims, 'id', kind);
      if (!id.ok) {
        return id;
      }
      const structure = requireString(claims, 'structure', kind);
      if (!structure.ok) {
        return structure;
      }
      const profile = requireString(claims, 'profile', kind);
      if (!profile.ok) {
        return profile;
      }
      if (!(SOFTWARE_PROFILES as readonly string[]).includes(profile.value)) {
        return err(
          invalid('profile', `Claim "profile" must be one of ${SOFTWARE_PROFILES.join(', ')}`),
        );
      }
      return ok({
        kind,
        id: id.value,
        structure: structure.value,
        profile: profile.value as SoftwareProfile,
        ...withName,
      });
    }
    case 'patient':
    case 'representative': {
      const ins = requireString(claims, 'ins', kind);
      if (!ins.ok) {
        return ins;
      }
      if (kind === 'representative') {
        const id = readString(claims, 'id', MAX_ID_LENGTH);
        if (!id.ok) {
          return id;
        }
        return ok({
          kind,
          ins: ins.value,
          ...(id.value !== undefined && { id: id.value }),
          ...withName,
        });
      }
      return ok({ kind, ins: ins.value, ...withName });
    }
    default: {
      const id = requireString(claims, 'id', kind);
      if (!id.ok) {
        return id;
      }
      return ok({ kind: 'operator', id: id.value, ...withName });
    }
  }
}

/**
 * How strongly the token's subject was authenticated (issue 17 rule 12): the standard `acr` claim, else the `amr`
 * values joined by `+` (bounded); undefined when the token says neither.
 */
export function authStrengthOf(claims: Record<string, unknown>): string | undefined {
  const acr = claims['acr'];
  if (typeof acr === 'string' && acr.trim() !== '') {
    return acr.trim().slice(0, MAX_ID_LENGTH);
  }
  const amr = stringList(claims['amr'])
    .map((v) => v.trim())
    .filter((v) => v !== '');
  return amr.length > 0 ? amr.join('+').slice(0, MAX_ID_LENGTH) : undefined;
}

/** `"10^1.2.250.1.213.1.1.5.5"` → `{ code: "10", oid: "1.2.250.1.213.1.1.5.5" }`. */
function splitCoded(value: string): { code: string; oid: string | undefined } {
  const [code = '', oid] = value.split('^');
  return { code: code.trim(), oid: oid?.trim() || undefined };
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') {
    return [value];
  }
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function firstExercice(claims: Record<string, unknown>): Record<string, unknown> {
  const refPro = claims['SubjectRefPro'];
  if (typeof refPro !== 'object' || refPro === null) {
    return {};
  }
  const exercices = (refPro as Record<string, unknown>)['exercices'];
  const first: unknown = Array.isArray(exercices) ? exercices[0] : undefined;
  return typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {};
}

function isTrue(value: unknown): boolean {
  return (
    value === true || (typeof value === 'string' && ['VRAI', 'TRUE'].includes(value.toUpperCase()))
  );
}

function proSanteConnectActor(claims: Record<string, unknown>): Result<Actor, DomainIssue> {
  const subject = readString(claims, 'SubjectNameID', MAX_ID_LENGTH);
  if (!subject.ok) {
    return subject;
  }
  const username = readString(claims, 'preferred_username', MAX_ID_LENGTH);
  if (!username.ok) {
    return username;
  }
  const idNatPs = subject.value ?? username.value;
  if (idNatPs === undefined) {
    return err(
      invalid('kind', 'Token has neither a "kind" claim nor a Pro Santé Connect "SubjectNameID"'),
    );
  }

  const roles = stringList(claims['SubjectRole']).map(splitCoded);
  const exercice = firstExercice(claims);
  const professionRole = roles.find(
    (r) => /^\d{2}$/.test(r.code) && (r.oid === undefined || SUBJECT_ROLE_SYSTEMS.has(r.oid)),
  );
  const professionSystem =
    professionRole?.oid !== undefined ? SUBJECT_ROLE_SYSTEMS.get(professionRole.oid) : undefined;
  const exerciceProfession = readString(exercice, 'codeProfession', MAX_ID_LENGTH);
  const profession =
    professionRole?.code ?? (exerciceProfession.ok ? exerciceProfession.value : undefined);
  if (profession === undefined) {
    return err(invalid('SubjectRole', 'Token carries no profession code in "SubjectRole"'));
  }
  const specialtyRole = roles.find((r) => /^SM\d{2}$/.test(r.code));
  const exerciceSpecialty = readString(exercice, 'codeSavoirFaire', MAX_ID_LENGTH);
  const specialty =
    specialtyRole?.code ?? (exerciceSpecialty.ok ? exerciceSpecialty.value : undefined);

  const sectorRaw = readString(claims, 'Secteur_Activite', MAX_ID_LENGTH * 2);
  if (!sectorRaw.ok) {
    return sectorRaw;
  }
  const sector =
    sectorRaw.value !== undefined ? splitCoded(sectorRaw.value).code || undefined : undefined;
  const structure = readString(claims, 'SubjectOrganizationID', MAX_ID_LENGTH);
  if (!structure.ok) {
    return structure;
  }

  const given = readString(claims, 'given_name', MAX_TEXT_LENGTH);
  const family = readString(claims, 'family_name', MAX_TEXT_LENGTH);
  const nameParts = [given.ok ? given.value : undefined, family.ok ? family.value : undefined];
  const name = nameParts.filter((p) => p !== undefined).join(' ') || undefined;

  const regulator = isTrue(claims['Acces_Regulation_Medicale']);
  const reason = readString(claims, 'Mode_Acces_Raison', MAX_TEXT_LENGTH);
  if (!reason.ok) {
    return reason;
  }
  const explicitMode = readMode(claims);
  if (!explicitMode.ok) {
    return explicitMode;
  }
  // Issue 17 rule 7: Acces_Regulation_Medicale says the caller may regulate; it never forces centre_15.
  const mode: AccessMode =
    explicitMode.value ?? (reason.value !== undefined ? 'bris_de_glace' : 'normal');
  const emergencyIns = readString(claims, 'ins', MAX_ID_LENGTH);
  if (!emergencyIns.ok) {
    return emergencyIns;
  }

  return professional({
    idNatPs,
    profession,
    professionSystem,
    specialty,
    structure: structure.value,
    sector,
    mode,
    reason: reason.value,
    regulator,
    name,
    emergencyIns: emergencyIns.value,
    authStrength: authStrengthOf(claims),
  });
}

/**
 * Map verified token claims to an actor. Claims are trusted as authentic (the signature was checked);
 * this only checks that they make a usable, coherent actor.
 */
export function actorFromClaims(claims: Record<string, unknown>): Result<Actor, DomainIssue> {
  if (claims['kind'] !== undefined) {
    return opendmpActor(claims);
  }
  return proSanteConnectActor(claims);
}

/** The opendmp claims describing an actor (inverse of {@link actorFromClaims} for our vocabulary). */
export function claimsFromActor(actor: Actor): Record<string, string | boolean> {
  const claims: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(actor)) {
    if ((typeof value === 'string' || typeof value === 'boolean') && isOpendmpClaim(key)) {
      claims[key] = value;
    }
  }
  if (actor.kind === 'professional' && actor.emergencyIns !== undefined) {
    claims['ins'] = actor.emergencyIns;
  }
  return claims;
}

function isOpendmpClaim(key: string): boolean {
  return (OPENDMP_CLAIMS as readonly string[]).includes(key);
}
