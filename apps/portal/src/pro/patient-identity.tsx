/**
 * Issue 17 rule 8 (identity vigilance): beside the INS, the record's identity traits as the TD0.2 answer carries
 * them — birth name, used name, first names, sex, birth date — so that the professional checks they have the right
 * patient against the qualified identity of their own software (the DMP's traits are shown, never imported). A
 * professional the record is not open to gets no traits from the server, and the page says so.
 */
import type { ReactNode } from 'react';
import type { Patient } from '../shared/fhir.ts';
import { INS_SYSTEMS, type ProRecord } from './patient-context.tsx';

const SEX: Readonly<Record<string, string>> = {
  female: 'Féminin',
  male: 'Masculin',
  other: 'Autre',
  unknown: 'Inconnu',
};

/** YYYY-MM-DD as DD/MM/YYYY, without going through a time zone. */
function birthDate(value: string | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value ?? '');
  return m ? `${m[3] ?? ''}/${m[2] ?? ''}/${m[1] ?? ''}` : '—';
}

function traits(patient: Patient | undefined) {
  const names = patient?.name ?? [];
  const official = names.find((n) => n.use === 'official') ?? names[0];
  if (!official) {
    return undefined;
  }
  const usual = names.find((n) => n.use === 'usual' && n !== official);
  return {
    birthName: official.family ?? '—',
    usedName: usual?.family,
    given: (official.given ?? []).join(' ') || '—',
    sex: SEX[patient?.gender ?? ''] ?? '—',
    birthDate: birthDate(patient?.birthDate),
  };
}

export function PatientIdentity({ record }: { readonly record: ProRecord }): ReactNode {
  const system = INS_SYSTEMS.find((s) => s.oid === record.oid)?.label ?? record.oid;
  const t = traits(record.patient);
  return (
    <section className="card patient-identity" aria-label="Identité du patient">
      <dl className="meta">
        <dt>INS</dt>
        <dd>
          {record.ins} ({system})
        </dd>
        {t ? (
          <>
            <dt>Nom de naissance</dt>
            <dd>{t.birthName}</dd>
            <dt>Nom d’usage</dt>
            <dd>{t.usedName ?? '—'}</dd>
            <dt>Prénom(s)</dt>
            <dd>{t.given}</dd>
            <dt>Sexe</dt>
            <dd>{t.sex}</dd>
            <dt>Date de naissance</dt>
            <dd>{t.birthDate}</dd>
          </>
        ) : null}
      </dl>
      <p className="hint">
        {t
          ? 'Vérifiez que ces traits sont ceux de l’identité qualifiée du patient dans votre logiciel.'
          : 'Les traits d’identité ne sont communiqués qu’aux professionnels autorisés à consulter ce dossier.'}
      </p>
    </section>
  );
}
