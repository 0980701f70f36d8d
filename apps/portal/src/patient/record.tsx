/**
 * The record the patient portal shows: the holder's own, or — for a legal representative — the minor's.
 * Found with the TD0.2 lookup every client uses: GET /fhir/Patient?identifier=<INS>.
 */
import { createContext, useContext, type ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import {
  patientName,
  recordStatus,
  resources,
  type Bundle,
  type Patient,
  type RecordStatus,
} from '../shared/fhir.ts';
import { useSession } from '../shared/session.tsx';
import { ErrorMessage, Loading, useAsync } from '../shared/ui.tsx';

export interface RecordContextValue {
  readonly patient: Patient;
  readonly ins: string;
  /** `<system>|<INS>` for the API's patient.identifier parameters. */
  readonly identifier: string;
  readonly status: RecordStatus;
  readonly holderName: string;
  readonly isRepresentative: boolean;
  /** The holder's first name ("Hugo"), for a representative's wording. */
  readonly holderFirstName: string;
  /**
   * How the screens name the record (issue 21 point 8): the holder's own ("votre dossier") or, for a legal
   * representative, the minor's ("le dossier de Hugo").
   */
  readonly the: {
    readonly record: string;
    readonly toRecord: string;
    readonly ofRecord: string;
    readonly Record: string;
  };
  readonly reload: () => void;
}

export function recordWording(
  isRepresentative: boolean,
  firstName: string,
): RecordContextValue['the'] {
  return isRepresentative && firstName !== ''
    ? {
        record: `le dossier de ${firstName}`,
        toRecord: `au dossier de ${firstName}`,
        ofRecord: `du dossier de ${firstName}`,
        Record: `Le dossier de ${firstName}`,
      }
    : {
        record: 'votre dossier',
        toRecord: 'à votre dossier',
        ofRecord: 'de votre dossier',
        Record: 'Votre dossier',
      };
}

const RecordContext = createContext<RecordContextValue | undefined>(undefined);

export function useRecord(): RecordContextValue {
  const ctx = useContext(RecordContext);
  if (!ctx) {
    throw new Error('useRecord outside RecordProvider');
  }
  return ctx;
}

export function RecordProvider({ children }: { readonly children: ReactNode }): ReactNode {
  const { session } = useSession();
  const ins = session.actor.ins ?? '';
  const state = useAsync(
    (signal) =>
      getJson<Bundle<Patient>>(`/fhir/Patient?identifier=${encodeURIComponent(ins)}`, signal),
    [ins],
  );
  if (state.loading && !state.data) {
    return (
      <main id="contenu" className="container">
        <Loading label="Ouverture de votre dossier…" />
      </main>
    );
  }
  if (state.error !== undefined) {
    return (
      <main id="contenu" className="container">
        <h1>Votre dossier</h1>
        <ErrorMessage error={state.error} />
      </main>
    );
  }
  const patient = resources(state.data)[0];
  if (!patient) {
    return (
      <main id="contenu" className="container narrow">
        <h1>Aucun dossier</h1>
        <p>Aucun dossier médical partagé n’existe pour cet identifiant.</p>
      </main>
    );
  }
  const system = patient.identifier?.[0]?.system ?? 'urn:oid:1.2.250.1.213.1.4.8';
  const isRepresentative = session.actor.kind === 'representative';
  const holderFirstName = patient.name?.[0]?.given?.[0] ?? '';
  const value: RecordContextValue = {
    patient,
    ins,
    identifier: `${system}|${ins}`,
    status: recordStatus(patient),
    holderName: patientName(patient),
    isRepresentative,
    holderFirstName,
    the: recordWording(isRepresentative, holderFirstName),
    reload: state.reload,
  };
  return <RecordContext value={value}>{children}</RecordContext>;
}
