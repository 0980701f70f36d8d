/** Vaccinations (issue 21 point 5): the patient's vaccination record (carnet de vaccination), one dated list. */
import type { ReactNode } from 'react';
import { Link } from '../shared/router.tsx';
import { VaccinationRecord } from '../shared/vaccinations.tsx';
import { useRecord } from './record.tsx';

export function VaccinationsPage(): ReactNode {
  const record = useRecord();
  return (
    <>
      <VaccinationRecord
        identifier={record.identifier}
        viewer={record.isRepresentative ? 'representative' : 'patient'}
        documentPath={(id) => `/documents/${id}`}
        headingLevel={1}
      />
      <p>
        Les vaccinations notées dans le <Link to="/profil">profil médical</Link>, celles qu’un
        professionnel a enregistrées et les documents de vaccination, du plus récent au plus ancien.
        Pour noter une vaccination vous-même, passez par le profil médical.
      </p>
    </>
  );
}
