/**
 * "Représentants légaux" (issue 17 rule 1): who represents the holder, as the operator registered them
 * (GET /fhir/Patient/{id}/$representatives → RelatedPerson), with the period of each; what they do not see.
 */
import type { ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import { type Bundle, resources } from '../shared/fhir.ts';
import { formatDate } from '../shared/format.ts';
import { Badge, ErrorMessage, Loading, useAsync } from '../shared/ui.tsx';
import { useRecord } from './record.tsx';

interface RelatedPerson {
  readonly resourceType: 'RelatedPerson';
  readonly id: string;
  readonly active?: boolean;
  readonly name?: readonly { readonly text?: string }[];
  readonly relationship?: readonly { readonly coding?: readonly { readonly code?: string }[] }[];
  readonly period?: { readonly start?: string; readonly end?: string };
}

/** HL7 v3 RoleCode of the relation, in French. */
const RELATIONS: Readonly<Record<string, string>> = {
  MTH: 'Mère',
  FTH: 'Père',
  PRN: 'Parent',
  GUARD: 'Tuteur ou tutrice',
};

export function RepresentativesPage(): ReactNode {
  const record = useRecord();
  const state = useAsync(
    (signal) =>
      getJson<Bundle<RelatedPerson>>(
        `/fhir/Patient/${encodeURIComponent(record.patient.id)}/$representatives`,
        signal,
      ),
    [record.patient.id],
  );
  const people = resources(state.data);
  return (
    <>
      <h1>Représentants légaux</h1>
      <p>
        {record.isRepresentative
          ? `Les personnes enregistrées comme représentants légaux de ${record.holderName}.`
          : 'Les personnes enregistrées comme vos représentants légaux.'}{' '}
        Elles sont enregistrées par l’Assurance Maladie. Leur accès prend fin de lui-même à la
        majorité (18 ans), ou à la date de fin enregistrée.
      </p>
      {state.loading && !state.data ? <Loading /> : null}
      {state.error !== undefined ? <ErrorMessage error={state.error} /> : null}
      {state.data && people.length === 0 ? (
        <p>Personne n’est enregistré comme représentant légal de ce dossier.</p>
      ) : null}
      {people.length > 0 ? (
        <ul className="plain-list" aria-label="Représentants légaux">
          {people.map((p) => {
            const code = p.relationship?.[0]?.coding?.[0]?.code;
            return (
              <li key={p.id} className="card">
                <h2>{p.name?.[0]?.text ?? 'Représentant légal'}</h2>
                <dl className="meta">
                  <dt>Lien</dt>
                  <dd>{code !== undefined ? (RELATIONS[code] ?? code) : '—'}</dd>
                  <dt>Depuis le</dt>
                  <dd>{formatDate(p.period?.start)}</dd>
                  <dt>Jusqu’au</dt>
                  <dd>{formatDate(p.period?.end)}</dd>
                  <dt>État</dt>
                  <dd>
                    {p.active === true ? (
                      <Badge kind="success">En cours</Badge>
                    ) : (
                      <Badge kind="neutral">Terminé</Badge>
                    )}
                  </dd>
                </dl>
              </li>
            );
          })}
        </ul>
      ) : null}
      <section className="card" aria-labelledby="unseen-title">
        <h2 id="unseen-title">Ce que vos représentants ne voient pas</h2>
        <ul>
          <li>les documents qu’un professionnel a rendus invisibles aux représentants légaux ;</li>
          <li>
            ce qu’a fait un professionnel qui vous soigne en secret de vos représentants (connexion
            secrète) : ses documents et ses accès à votre dossier.
          </li>
        </ul>
      </section>
    </>
  );
}
