/**
 * The whole record for the professional (issue 21 point 3), beside the documents, through the API any software
 * uses: what to read first (the latest synthesis — VSM, LOINC 60591-5 — and the latest documents, marked "new since
 * your last visit" from GET /portal-api/records/last-visit), the medical profile (GET /fhir/Patient/{id}/$profile)
 * and the care history (GET /fhir/ExplanationOfBenefit, the latest lines). In an emergency mode the allergies and
 * treatments come first.
 */
import type { ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import {
  authorLine,
  docTitle,
  firstCoding,
  resources,
  type Bundle,
  type DocumentReference,
} from '../shared/fhir.ts';
import { formatDate, formatDateTime, formatShortDate } from '../shared/format.ts';
import { Link } from '../shared/router.tsx';
import { Badge, ErrorMessage, Loading, useAsync } from '../shared/ui.tsx';
import {
  CARE_KINDS,
  CODE_KIND_SYSTEM,
  formatEuros,
  type ExplanationOfBenefit,
} from '../patient/care-history-page.tsx';
import { describe, PROFILE_SECTIONS, sectionOf, type ProfileEntry } from '../shared/profile.ts';
import { recordPath, useProRecord } from './patient-context.tsx';

/** The synthesis: SYNTH (TRE_A05, the VSM's type code) or LOINC 60591-5. */
const VSM = new Set(['SYNTH', '60591-5']);
const FIRST_IN_EMERGENCY = ['allergies', 'traitements'];

/** When the document was deposited (DocumentReference.date), for "new since". */
function depositedAt(d: DocumentReference): string | undefined {
  return d.date;
}

export function isNewSince(d: DocumentReference, lastVisit: string | null | undefined): boolean {
  const at = depositedAt(d);
  return lastVisit !== null && lastVisit !== undefined && at !== undefined && at > lastVisit;
}

/** The synthesis (latest VSM) and the latest documents, newest deposit first. */
export function ReadFirst({
  documents,
}: {
  readonly documents: readonly DocumentReference[];
}): ReactNode {
  const record = useProRecord();
  const visit = useAsync(
    (signal) =>
      getJson<{ lastVisit: string | null }>(
        `/portal-api/records/last-visit?patient.identifier=${encodeURIComponent(record.identifier)}`,
        signal,
      ),
    [record.identifier],
  );
  const last = visit.data?.lastVisit;
  const byDeposit = [...documents].sort((a, b) =>
    (depositedAt(b) ?? '').localeCompare(depositedAt(a) ?? ''),
  );
  const vsm = byDeposit.find((d) => VSM.has(firstCoding(d.type)?.code ?? ''));
  const latest = byDeposit.filter((d) => d !== vsm).slice(0, 5);
  const fresh = byDeposit.filter((d) => isNewSince(d, last));
  const item = (d: DocumentReference, synthesis = false): ReactNode => (
    <li key={d.id} className="doc-item">
      <div>
        <Link to={recordPath(record, `/documents/${d.id}`)}>{docTitle(d)}</Link>{' '}
        {synthesis && <Badge kind="info">Synthèse (VSM)</Badge>}{' '}
        {isNewSince(d, last) && <Badge kind="success">Nouveau</Badge>}
        <p className="doc-meta">
          Déposé le {formatDate(depositedAt(d))}
          {authorLine(d) !== '' ? ` · ${authorLine(d)}` : ''}
        </p>
      </div>
    </li>
  );
  return (
    <section className="card" aria-labelledby="read-first-title">
      <h2 id="read-first-title">À lire d’abord</h2>
      <p role="status">
        {visit.loading
          ? 'Recherche de votre dernière visite…'
          : last === null || last === undefined
            ? 'Première consultation de ce dossier de votre part (ou pas depuis longtemps).'
            : fresh.length === 0
              ? `Rien de nouveau depuis votre dernière visite, le ${formatDateTime(last)}.`
              : `${String(fresh.length)} document${fresh.length > 1 ? 's' : ''} nouveau${fresh.length > 1 ? 'x' : ''} depuis votre dernière visite, le ${formatDateTime(last)}.`}
      </p>
      {documents.length === 0 ? (
        <p className="muted">Aucun document accessible.</p>
      ) : (
        <ul className="doc-list">
          {vsm !== undefined && item(vsm, true)}
          {latest.map((d) => item(d))}
        </ul>
      )}
    </section>
  );
}

/** The medical profile, section by section; in an emergency the allergies and treatments first. */
export function ProfileSummary({ emergency }: { readonly emergency: boolean }): ReactNode {
  const record = useProRecord();
  const id = record.patient?.id;
  const state = useAsync(
    (signal) =>
      id === undefined
        ? Promise.resolve([] as ProfileEntry[])
        : getJson<Bundle<ProfileEntry>>(
            `/fhir/Patient/${encodeURIComponent(id)}/$profile?_count=500`,
            signal,
          ).then(resources),
    [id],
  );
  const sections = emergency
    ? [
        ...PROFILE_SECTIONS.filter((s) => FIRST_IN_EMERGENCY.includes(s.code)),
        ...PROFILE_SECTIONS.filter((s) => !FIRST_IN_EMERGENCY.includes(s.code)),
      ]
    : PROFILE_SECTIONS;
  const entries = state.data ?? [];
  return (
    <section className="card profile-summary" aria-labelledby="profile-title">
      <h2 id="profile-title">Profil médical</h2>
      {state.loading ? (
        <Loading />
      ) : state.error !== undefined ? (
        <ErrorMessage error={state.error} />
      ) : (
        sections.map((s) => {
          const inSection = entries.filter((e) => sectionOf(e) === s.code);
          const urgent = emergency && FIRST_IN_EMERGENCY.includes(s.code);
          return (
            <div key={s.code} className={urgent ? 'profile-section urgent' : 'profile-section'}>
              <h3>{s.title}</h3>
              {inSection.length === 0 ? (
                <p className="muted">Rien de renseigné.</p>
              ) : (
                <ul className="plain-list">
                  {inSection.map((e) => {
                    const d = describe(e);
                    return (
                      <li key={e.id}>
                        <strong>{d.title}</strong>
                        {d.detail !== undefined && <span className="doc-meta"> — {d.detail}</span>}
                      </li>
                    );
                  })}
                </ul>
              )}
            </div>
          );
        })
      )}
    </section>
  );
}

/** The latest reimbursed care (remboursements, dispensed medicines). */
export function CareSummary(): ReactNode {
  const record = useProRecord();
  const state = useAsync(
    (signal) =>
      getJson<Bundle<ExplanationOfBenefit>>(
        `/fhir/ExplanationOfBenefit?patient.identifier=${encodeURIComponent(record.identifier)}&_count=10`,
        signal,
      ).then(resources),
    [record.identifier],
  );
  const lines = state.data ?? [];
  return (
    <section className="card" aria-labelledby="care-title">
      <h2 id="care-title">Historique des soins</h2>
      {state.loading ? (
        <Loading />
      ) : state.error !== undefined ? (
        <ErrorMessage error={state.error} />
      ) : lines.length === 0 ? (
        <p className="muted">Aucun soin remboursé sur les 24 derniers mois.</p>
      ) : (
        <ul className="plain-list care-summary" aria-label="Derniers soins remboursés">
          {lines.map((l) => {
            const item = l.item?.[0];
            const code = item?.productOrService?.coding?.[0];
            const kind = l.meta?.tag?.find((t) => t.system === CODE_KIND_SYSTEM)?.code;
            return (
              <li key={l.id}>
                <strong>
                  {item?.productOrService?.text ?? code?.display ?? code?.code ?? '—'}
                </strong>
                <p className="doc-meta">
                  {formatShortDate(item?.servicedDate)}
                  {kind !== undefined ? ` · ${CARE_KINDS[kind] ?? kind}` : ''}
                  {l.provider?.display !== undefined ? ` · ${l.provider.display}` : ''} ·{' '}
                  {formatEuros(l.total?.[0]?.amount?.value)}
                </p>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
