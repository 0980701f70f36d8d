/**
 * The vaccination record (carnet de vaccination, issue 21 point 5), as Mon Espace Santé shows it: one dated list,
 * newest first, of every vaccination the record knows — the profile's Immunization entries (noted by the patient, a
 * legal representative, or recorded by the professional who gave it) and the vaccination documents (VAC
 * "Historique de vaccinations", LOINC 11369-6, and VAC-NOTE "Note de vaccination", LOINC 87273-9), each with where
 * it comes from. Both portals show it through the same API (GET /fhir/Immunization and GET /fhir/DocumentReference,
 * each under the access policy). A professional authorized on the record records a vaccination they gave
 * (POST /fhir/Immunization: the server makes them its performer).
 */
import { useState, type ReactNode, type SyntheticEvent } from 'react';
import { getJson, sendJson } from './api.ts';
import { searchDocuments } from './documents.tsx';
import { authorLine, docDate, docTitle, resources, type Bundle } from './fhir.ts';
import { formatDate } from './format.ts';
import { authorKindOf, conceptText, performerOf, type ProfileEntry } from './profile.ts';
import { Link } from './router.tsx';
import { Alert, ErrorMessage, Loading, messageOf, useAsync } from './ui.tsx';

/** TRE_A05 / LOINC type codes of the vaccination documents. */
export const VACCINATION_DOCUMENT_TYPES = ['11369-6', '87273-9'] as const;

export interface CarnetLine {
  readonly key: string;
  /** ISO date (or partial date) of the vaccination, or of the document. */
  readonly date: string | undefined;
  readonly vaccine: string;
  readonly lot?: string;
  /** Who noted it: "Vous", "Dr Anne CARDIO (vaccination faite)"… */
  readonly source: string;
  /** The document's path in this portal (for a document line). */
  readonly documentPath?: string;
  readonly documentTitle?: string;
}

export function carnetLines(
  entries: readonly ProfileEntry[],
  documents: Awaited<ReturnType<typeof searchDocuments>>,
  viewer: 'patient' | 'representative' | 'professional',
  documentPath: (id: string) => string,
): CarnetLine[] {
  const source = (e: ProfileEntry): string => {
    const by = performerOf(e);
    if (by !== undefined) {
      return `${by}, qui a fait la vaccination`;
    }
    const kind = authorKindOf(e);
    if (viewer === 'professional') {
      return kind === 'representative' ? 'Noté par un représentant légal' : 'Noté par le patient';
    }
    if (kind === 'representative') {
      return viewer === 'representative' ? 'Noté par vous' : 'Noté par un représentant légal';
    }
    return viewer === 'patient' ? 'Noté par vous' : 'Noté par le patient';
  };
  const lines: CarnetLine[] = [
    ...entries.map((e): CarnetLine => ({
      key: `entry-${e.id}`,
      date: e.occurrenceDateTime ?? e.occurrenceString,
      vaccine: conceptText(e.vaccineCode),
      ...(e.lotNumber !== undefined ? { lot: e.lotNumber } : {}),
      source: source(e),
    })),
    ...documents.map((d): CarnetLine => ({
      key: `doc-${d.id}`,
      date: docDate(d),
      vaccine: docTitle(d),
      source: authorLine(d) || 'Document',
      documentPath: documentPath(d.id),
      documentTitle: docTitle(d),
    })),
  ];
  return lines.sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
}

async function loadCarnet(
  identifier: string,
  signal: AbortSignal,
): Promise<{ entries: ProfileEntry[]; documents: Awaited<ReturnType<typeof searchDocuments>> }> {
  const [entries, documents] = await Promise.all([
    getJson<Bundle<ProfileEntry>>(
      `/fhir/Immunization?patient.identifier=${encodeURIComponent(identifier)}&_count=500`,
      signal,
    ).then(resources),
    searchDocuments(identifier, { type: VACCINATION_DOCUMENT_TYPES.join(',') }, signal),
  ]);
  return { entries, documents };
}

function today(): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const same = (a: string, b: string): boolean =>
  a
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim() ===
  b
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim();

/** The professional's form: a vaccination they gave, recorded in the patient's profile. */
function RecordVaccination({
  identifier,
  existing,
  onDone,
}: {
  readonly identifier: string;
  readonly existing: readonly CarnetLine[];
  readonly onDone: (message: string) => void;
}): ReactNode {
  const [vaccine, setVaccine] = useState('');
  const [date, setDate] = useState(today);
  const [lot, setLot] = useState('');
  const [errors, setErrors] = useState<Partial<Record<'vaccine' | 'date', string>>>({});
  const [warning, setWarning] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [system = '', value = ''] = identifier.split('|');

  const submit = async (e: SyntheticEvent): Promise<void> => {
    e.preventDefault();
    const found: Partial<Record<'vaccine' | 'date', string>> = {};
    if (vaccine.trim() === '') {
      found.vaccine = 'Indiquez le vaccin.';
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      found.date = 'Indiquez la date de la vaccination.';
    } else if (date > today()) {
      found.date = 'La date ne peut pas être dans le futur.';
    }
    setErrors(found);
    if (Object.keys(found).length > 0) {
      return;
    }
    const twin = existing.find(
      (l) =>
        l.documentPath === undefined && same(l.vaccine, vaccine) && l.date?.slice(0, 10) === date,
    );
    if (twin && warning === undefined) {
      setWarning(`« ${twin.vaccine} » figure déjà dans le carnet à cette date.`);
      return;
    }
    setBusy(true);
    setFailure(undefined);
    try {
      await sendJson('POST', '/fhir/Immunization', {
        resourceType: 'Immunization',
        status: 'completed',
        patient: { identifier: { system, value } },
        vaccineCode: { text: vaccine.trim() },
        occurrenceDateTime: date,
        ...(lot.trim() !== '' ? { lotNumber: lot.trim() } : {}),
      });
      const label = vaccine.trim();
      setVaccine('');
      setLot('');
      setWarning(undefined);
      onDone(`Vaccination enregistrée : « ${label} », le ${formatDate(date)}.`);
    } catch (err) {
      setFailure(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="vac-record">
      <h3 id="vac-record">Enregistrer une vaccination que vous avez faite</h3>
      <p className="hint">
        Elle s’ajoute au carnet de vaccination du patient, à votre nom ; le patient en est averti
        dans son historique.
      </p>
      <div aria-live="assertive">
        {failure !== undefined && <Alert kind="error">{failure}</Alert>}
      </div>
      <div aria-live="polite">
        {warning !== undefined && (
          <Alert kind="warning" title="Doublon possible">
            <p>{warning}</p>
            <p>Cliquez sur « Enregistrer quand même » pour l’enregistrer malgré tout.</p>
          </Alert>
        )}
      </div>
      <div className="field">
        <label htmlFor="vac-vaccine">
          Vaccin{' '}
          <span className="required" aria-hidden="true">
            *
          </span>
        </label>
        <input
          id="vac-vaccine"
          type="text"
          required
          maxLength={200}
          value={vaccine}
          onChange={(e) => {
            setVaccine(e.target.value);
            setWarning(undefined);
          }}
          {...(errors.vaccine !== undefined
            ? { 'aria-invalid': true, 'aria-describedby': 'vac-vaccine-error' }
            : {})}
        />
        {errors.vaccine !== undefined && (
          <p className="field-error" id="vac-vaccine-error">
            {errors.vaccine}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor="vac-date">
          Date de la vaccination{' '}
          <span className="required" aria-hidden="true">
            *
          </span>
        </label>
        <input
          id="vac-date"
          type="date"
          required
          value={date}
          onChange={(e) => {
            setDate(e.target.value);
            setWarning(undefined);
          }}
          {...(errors.date !== undefined
            ? { 'aria-invalid': true, 'aria-describedby': 'vac-date-error' }
            : {})}
        />
        {errors.date !== undefined && (
          <p className="field-error" id="vac-date-error">
            {errors.date}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor="vac-lot">Numéro de lot</label>
        <input
          id="vac-lot"
          type="text"
          maxLength={40}
          value={lot}
          onChange={(e) => setLot(e.target.value)}
        />
      </div>
      <button type="submit" className="button primary" disabled={busy}>
        {busy
          ? 'Veuillez patienter…'
          : warning !== undefined
            ? 'Enregistrer quand même'
            : 'Enregistrer la vaccination'}
      </button>
    </form>
  );
}

export function VaccinationRecord({
  identifier,
  viewer,
  documentPath,
  canRecord = false,
  headingLevel = 2,
}: {
  readonly identifier: string;
  readonly viewer: 'patient' | 'representative' | 'professional';
  readonly documentPath: (id: string) => string;
  readonly canRecord?: boolean;
  readonly headingLevel?: 1 | 2;
}): ReactNode {
  const state = useAsync((signal) => loadCarnet(identifier, signal), [identifier]);
  const [done, setDone] = useState<string | undefined>();
  const lines = state.data
    ? carnetLines(state.data.entries, state.data.documents, viewer, documentPath)
    : [];
  const Heading = headingLevel === 1 ? 'h1' : 'h2';
  return (
    <section className="vaccinations" aria-labelledby="carnet-title">
      <Heading id="carnet-title">Carnet de vaccination</Heading>
      <div aria-live="polite">{done !== undefined && <Alert kind="success">{done}</Alert>}</div>
      {state.loading && state.data === undefined ? (
        <Loading />
      ) : state.error !== undefined ? (
        <ErrorMessage error={state.error} />
      ) : lines.length === 0 ? (
        <p className="muted">Aucune vaccination connue.</p>
      ) : (
        <table className="stack-table carnet">
          <caption>
            {lines.length} vaccination{lines.length > 1 ? 's' : ''} ou document
            {lines.length > 1 ? 's' : ''} de vaccination, du plus récent au plus ancien
          </caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Vaccin</th>
              <th scope="col">Noté par</th>
            </tr>
          </thead>
          <tbody>
            {lines.map((l) => (
              <tr key={l.key}>
                <td data-label="Date">{l.date !== undefined ? formatDate(l.date) : '—'}</td>
                <td data-label="Vaccin">
                  {l.documentPath !== undefined ? (
                    <Link to={l.documentPath}>Document : {l.vaccine}</Link>
                  ) : (
                    <>
                      <strong>{l.vaccine}</strong>
                      {l.lot !== undefined && <span className="doc-meta"> — lot {l.lot}</span>}
                    </>
                  )}
                </td>
                <td data-label="Noté par">{l.source}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canRecord && state.data !== undefined && (
        <RecordVaccination
          identifier={identifier}
          existing={lines}
          onDone={(m) => {
            setDone(m);
            state.reload();
          }}
        />
      )}
    </section>
  );
}
