/**
 * "Télécharger tous mes documents" (issue 21 point 6): a plain link to the zip the server streams
 * (GET /portal-api/documents/archive: every document the patient sees and an index.html), so the browser saves it
 * as it arrives; the session cookie goes with it like with any same-origin request.
 */
import type { ReactNode } from 'react';
import { useRecord } from './record.tsx';

export function DownloadAllLink({
  kind = 'secondary',
}: {
  readonly kind?: 'primary' | 'secondary';
}): ReactNode {
  const record = useRecord();
  return (
    <a
      className={`button ${kind}`}
      href={`/portal-api/documents/archive?patient.identifier=${encodeURIComponent(record.identifier)}`}
      download
    >
      Télécharger tous mes documents (zip)
    </a>
  );
}
