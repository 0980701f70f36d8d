import { useId, useState, type SyntheticEvent, type ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import { Alert, messageOf } from '../shared/ui.tsx';
import { professionalName } from '../shared/format.ts';
import { labelOf, useValueSet } from '../shared/value-sets.ts';

export interface DirectoryEntry {
  readonly idNatPs: string;
  readonly name: string;
  /** The directory's civilité, when known (issue 21 point 8). */
  readonly sex?: 'male' | 'female';
  readonly profession: string;
  readonly specialty?: string;
  readonly structure?: { readonly id: string; readonly name: string };
}

export function searchDirectory(q: string): Promise<{ professionals: DirectoryEntry[] }> {
  return getJson<{ professionals: DirectoryEntry[] }>(
    `/portal-api/professionals?q=${encodeURIComponent(q)}`,
  );
}

/** The directory entries of these IdNat_PS in one request (at most 50; unknown ones are absent). */
export function lookupDirectory(
  ids: readonly string[],
): Promise<{ professionals: DirectoryEntry[] }> {
  const unique = [...new Set(ids)].slice(0, 50);
  if (unique.length === 0) {
    return Promise.resolve({ professionals: [] });
  }
  return getJson<{ professionals: DirectoryEntry[] }>(
    `/portal-api/professionals?${unique.map((id) => `id=${encodeURIComponent(id)}`).join('&')}`,
  );
}

/** Search the professional directory by name or IdNat_PS, then pick one (`actionLabel` on each result). */
export function ProfessionalPicker({
  label,
  actionLabel,
  onPick,
  onCancel,
  busy = false,
  only,
}: {
  readonly label: string;
  readonly actionLabel: string;
  readonly onPick: (entry: DirectoryEntry) => void;
  readonly onCancel: () => void;
  readonly busy?: boolean;
  /** Keeps only the entries that may be picked, and says what the others are not (e.g. médecins only). */
  readonly only?: { readonly accept: (entry: DirectoryEntry) => boolean; readonly none: string };
}): ReactNode {
  const id = useId();
  const g15 = useValueSet('G15');
  const [q, setQ] = useState('');
  const [results, setResults] = useState<DirectoryEntry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const search = async (e: SyntheticEvent): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    try {
      const found = (await searchDirectory(q)).professionals;
      setResults(only ? found.filter(only.accept) : found);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <div className="card">
      <form onSubmit={(e) => void search(e)} role="search" aria-label={label}>
        <div className="field">
          <label htmlFor={`${id}-q`}>{label}</label>
          <p className="hint" id={`${id}-hint`}>
            Nom du professionnel ou son numéro RPPS (au moins 2 caractères).
          </p>
          <input
            id={`${id}-q`}
            type="search"
            value={q}
            minLength={2}
            autoComplete="off"
            aria-describedby={`${id}-hint`}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <div className="actions">
          <button type="submit" className="button primary" disabled={q.trim().length < 2}>
            Rechercher
          </button>
          <button type="button" className="button secondary" onClick={onCancel}>
            Annuler
          </button>
        </div>
      </form>
      {error !== undefined && <Alert kind="error">{error}</Alert>}
      <div aria-live="polite">
        {results !== undefined &&
          (results.length === 0 ? (
            <p className="muted">{only?.none ?? 'Aucun professionnel trouvé.'}</p>
          ) : (
            <ul className="plain-list">
              {results.map((r) => (
                <li key={r.idNatPs} className="row-item">
                  <div>
                    <strong>{professionalName(r.name, r.profession)}</strong>
                    <p className="doc-meta">
                      {labelOf(g15, r.profession) ?? r.profession}
                      {r.structure ? ` — ${r.structure.name}` : ''} · RPPS {r.idNatPs.slice(1)}
                    </p>
                  </div>
                  <button
                    type="button"
                    className="button secondary small"
                    disabled={busy}
                    onClick={() => onPick(r)}
                    aria-label={`${actionLabel} : ${r.name}`}
                  >
                    {actionLabel}
                  </button>
                </li>
              ))}
            </ul>
          ))}
      </div>
    </div>
  );
}
