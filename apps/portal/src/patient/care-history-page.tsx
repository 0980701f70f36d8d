/**
 * Care history: the reimbursement lines of the last 24 months, newest first — one FHIR ExplanationOfBenefit per
 * line (GET /fhir/ExplanationOfBenefit?patient.identifier=…&kind=…&date=…&_count=…, `next` links for paging).
 */
import { useState, type SyntheticEvent, type ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import { resources, type Bundle, type CodeableConcept, type Reference } from '../shared/fhir.ts';
import { formatShortDate } from '../shared/format.ts';
import { Alert, ErrorMessage, Loading, messageOf, useAsync } from '../shared/ui.tsx';
import { useRecord } from './record.tsx';

export const CODE_KIND_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/care-code-kind';
const PAGE_SIZE = 25;

export const CARE_KINDS: Readonly<Record<string, string>> = {
  CCAM: 'Actes techniques (CCAM)',
  NGAP: 'Consultations et actes (NGAP)',
  BIO: 'Biologie',
  CIP13: 'Médicaments',
};

interface Money {
  readonly value?: number;
  readonly currency?: string;
}

export interface ExplanationOfBenefit {
  readonly resourceType: 'ExplanationOfBenefit';
  readonly id: string;
  readonly meta?: { readonly tag?: readonly { system?: string; code?: string }[] };
  readonly provider?: Reference;
  readonly item?: readonly {
    readonly productOrService?: CodeableConcept;
    readonly servicedDate?: string;
    readonly quantity?: { readonly value?: number };
    readonly adjudication?: readonly { readonly amount?: Money }[];
  }[];
  readonly total?: readonly { readonly amount?: Money }[];
}

const EUROS = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });

export function formatEuros(value: number | undefined): string {
  return value === undefined ? '—' : EUROS.format(value);
}

interface Filters {
  readonly kind: string;
  readonly from: string;
  readonly to: string;
}

function searchPath(identifier: string, f: Filters): string {
  const q = new URLSearchParams();
  q.append('patient.identifier', identifier);
  if (f.kind !== '') {
    q.append('kind', f.kind);
  }
  if (f.from !== '') {
    q.append('date', `ge${f.from}`);
  }
  if (f.to !== '') {
    q.append('date', `le${f.to}`);
  }
  q.append('_count', String(PAGE_SIZE));
  return `/fhir/ExplanationOfBenefit?${q.toString()}`;
}

function nextOf(bundle: Bundle<ExplanationOfBenefit>): string | undefined {
  const url = bundle.link?.find((l) => l.relation === 'next')?.url;
  if (url === undefined) {
    return undefined;
  }
  const u = new URL(url, window.location.origin);
  return `${u.pathname}${u.search}`;
}

export function CareHistoryPage(): ReactNode {
  const record = useRecord();
  const [kind, setKind] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [filters, setFilters] = useState<Filters>({ kind: '', from: '', to: '' });
  const [rangeError, setRangeError] = useState<string | undefined>();
  const [more, setMore] = useState<ExplanationOfBenefit[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [moreError, setMoreError] = useState<string | undefined>();
  const [loadingMore, setLoadingMore] = useState(false);

  const first = useAsync(
    async (signal) => {
      const bundle = await getJson<Bundle<ExplanationOfBenefit>>(
        searchPath(record.identifier, filters),
        signal,
      );
      setMore([]);
      setMoreError(undefined);
      setNext(nextOf(bundle));
      return { lines: resources(bundle), total: bundle.total };
    },
    [record.identifier, filters],
  );

  const apply = (e: SyntheticEvent): void => {
    e.preventDefault();
    if (from !== '' && to !== '' && from > to) {
      setRangeError('La date de début doit précéder la date de fin.');
      return;
    }
    setRangeError(undefined);
    setFilters({ kind, from, to });
  };

  const clear = (): void => {
    setKind('');
    setFrom('');
    setTo('');
    setRangeError(undefined);
    setFilters({ kind: '', from: '', to: '' });
  };

  const loadMore = async (): Promise<void> => {
    if (next === undefined) {
      return;
    }
    setLoadingMore(true);
    try {
      const bundle = await getJson<Bundle<ExplanationOfBenefit>>(next);
      setMore((m) => [...m, ...resources(bundle)]);
      setNext(nextOf(bundle));
      setMoreError(undefined);
    } catch (err) {
      setMoreError(messageOf(err));
    } finally {
      setLoadingMore(false);
    }
  };

  const lines = [...(first.data?.lines ?? []), ...more];
  const total = first.data?.total;

  return (
    <>
      <h1>Historique des soins</h1>
      <p>
        Les soins, examens et médicaments remboursés par l’Assurance Maladie au cours des 24
        derniers mois, du plus récent au plus ancien.
      </p>
      <form className="filters" onSubmit={apply} noValidate aria-label="Filtrer les remboursements">
        <div className="field">
          <label htmlFor="care-kind">Type de soins</label>
          <select id="care-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">Tous</option>
            {Object.entries(CARE_KINDS).map(([code, label]) => (
              <option key={code} value={code}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="care-from">Du</label>
          <input
            id="care-from"
            type="date"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
            {...(rangeError !== undefined
              ? { 'aria-invalid': true, 'aria-describedby': 'care-range-error' }
              : {})}
          />
        </div>
        <div className="field">
          <label htmlFor="care-to">Au</label>
          <input
            id="care-to"
            type="date"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            {...(rangeError !== undefined
              ? { 'aria-invalid': true, 'aria-describedby': 'care-range-error' }
              : {})}
          />
        </div>
        <div className="actions">
          <button type="submit" className="button primary">
            Filtrer
          </button>
          <button type="button" className="button secondary" onClick={clear}>
            Effacer
          </button>
        </div>
      </form>
      <div aria-live="assertive">
        {rangeError !== undefined && (
          <p className="field-error" id="care-range-error">
            {rangeError}
          </p>
        )}
      </div>
      {first.loading && first.data === undefined ? (
        <Loading />
      ) : first.error !== undefined ? (
        <ErrorMessage error={first.error} />
      ) : lines.length === 0 ? (
        <p className="muted">Aucun remboursement pour ces critères.</p>
      ) : (
        <>
          <p role="status">
            {total !== undefined
              ? `${lines.length} remboursement${lines.length > 1 ? 's' : ''} affiché${lines.length > 1 ? 's' : ''} sur ${total}.`
              : `${lines.length} remboursements affichés.`}
          </p>
          <div
            className="table-scroll"
            tabIndex={0}
            role="region"
            aria-label="Tableau : remboursements"
          >
            <table className="care-table stack-table">
              <caption>Remboursements, du plus récent au plus ancien</caption>
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Soin ou produit</th>
                  <th scope="col">Type</th>
                  <th scope="col">Quantité</th>
                  <th scope="col">Professionnel ou structure</th>
                  <th scope="col">Remboursé</th>
                </tr>
              </thead>
              <tbody>
                {lines.map((l) => {
                  const item = l.item?.[0];
                  const code = item?.productOrService?.coding?.[0];
                  const kindCode = l.meta?.tag?.find((t) => t.system === CODE_KIND_SYSTEM)?.code;
                  return (
                    <tr key={l.id}>
                      <td data-label="Date">{formatShortDate(item?.servicedDate)}</td>
                      <th scope="row" data-label="Soin ou produit">
                        {item?.productOrService?.text ?? code?.display ?? code?.code ?? '—'}
                      </th>
                      <td data-label="Type">
                        {kindCode !== undefined ? (CARE_KINDS[kindCode] ?? kindCode) : '—'}
                      </td>
                      <td data-label="Quantité">{item?.quantity?.value ?? '—'}</td>
                      <td data-label="Professionnel ou structure">
                        {l.provider?.display ?? l.provider?.identifier?.value ?? '—'}
                      </td>
                      <td data-label="Remboursé">{formatEuros(l.total?.[0]?.amount?.value)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
      {moreError !== undefined && <Alert kind="error">{moreError}</Alert>}
      {next !== undefined && first.error === undefined && (
        <button
          type="button"
          className="button secondary"
          disabled={loadingMore}
          onClick={() => void loadMore()}
        >
          {loadingMore ? 'Chargement…' : 'Voir plus'}
        </button>
      )}
    </>
  );
}
