/**
 * Document search (ITI-67) and the document list with its filters, shared by both portals.
 */
import { useId, useState, type SyntheticEvent, type ReactNode } from 'react';
import { getJson, sendJson } from './api.ts';
import {
  authorLine,
  display,
  docAuthors,
  docDate,
  docLabels,
  docTitle,
  firstCoding,
  IS_ARCHIVED_EXTENSION,
  isArchived,
  resources,
  type Bundle,
  type DocumentReference,
} from './fhir.ts';
import { formatDate } from './format.ts';
import { Link } from './router.tsx';
import { Badge } from './ui.tsx';
import { labelOf, useValueSet } from './value-sets.ts';

export interface DocumentFilter {
  readonly type?: string;
  readonly category?: string;
  readonly from?: string;
  readonly to?: string;
  /** IdNat_PS of an author. */
  readonly author?: string;
  readonly archived?: boolean;
}

/** GET /fhir/DocumentReference?patient.identifier=…&… (the API filters; nothing is filtered here). */
export async function searchDocuments(
  identifier: string,
  filter: DocumentFilter,
  signal?: AbortSignal,
): Promise<DocumentReference[]> {
  const q = new URLSearchParams();
  q.set('patient.identifier', identifier);
  q.set('_count', '500');
  if (filter.type) {
    q.set('type', filter.type);
  }
  if (filter.category) {
    q.set('category', filter.category);
  }
  if (filter.from) {
    q.append('period', `ge${filter.from}`);
  }
  if (filter.to) {
    q.append('period', `le${filter.to}`);
  }
  if (filter.author) {
    q.set('author.identifier', `urn:oid:1.2.250.1.71.4.2.1|${filter.author}`);
  }
  if (filter.archived === true) {
    q.set('isArchived', 'true');
  }
  const bundle = await getJson<Bundle<DocumentReference>>(
    `/fhir/DocumentReference?${q.toString()}`,
    signal,
  );
  return resources(bundle).sort((a, b) => (docDate(b) ?? '').localeCompare(docDate(a) ?? ''));
}

export function DocumentBadges({ document }: { readonly document: DocumentReference }): ReactNode {
  const labels = docLabels(document);
  return (
    <span className="doc-badges">
      {labels.includes('MASQUE_PS') && <Badge kind="warning">Masqué aux professionnels</Badge>}
      {labels.includes('INVISIBLE_PATIENT') && <Badge kind="info">Invisible pour le patient</Badge>}
      {labels.includes('INVISIBLE_REPRESENTANTS_LEGAUX') && (
        <Badge kind="info">Invisible pour les représentants légaux</Badge>
      )}
      {isArchived(document) && <Badge>Archivé</Badge>}
      {document.status === 'superseded' && <Badge>Remplacé</Badge>}
    </span>
  );
}

/** A list of documents; each links to `linkTo(document)`. */
export function DocumentList({
  documents,
  linkTo,
  empty = 'Aucun document.',
}: {
  readonly documents: readonly DocumentReference[];
  readonly linkTo: (d: DocumentReference) => string;
  readonly empty?: string;
}): ReactNode {
  const types = useValueSet('J66');
  if (documents.length === 0) {
    return <p className="muted">{empty}</p>;
  }
  return (
    <ul className="doc-list">
      {documents.map((d) => {
        const typeCode = firstCoding(d.type)?.code;
        const typeLabel = labelOf(types, typeCode) ?? display(d.type);
        return (
          <li key={d.id} className="doc-item">
            <div>
              <Link to={linkTo(d)}>{docTitle(d)}</Link>
              <p className="doc-meta">
                {typeLabel} · {formatDate(docDate(d))}
                {authorLine(d) !== '' && <> · {authorLine(d)}</>}
              </p>
            </div>
            <DocumentBadges document={d} />
          </li>
        );
      })}
    </ul>
  );
}

/** Groups documents by category (J57 class), in the value set's order. */
export function DocumentsByCategory({
  documents,
  linkTo,
}: {
  readonly documents: readonly DocumentReference[];
  readonly linkTo: (d: DocumentReference) => string;
}): ReactNode {
  const classes = useValueSet('J57');
  const groups = new Map<string, DocumentReference[]>();
  for (const d of documents) {
    const code = firstCoding(d.category?.[0])?.code ?? '';
    groups.set(code, [...(groups.get(code) ?? []), d]);
  }
  const order = (code: string): number => {
    const i = classes.findIndex((c) => c.code === code);
    return i === -1 ? 999 : i;
  };
  const codes = [...groups.keys()].sort((a, b) => order(a) - order(b));
  return codes.map((code) => {
    const list = groups.get(code) ?? [];
    const first = list[0];
    const title = labelOf(classes, code) ?? (first ? display(first.category?.[0]) : '');
    return (
      <section key={code} className="card" aria-labelledby={`cat-${code}`}>
        <h2 id={`cat-${code}`}>
          {title || 'Autres documents'} <span className="muted">({list.length})</span>
        </h2>
        <DocumentList documents={list} linkTo={linkTo} />
      </section>
    );
  });
}

/** The filter form: type, category, period, author (authors and types offered are those of `all`). */
export function DocumentFilters({
  all,
  value,
  onChange,
}: {
  readonly all: readonly DocumentReference[];
  readonly value: DocumentFilter;
  readonly onChange: (filter: DocumentFilter) => void;
}): ReactNode {
  const id = useId();
  const types = useValueSet('J66');
  const classes = useValueSet('J57');
  const [draft, setDraft] = useState<DocumentFilter>(value);
  const typeCodes = [
    ...new Set(
      all.map((d) => firstCoding(d.type)?.code).filter((c): c is string => c !== undefined),
    ),
  ];
  const classCodes = [
    ...new Set(
      all
        .map((d) => firstCoding(d.category?.[0])?.code)
        .filter((c): c is string => c !== undefined),
    ),
  ];
  const authors = new Map<string, string>();
  for (const d of all) {
    for (const a of docAuthors(d)) {
      if (a.idNatPs !== undefined) {
        authors.set(a.idNatPs, a.name);
      }
    }
  }
  const submit = (e: SyntheticEvent): void => {
    e.preventDefault();
    onChange(draft);
  };
  const set = (patch: Partial<DocumentFilter>): void => setDraft((d) => ({ ...d, ...patch }));
  return (
    <form className="filters" onSubmit={submit} aria-label="Filtrer les documents">
      <div className="field">
        <label htmlFor={`${id}-cat`}>Catégorie</label>
        <select
          id={`${id}-cat`}
          value={draft.category ?? ''}
          onChange={(e) => set({ category: e.target.value })}
        >
          <option value="">Toutes</option>
          {classCodes.map((c) => (
            <option key={c} value={c}>
              {labelOf(classes, c) ?? c}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-type`}>Type de document</label>
        <select
          id={`${id}-type`}
          value={draft.type ?? ''}
          onChange={(e) => set({ type: e.target.value })}
        >
          <option value="">Tous</option>
          {typeCodes.map((c) => (
            <option key={c} value={c}>
              {labelOf(types, c) ?? c}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-author`}>Auteur</label>
        <select
          id={`${id}-author`}
          value={draft.author ?? ''}
          onChange={(e) => set({ author: e.target.value })}
        >
          <option value="">Tous</option>
          {[...authors].map(([idNatPs, name]) => (
            <option key={idNatPs} value={idNatPs}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-from`}>Du</label>
        <input
          id={`${id}-from`}
          type="date"
          value={draft.from ?? ''}
          onChange={(e) => set({ from: e.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-to`}>Au</label>
        <input
          id={`${id}-to`}
          type="date"
          value={draft.to ?? ''}
          onChange={(e) => set({ to: e.target.value })}
        />
      </div>
      <div className="field">
        <div className="check">
          <input
            id={`${id}-arch`}
            type="checkbox"
            checked={draft.archived === true}
            onChange={(e) => set({ archived: e.target.checked })}
          />
          <label htmlFor={`${id}-arch`}>Documents archivés</label>
        </div>
      </div>
      <div className="actions">
        <button type="submit" className="button primary">
          Filtrer
        </button>
        <button
          type="button"
          className="button secondary"
          onClick={() => {
            setDraft({});
            onChange({});
          }}
        >
          Effacer
        </button>
      </div>
    </form>
  );
}

export const TRE_A07_SYSTEM =
  'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument';

const VISIBILITY_DISPLAY: Readonly<Record<string, string>> = {
  MASQUE_PS: 'Masqué aux professionnels de santé',
  INVISIBLE_PATIENT: 'Non visible par le patient',
  INVISIBLE_REPRESENTANTS_LEGAUX: 'Non visible par représentants légaux du patient',
};

export function visibilityLabel(code: string): {
  coding: { system: string; code: string; display?: string }[];
} {
  const text = VISIBILITY_DISPLAY[code];
  return {
    coding: [{ system: TRE_A07_SYSTEM, code, ...(text !== undefined ? { display: text } : {}) }],
  };
}

type PatchOp = { op: string; path: string; value?: unknown };

/** PDSm metadata update: PATCH /fhir/DocumentReference/{id} (JSON Patch), conditional on the version read. */
export async function patchDocument(
  document: DocumentReference,
  ops: PatchOp[],
): Promise<DocumentReference | undefined> {
  const version = document.meta?.versionId;
  return sendJson<DocumentReference>(
    'PATCH',
    `/fhir/DocumentReference/${encodeURIComponent(document.id)}`,
    ops,
    'application/json-patch+json',
    version !== undefined ? { 'if-match': `W/"${version}"` } : undefined,
  );
}

/** Adds or removes a TRE_A07 visibility label. */
export function setLabel(
  document: DocumentReference,
  code: string,
  on: boolean,
): Promise<DocumentReference | undefined> {
  const labels = document.securityLabel ?? [];
  const index = labels.findIndex((l) => l.coding?.some((c) => c.code === code));
  if (on) {
    return index !== -1
      ? Promise.resolve(document)
      : patchDocument(document, [
          labels.length === 0
            ? { op: 'add', path: '/securityLabel', value: [visibilityLabel(code)] }
            : { op: 'add', path: '/securityLabel/-', value: visibilityLabel(code) },
        ]);
  }
  return index === -1
    ? Promise.resolve(document)
    : patchDocument(document, [{ op: 'remove', path: `/securityLabel/${String(index)}` }]);
}

/** Archives or unarchives (PDSm isArchived extension). */
export function setArchived(
  document: DocumentReference,
  archived: boolean,
): Promise<DocumentReference | undefined> {
  const extensions = document.extension ?? [];
  const index = extensions.findIndex((e) => e.url === IS_ARCHIVED_EXTENSION);
  const value = { url: IS_ARCHIVED_EXTENSION, valueBoolean: archived };
  return patchDocument(document, [
    index !== -1
      ? { op: 'replace', path: `/extension/${String(index)}`, value }
      : extensions.length === 0
        ? { op: 'add', path: '/extension', value: [value] }
        : { op: 'add', path: '/extension/-', value },
  ]);
}

/** Logical deletion: status entered-in-error (never served again). */
export function deleteDocument(
  document: DocumentReference,
): Promise<DocumentReference | undefined> {
  return patchDocument(document, [{ op: 'replace', path: '/status', value: 'entered-in-error' }]);
}
