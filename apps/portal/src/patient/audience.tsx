/**
 * "Qui peut voir ce document" — the answer of GET /portal-api/documents/:id/audience, computed on the server
 * by the access policy itself.
 */
import type { ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import { professionalName } from '../shared/format.ts';
import { ErrorMessage, Loading, useAsync } from '../shared/ui.tsx';
import { labelOf, useValueSet, type Concept } from '../shared/value-sets.ts';

interface ProfessionRef {
  readonly system: string;
  readonly profession: string;
  readonly specialty?: string;
  readonly label?: string;
}

interface Audience {
  readonly patient: boolean;
  readonly representatives: boolean;
  readonly professionals: readonly {
    readonly idNatPs: string;
    readonly name?: string;
    readonly profession?: string;
    readonly specialty?: string;
    readonly roles: readonly string[];
    readonly canRead?: boolean;
    readonly reason?: string;
  }[];
  readonly careTeams: readonly {
    readonly structure: string;
    readonly name?: string;
    readonly professions: readonly ProfessionRef[];
  }[];
  readonly professions: readonly (ProfessionRef & { readonly allowed: boolean })[];
  readonly emergency: Readonly<
    Record<
      'bris_de_glace' | 'centre_15',
      {
        readonly possible: boolean;
        readonly reason?: string;
        readonly professions: readonly ProfessionRef[];
      }
    >
  >;
}

const ROLES: Readonly<Record<string, string>> = {
  authorized: 'autorisé par vous',
  'medecin-traitant': 'votre médecin traitant',
  author: 'auteur du document',
  blocked: 'bloqué par vous',
};

const REASONS: Readonly<Record<string, string>> = {
  ACCESS_BLOCKED: 'vous l’avez bloqué',
  ACCESS_MASKED: 'le document est masqué aux professionnels',
  ACCESS_MATRIX_DENIED: 'sa profession n’a pas accès à ce type de document',
  ACCESS_NO_AUTHORIZATION: 'il n’a pas (ou plus) d’autorisation',
  ACCESS_RECORD_CLOSED: 'votre dossier est fermé',
  ACCESS_EMERGENCY_OBJECTED: 'vous avez refusé ce mode d’accès',
  ACCESS_DELETED: 'le document est supprimé',
};

function professionLabel(
  p: ProfessionRef,
  g15: readonly Concept[],
  r01: readonly Concept[],
): string {
  const base = p.label ?? labelOf(g15, p.profession) ?? `Profession ${p.profession}`;
  if (p.specialty === undefined) {
    return base;
  }
  return `${base} — ${labelOf(r01, p.specialty) ?? p.specialty}`;
}

export function DocumentAudience({ documentId }: { readonly documentId: string }): ReactNode {
  const g15 = useValueSet('G15');
  const r01 = useValueSet('R01');
  const state = useAsync(
    (signal) =>
      getJson<Audience>(`/portal-api/documents/${encodeURIComponent(documentId)}/audience`, signal),
    [documentId],
  );
  if (state.loading) {
    return <Loading />;
  }
  if (state.error !== undefined || !state.data) {
    return <ErrorMessage error={state.error} />;
  }
  const a = state.data;
  const can = a.professionals.filter((p) => p.canRead === true);
  const cannot = a.professionals.filter((p) => p.canRead === false);
  const open = a.professions.filter((p) => p.allowed);
  const closed = a.professions.filter((p) => !p.allowed);
  const label = (p: ProfessionRef): string => professionLabel(p, g15, r01);
  const who = (p: Audience['professionals'][number]): string =>
    `${p.name !== undefined ? professionalName(p.name, p.profession) : p.idNatPs}${p.profession !== undefined ? ` (${labelOf(g15, p.profession) ?? p.profession})` : ''}`;
  return (
    <div className="stack">
      <p className="hint">
        Cette réponse est calculée par les mêmes règles que celles qui autorisent ou refusent chaque
        accès.
      </p>
      <h3>Peuvent le lire maintenant</h3>
      <ul>
        {a.patient && <li>Vous</li>}
        {a.representatives && <li>Vos représentants légaux (si vous êtes mineur)</li>}
        {can.map((p) => (
          <li key={p.idNatPs}>
            {who(p)} — {p.roles.map((r) => ROLES[r] ?? r).join(', ')}
          </li>
        ))}
        {a.careTeams.map((t) => (
          <li key={t.structure}>
            L’équipe de soins de {t.name ?? t.structure}
            {t.professions.length > 0
              ? ` : ${t.professions.map(label).join(', ')}`
              : ' : aucune profession pour ce document'}
          </li>
        ))}
        {!a.patient && can.length === 0 && a.careTeams.length === 0 && <li>Personne d’autre</li>}
      </ul>
      {cannot.length > 0 && (
        <>
          <h3>Ne peuvent pas le lire</h3>
          <ul>
            {cannot.map((p) => (
              <li key={p.idNatPs}>
                {who(p)} — {p.roles.map((r) => ROLES[r] ?? r).join(', ')} :{' '}
                {REASONS[p.reason ?? ''] ?? 'accès refusé'}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>En cas d’urgence</h3>
      <ul>
        <li>
          Accès en urgence (bris de glace) :{' '}
          {a.emergency.bris_de_glace.possible
            ? `possible pour ${a.emergency.bris_de_glace.professions.map(label).join(', ')}`
            : `impossible (${REASONS[a.emergency.bris_de_glace.reason ?? ''] ?? 'aucune profession'})`}
        </li>
        <li>
          Régulation du SAMU (centre 15) :{' '}
          {a.emergency.centre_15.possible
            ? 'possible pour le médecin régulateur'
            : `impossible (${REASONS[a.emergency.centre_15.reason ?? ''] ?? 'aucune profession'})`}
        </li>
      </ul>
      <details>
        <summary>Professions qui y auraient accès si vous les autorisiez ({open.length})</summary>
        <ul>
          {open.map((p) => (
            <li key={`${p.system}-${p.profession}-${p.specialty ?? ''}`}>{label(p)}</li>
          ))}
        </ul>
        {closed.length > 0 && (
          <>
            <p>Professions qui n’y ont jamais accès :</p>
            <ul>
              {closed.map((p) => (
                <li key={`${p.system}-${p.profession}-${p.specialty ?? ''}`}>{label(p)}</li>
              ))}
            </ul>
          </>
        )}
      </details>
    </div>
  );
}
