/**
 * Access history, "who looked at my record": GET /portal-api/history (services/portal-history.ts), the AuditEvent
 * search with the filters applied by the server over the whole history, each trace with its actor and document and
 * its sentences already in French (services/history-labels.ts): the page shows them as they come.
 */
import { useState, type ReactNode, type SyntheticEvent } from 'react';
import { getJson, query } from '../shared/api.ts';
import { formatDateTime } from '../shared/format.ts';
import { Link } from '../shared/router.tsx';
import { Badge, ErrorMessage, Loading, messageOf, useAsync } from '../shared/ui.tsx';
import { labelOf, useValueSet } from '../shared/value-sets.ts';
import { ProfessionalPicker, type DirectoryEntry } from './professional-picker.tsx';
import { useRecord } from './record.tsx';

type Show = 'all' | 'professionals' | 'emergency' | 'denied';

export interface HistoryActor {
  readonly kind: string;
  readonly idNatPs?: string;
  readonly name?: string;
  readonly profession?: string;
  readonly specialty?: string;
  readonly structure?: { readonly id: string; readonly name?: string };
  readonly outsideDirectory?: boolean;
}

export interface HistoryEntry {
  readonly id: string;
  readonly at: string;
  readonly action: string;
  readonly actor: HistoryActor;
  readonly mode?: string;
  readonly justification?: string;
  readonly denied: boolean;
  readonly reason?: string;
  readonly document?: { readonly id: string; readonly title?: string; readonly type?: string };
  /** The server's sentences (services/history-labels.ts): the action, the mode, the refusal, the actor. */
  readonly label: string;
  readonly modeLabel?: string;
  readonly reasonText?: string;
  readonly who: string;
  readonly whoDetails: string;
}

interface HistoryPage {
  readonly entries: HistoryEntry[];
  readonly next?: string;
}

interface Filters {
  readonly show: Show;
  readonly own: boolean;
  readonly from: string;
  readonly to: string;
  readonly professional?: DirectoryEntry;
}

const INITIAL: Filters = { show: 'all', own: false, from: '', to: '' };

function historyUrl(f: Filters, cursor?: string): string {
  const dates = [
    f.from !== '' ? `date=ge${f.from}` : '',
    f.to !== '' ? `date=le${f.to}` : '',
  ].filter((d) => d !== '');
  const q = query({
    show: f.show,
    own: f.own ? '1' : undefined,
    professional: f.professional?.idNatPs,
    _count: '50',
    _cursor: cursor,
  });
  const extra = dates.join('&');
  return `/portal-api/history${q}${extra === '' ? '' : `${q === '' ? '?' : '&'}${extra}`}`;
}

export function HistoryPage(): ReactNode {
  const record = useRecord();
  const j66 = useValueSet('J66');
  const [draft, setDraft] = useState<Filters>(INITIAL);
  const [filters, setFilters] = useState<Filters>(INITIAL);
  const [picking, setPicking] = useState(false);
  const [more, setMore] = useState<HistoryEntry[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [moreError, setMoreError] = useState<string | undefined>();
  const first = useAsync(
    async (signal) => {
      const page = await getJson<HistoryPage>(historyUrl(filters), signal);
      setMore([]);
      setNext(page.next);
      return page.entries;
    },
    [record.identifier, filters],
  );

  const loadMore = async (): Promise<void> => {
    if (next === undefined) {
      return;
    }
    try {
      const page = await getJson<HistoryPage>(historyUrl(filters, next));
      setMore((m) => [...m, ...page.entries]);
      setNext(page.next);
    } catch (e) {
      setMoreError(messageOf(e));
    }
  };

  const apply = (e: SyntheticEvent): void => {
    e.preventDefault();
    setFilters(draft);
  };
  const change = (patch: Partial<Filters>, now = false): void => {
    const updated = { ...draft, ...patch };
    setDraft(updated);
    if (now) {
      setFilters(updated);
    }
  };

  const entries = [...(first.data ?? []), ...more];
  const who = record.isRepresentative ? 'le dossier' : 'votre dossier';

  return (
    <>
      <h1>Historique des accès</h1>
      <p>
        Qui a consulté {who}, quand et comment. Chaque action est enregistrée et ne peut pas être
        modifiée ; les accès en urgence apparaissent avec la justification donnée par le
        professionnel.
      </p>
      <form className="filters history-filters" onSubmit={apply} aria-label="Filtrer l’historique">
        <div className="field">
          <label htmlFor="history-show">Afficher</label>
          <select
            id="history-show"
            value={draft.show}
            onChange={(e) => change({ show: e.target.value as Show }, true)}
          >
            <option value="all">Tout</option>
            <option value="professionals">Les actions des professionnels</option>
            <option value="emergency">Les accès en urgence</option>
            <option value="denied">Les accès refusés</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="history-from">Du</label>
          <input
            id="history-from"
            type="date"
            value={draft.from}
            onChange={(e) => change({ from: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="history-to">Au</label>
          <input
            id="history-to"
            type="date"
            value={draft.to}
            onChange={(e) => change({ to: e.target.value })}
          />
        </div>
        <div className="check history-own">
          <input
            id="history-own"
            type="checkbox"
            checked={draft.own}
            onChange={(e) => change({ own: e.target.checked }, true)}
          />
          <label htmlFor="history-own">
            {record.isRepresentative
              ? 'Inclure les actions du titulaire et des représentants légaux'
              : 'Inclure mes propres actions'}
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="button primary">
            Filtrer
          </button>
          {!picking && draft.professional === undefined && (
            <button type="button" className="button secondary" onClick={() => setPicking(true)}>
              Un professionnel…
            </button>
          )}
          <button
            type="button"
            className="button secondary"
            onClick={() => {
              setDraft(INITIAL);
              setFilters(INITIAL);
              setPicking(false);
            }}
          >
            Effacer
          </button>
        </div>
      </form>
      {draft.professional !== undefined && (
        <p className="history-professional">
          Actions de <strong>{draft.professional.name}</strong> seulement{' '}
          <button
            type="button"
            className="button secondary small"
            onClick={() => change({ professional: undefined }, true)}
          >
            Tous les professionnels
          </button>
        </p>
      )}
      {picking && (
        <ProfessionalPicker
          label="Voir les actions d’un professionnel"
          actionLabel="Voir ses actions"
          onPick={(p) => {
            setPicking(false);
            change({ professional: p }, true);
          }}
          onCancel={() => setPicking(false)}
        />
      )}
      {!filters.own && filters.show !== 'professionals' && (
        <p className="muted">
          {record.isRepresentative
            ? 'Les actions du titulaire et des représentants légaux ne sont pas affichées.'
            : 'Vos propres actions ne sont pas affichées.'}
        </p>
      )}
      {first.loading ? (
        <Loading />
      ) : first.error !== undefined ? (
        <ErrorMessage error={first.error} />
      ) : entries.length === 0 ? (
        <p className="muted">Aucun événement pour ces critères.</p>
      ) : (
        <ol className="plain-list history" aria-label="Événements, du plus récent au plus ancien">
          {entries.map((e) => {
            return (
              <li key={e.id} className="row-item">
                <div>
                  <strong>{e.label}</strong> {e.denied && <Badge kind="danger">Refusé</Badge>}
                  {e.modeLabel !== undefined && <Badge kind="danger">{e.modeLabel}</Badge>}
                  <p className="doc-meta">
                    {formatDateTime(e.at)} — {e.who}
                    {e.whoDetails !== '' ? `, ${e.whoDetails}` : ''}
                  </p>
                  {e.document !== undefined && (
                    <p className="doc-meta">
                      {e.document.title !== undefined ? (
                        <>
                          Document :{' '}
                          <Link to={`/documents/${e.document.id}`}>{e.document.title}</Link>
                          {e.document.type !== undefined &&
                          labelOf(j66, e.document.type) !== undefined &&
                          labelOf(j66, e.document.type) !== e.document.title
                            ? ` (${labelOf(j66, e.document.type) ?? ''})`
                            : ''}
                        </>
                      ) : (
                        'Un document qui n’est plus disponible'
                      )}
                    </p>
                  )}
                  {e.reasonText !== undefined && (
                    <p className="doc-meta">Refusé : {e.reasonText}.</p>
                  )}
                  {e.justification !== undefined && e.modeLabel !== undefined && (
                    <p className="doc-meta">Justification : « {e.justification} »</p>
                  )}
                </div>
              </li>
            );
          })}
        </ol>
      )}
      {moreError !== undefined && <ErrorMessage error={new Error(moreError)} />}
      {next !== undefined && (
        <button type="button" className="button secondary" onClick={() => void loadMore()}>
          Afficher les événements plus anciens
        </button>
      )}
    </>
  );
}
