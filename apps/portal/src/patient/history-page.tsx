/** Access history: the record's traces as FHIR AuditEvent (GET /fhir/AuditEvent?patient.identifier=…). */
import { useState, type ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import { resources, type AuditEvent, type Bundle } from '../shared/fhir.ts';
import { ACCESS_MODES, actionLabel, formatDateTime } from '../shared/format.ts';
import { Badge, ErrorMessage, Loading, messageOf, useAsync } from '../shared/ui.tsx';
import { labelOf, useValueSet, type Concept } from '../shared/value-sets.ts';
import { useRecord } from './record.tsx';

const ACTION_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/audit-action';

type Show = 'all' | 'professionals' | 'emergency' | 'denied';

export interface HistoryEntry {
  readonly id: string;
  readonly at: string;
  readonly action: string;
  readonly who: string;
  readonly whoKind: string;
  readonly role?: string;
  readonly structure?: string;
  readonly mode?: string;
  readonly justification?: string;
  readonly denied: boolean;
  readonly reason?: string;
}

export function toEntry(e: AuditEvent, g15: readonly Concept[]): HistoryEntry {
  const agent = e.agent?.[0];
  const action = e.subtype?.find((s) => s.system === ACTION_SYSTEM)?.code ?? e.type?.code ?? '';
  const roleCode = agent?.role?.[0]?.coding?.[0]?.code;
  const kind = agent?.type?.coding?.[0]?.code ?? '';
  const purpose = e.purposeOfEvent?.[0];
  const mode = purpose?.coding?.[0]?.code;
  const role = roleCode === undefined ? undefined : labelOf(g15, roleCode);
  const structure = e.agent?.[1]?.who?.display;
  return {
    id: e.id,
    at: e.recorded,
    action,
    who: agent?.who?.display ?? agent?.name ?? agent?.who?.identifier?.value ?? 'Inconnu',
    whoKind: kind,
    ...(role !== undefined ? { role } : {}),
    ...(structure !== undefined ? { structure } : {}),
    ...(mode !== undefined ? { mode } : {}),
    ...(purpose?.text !== undefined ? { justification: purpose.text } : {}),
    denied: e.outcome !== undefined && e.outcome !== '0',
    ...(e.outcomeDesc !== undefined ? { reason: e.outcomeDesc } : {}),
  };
}

export function HistoryPage(): ReactNode {
  const record = useRecord();
  const g15 = useValueSet('G15');
  const [show, setShow] = useState<Show>('all');
  const [more, setMore] = useState<AuditEvent[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [moreError, setMoreError] = useState<string | undefined>();
  const first = useAsync(
    async (signal) => {
      const bundle = await getJson<Bundle<AuditEvent>>(
        `/fhir/AuditEvent?patient.identifier=${encodeURIComponent(record.identifier)}&_count=100`,
        signal,
      );
      setMore([]);
      setNext(bundle.link?.find((l) => l.relation === 'next')?.url);
      return resources(bundle);
    },
    [record.identifier],
  );

  const loadMore = async (): Promise<void> => {
    if (next === undefined) {
      return;
    }
    try {
      const u = new URL(next, window.location.origin);
      const bundle = await getJson<Bundle<AuditEvent>>(`${u.pathname}${u.search}`);
      setMore((m) => [...m, ...resources(bundle)]);
      setNext(bundle.link?.find((l) => l.relation === 'next')?.url);
    } catch (e) {
      setMoreError(messageOf(e));
    }
  };

  const entries = [...(first.data ?? []), ...more].map((e) => toEntry(e, g15));
  const shown = entries.filter((e) =>
    show === 'all'
      ? true
      : show === 'professionals'
        ? e.whoKind === 'PROV'
        : show === 'emergency'
          ? e.mode === 'bris_de_glace' || e.mode === 'centre_15'
          : e.denied,
  );

  return (
    <>
      <h1>Historique des accès</h1>
      <p>
        Chaque action sur votre dossier est enregistrée et ne peut pas être modifiée : qui, quand,
        quoi et dans quel mode d’accès. Les accès en urgence apparaissent avec la justification
        donnée par le professionnel.
      </p>
      <div className="filters">
        <div className="field">
          <label htmlFor="history-show">Afficher</label>
          <select id="history-show" value={show} onChange={(e) => setShow(e.target.value as Show)}>
            <option value="all">Tout</option>
            <option value="professionals">Les actions des professionnels</option>
            <option value="emergency">Les accès en urgence</option>
            <option value="denied">Les accès refusés</option>
          </select>
        </div>
      </div>
      {first.loading ? (
        <Loading />
      ) : first.error !== undefined ? (
        <ErrorMessage error={first.error} />
      ) : shown.length === 0 ? (
        <p className="muted">Aucun événement.</p>
      ) : (
        <ol className="plain-list" aria-label="Événements, du plus récent au plus ancien">
          {shown.map((e) => (
            <li key={e.id} className="row-item">
              <div>
                <strong>{actionLabel(e.action)}</strong>{' '}
                {e.denied && <Badge kind="danger">Refusé</Badge>}
                {e.mode !== undefined && e.mode !== 'normal' && (
                  <Badge kind="danger">{ACCESS_MODES[e.mode] ?? e.mode}</Badge>
                )}
                <p className="doc-meta">
                  {formatDateTime(e.at)} — {e.who}
                  {e.role !== undefined ? ` (${e.role})` : ''}
                  {e.structure !== undefined ? `, ${e.structure}` : ''}
                </p>
                {e.justification !== undefined && e.mode === 'bris_de_glace' && (
                  <p className="doc-meta">Justification : « {e.justification} »</p>
                )}
              </div>
            </li>
          ))}
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
