/**
 * The record a professional works on: found by INS with the TD0.2 lookup (GET /fhir/Patient?identifier=…),
 * which answers the record’s status and the caller’s own standing, and the identity traits when the record is open
 * to the caller (issue 17 rule 8, shown by patient-identity.tsx).
 */
import { createContext, useContext, type ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import {
  callerStanding,
  recordStatus,
  resources,
  type Bundle,
  type CallerStanding,
  type Patient,
  type RecordStatus,
} from '../shared/fhir.ts';
import { Link } from '../shared/router.tsx';
import { useSession } from '../shared/session.tsx';
import { Alert, ErrorMessage, Loading, useAsync } from '../shared/ui.tsx';

export const INS_SYSTEMS: readonly { oid: string; label: string }[] = [
  { oid: '1.2.250.1.213.1.4.8', label: 'INS-NIR' },
  { oid: '1.2.250.1.213.1.4.9', label: 'INS-NIA' },
  { oid: '1.2.250.1.213.1.4.10', label: 'INS-NIR de test' },
  { oid: '1.2.250.1.213.1.4.11', label: 'INS-NIR de démonstration' },
];

export interface ProRecord {
  readonly ins: string;
  readonly oid: string;
  /** `urn:oid:<oid>|<INS>` */
  readonly identifier: string;
  /** undefined: no record exists for this INS. */
  readonly patient: Patient | undefined;
  readonly status: RecordStatus | undefined;
  readonly standing: CallerStanding | undefined;
  readonly reload: () => void;
}

const Context = createContext<ProRecord | undefined>(undefined);

export function useProRecord(): ProRecord {
  const ctx = useContext(Context);
  if (!ctx) {
    throw new Error('useProRecord outside ProRecordProvider');
  }
  return ctx;
}

export function ProRecordProvider({
  ins,
  oid,
  children,
}: {
  readonly ins: string;
  readonly oid: string;
  readonly children: ReactNode;
}): ReactNode {
  const identifier = `urn:oid:${oid}|${ins}`;
  const { session } = useSession();
  // Issue 17 rule 6: an emergency session applies to the one record it was opened for; another record is not
  // even looked up in it (the server would refuse it, ACCESS_EMERGENCY_OTHER_RECORD).
  const elsewhere =
    (session.actor.mode === 'bris_de_glace' || session.actor.mode === 'centre_15') &&
    session.actor.emergencyIns !== ins;
  const state = useAsync(
    (signal) =>
      elsewhere
        ? Promise.resolve(undefined)
        : getJson<Bundle<Patient>>(
            `/fhir/Patient?identifier=${encodeURIComponent(identifier)}`,
            signal,
          ),
    [identifier, elsewhere],
  );
  if (elsewhere) {
    return (
      <>
        <h1>Dossier du patient</h1>
        <Alert kind="error" title="Votre accès en urgence concerne un autre patient">
          <p>
            L’accès en urgence et sa justification ne valent que pour le dossier pour lequel vous
            l’avez déclaré
            {session.actor.emergencyIns !== undefined && <> (INS {session.actor.emergencyIns})</>}.
            Pour ouvrir ce dossier, quittez le mode urgence ; s’il faut y accéder en urgence,
            déclarez-le pour ce patient, avec sa propre justification.
          </p>
        </Alert>
        {session.actor.emergencyIns !== undefined && (
          <p>
            <Link to={recordPath({ ins: session.actor.emergencyIns, oid })}>
              ← Revenir au dossier ouvert en urgence
            </Link>
          </p>
        )}
      </>
    );
  }
  if (state.loading && !state.data) {
    return <Loading label="Recherche du dossier…" />;
  }
  if (state.error !== undefined) {
    return (
      <>
        <h1>Dossier du patient</h1>
        <ErrorMessage error={state.error} />
      </>
    );
  }
  const patient = resources(state.data)[0];
  const value: ProRecord = {
    ins,
    oid,
    identifier,
    patient,
    status: patient ? recordStatus(patient) : undefined,
    standing: patient ? callerStanding(patient) : undefined,
    reload: state.reload,
  };
  return <Context value={value}>{children}</Context>;
}

export function recordPath(r: Pick<ProRecord, 'ins' | 'oid'>, rest = ''): string {
  return `/dossier/${encodeURIComponent(r.ins)}${rest}?oid=${encodeURIComponent(r.oid)}`;
}
