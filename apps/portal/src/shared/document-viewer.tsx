/**
 * Shows a document's content, fetched from its attachment.url (ITI-68) with the session cookie:
 *  - CDA (XML): header and narrative rendered by cda.tsx from a whitelist (nothing in it can run);
 *  - PDF: the browser's PDF viewer in a frame, from a blob: URL (the page's CSP allows frames from blob:
 *    only; the PDF viewer runs isolated from the page);
 *  - JPEG / PNG: an image from a blob: URL (bare, or the body of a CDA level 1, as portal uploads are stored);
 *  - plain text: as text; anything else: a download link.
 * Blob URLs are revoked when the viewer goes away.
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { getBlob } from './api.ts';
import { parseCda, renderNarrative, type CdaSection, type CdaView } from './cda.tsx';
import { contentOf, docTitle, samePath, type DocumentReference } from './fhir.ts';
import { formatDate } from './format.ts';
import { decodeXml } from './xml-text.ts';
import { Alert, ErrorMessage, Loading, useAsync } from './ui.tsx';

type Loaded =
  | { readonly kind: 'cda'; readonly view: CdaView; readonly blob: Blob }
  | { readonly kind: 'pdf' | 'image' | 'other'; readonly blob: Blob }
  | { readonly kind: 'text'; readonly text: string; readonly blob: Blob };

function isXml(type: string): boolean {
  return /(^|[/+])xml\b/.test(type) || type === 'application/hl7-v3';
}

async function load(url: string, declaredType: string, signal: AbortSignal): Promise<Loaded> {
  const blob = await getBlob(samePath(url), signal);
  const type = (declaredType || blob.type).split(';')[0]?.trim().toLowerCase() ?? '';
  if (isXml(type)) {
    const view = parseCda(decodeXml(new Uint8Array(await blob.arrayBuffer())));
    return { kind: 'cda', view, blob };
  }
  if (type === 'application/pdf') {
    return { kind: 'pdf', blob: new Blob([blob], { type: 'application/pdf' }) };
  }
  if (type === 'image/jpeg' || type === 'image/png') {
    return { kind: 'image', blob: new Blob([blob], { type }) };
  }
  if (type === 'text/plain') {
    return { kind: 'text', text: await blob.text(), blob };
  }
  return { kind: 'other', blob };
}

function useObjectUrl(blob: Blob | undefined): string | undefined {
  const url = useMemo(() => (blob ? URL.createObjectURL(blob) : undefined), [blob]);
  useEffect(
    () => () => {
      if (url !== undefined) {
        URL.revokeObjectURL(url);
      }
    },
    [url],
  );
  return url;
}

function Sections({
  sections,
  level,
}: {
  readonly sections: readonly CdaSection[];
  readonly level: number;
}): ReactNode {
  const H = `h${Math.min(level, 6)}` as 'h3';
  return sections.map((s, i) => (
    <section key={i} className="cda-section">
      {s.title !== undefined && <H>{s.title}</H>}
      {s.text && <div className="cda-text">{renderNarrative(s.text)}</div>}
      {s.sections.length > 0 && <Sections sections={s.sections} level={level + 1} />}
    </section>
  ));
}

function PdfFrame({ blob, title }: { readonly blob: Blob; readonly title: string }): ReactNode {
  const url = useObjectUrl(blob);
  if (url === undefined) {
    return null;
  }
  return (
    <>
      <iframe className="pdf-frame" src={url} title={`Contenu du document : ${title}`} />
      <p>
        <a className="button secondary small" href={url} download={`${title}.pdf`}>
          Télécharger le PDF
        </a>
      </p>
    </>
  );
}

function ImageView({ blob, title }: { readonly blob: Blob; readonly title: string }): ReactNode {
  const url = useObjectUrl(blob);
  return url === undefined ? null : (
    <img className="doc-image" src={url} alt={`Image du document : ${title}`} />
  );
}

function Download({ blob, title }: { readonly blob: Blob; readonly title: string }): ReactNode {
  const url = useObjectUrl(blob);
  return url === undefined ? null : (
    <p>
      <a className="button secondary" href={url} download={title}>
        Télécharger le document
      </a>
    </p>
  );
}

export function DocumentViewer({ document }: { readonly document: DocumentReference }): ReactNode {
  const { url, contentType } = contentOf(document);
  const title = docTitle(document);
  const state = useAsync(
    (signal) =>
      url === undefined
        ? Promise.reject(new Error('Ce document n’a pas de contenu.'))
        : load(url, contentType ?? '', signal),
    [url, contentType],
  );
  const [showRaw, setShowRaw] = useState(false);
  if (state.loading) {
    return <Loading label="Ouverture du document…" />;
  }
  if (state.error !== undefined || !state.data) {
    return <ErrorMessage error={state.error} />;
  }
  const loaded = state.data;
  switch (loaded.kind) {
    case 'cda': {
      const { view } = loaded;
      return (
        <article className="cda" aria-label={`Contenu du document : ${title}`}>
          <header className="cda-header">
            <h2>{view.title}</h2>
            <dl className="meta">
              {view.effectiveTime !== undefined && (
                <>
                  <dt>Date du document</dt>
                  <dd>{formatDate(view.effectiveTime)}</dd>
                </>
              )}
              {view.authors.length > 0 && (
                <>
                  <dt>Auteur{view.authors.length > 1 ? 's' : ''}</dt>
                  <dd>{view.authors.join(', ')}</dd>
                </>
              )}
              {view.patient !== undefined && (
                <>
                  <dt>Patient{view.patient.sex === 'F' ? 'e' : ''}</dt>
                  <dd>
                    {view.patient.name ?? '—'}
                    {view.patient.birthDate !== undefined
                      ? `, ${view.patient.sex === 'F' ? 'née' : view.patient.sex === 'M' ? 'né' : 'naissance'} le ${formatDate(view.patient.birthDate)}`
                      : ''}
                  </dd>
                </>
              )}
              {view.custodian !== undefined && (
                <>
                  <dt>Établissement</dt>
                  <dd>{view.custodian}</dd>
                </>
              )}
              {view.legalAuthenticator !== undefined && (
                <>
                  <dt>Validé par</dt>
                  <dd>
                    {view.legalAuthenticator.name ?? '—'}
                    {view.legalAuthenticator.time !== undefined
                      ? `, le ${formatDate(view.legalAuthenticator.time)}`
                      : ''}
                  </dd>
                </>
              )}
              {view.encounter !== undefined && (
                <>
                  <dt>Prise en charge</dt>
                  <dd>
                    {view.encounter.start !== undefined
                      ? view.encounter.end !== undefined &&
                        view.encounter.end.slice(0, 10) !== view.encounter.start.slice(0, 10)
                        ? `du ${formatDate(view.encounter.start)} au ${formatDate(view.encounter.end)}`
                        : `le ${formatDate(view.encounter.start)}`
                      : ''}
                    {view.encounter.place !== undefined
                      ? `${view.encounter.start !== undefined ? ', ' : ''}${view.encounter.place}`
                      : ''}
                  </dd>
                </>
              )}
            </dl>
            <p className="print-hide">
              <button
                type="button"
                className="button secondary small"
                onClick={() => window.print()}
              >
                Imprimer ou télécharger en PDF
              </button>
            </p>
          </header>
          {view.embedded ? (
            view.embedded.mediaType === 'application/pdf' ? (
              <PdfFrame
                blob={new Blob([view.embedded.bytes.slice().buffer], { type: 'application/pdf' })}
                title={title}
              />
            ) : view.embedded.mediaType === 'image/jpeg' ||
              view.embedded.mediaType === 'image/png' ? (
              <ImageView
                blob={
                  new Blob([view.embedded.bytes.slice().buffer], { type: view.embedded.mediaType })
                }
                title={title}
              />
            ) : (
              <Alert kind="info">
                Ce document contient un fichier au format {view.embedded.mediaType}.
              </Alert>
            )
          ) : view.sections.length === 0 ? (
            <Alert kind="info">Ce document ne contient pas de texte lisible.</Alert>
          ) : (
            <Sections sections={view.sections} level={3} />
          )}
          <p>
            <button
              type="button"
              className="button small ghost"
              onClick={() => setShowRaw((v) => !v)}
              aria-expanded={showRaw}
            >
              {showRaw ? 'Masquer le fichier technique' : 'Fichier technique (XML)'}
            </button>
          </p>
          {showRaw && <Download blob={loaded.blob} title={`${title}.xml`} />}
        </article>
      );
    }
    case 'pdf':
      return <PdfFrame blob={loaded.blob} title={title} />;
    case 'image':
      return <ImageView blob={loaded.blob} title={title} />;
    case 'text':
      return <pre className="doc-text">{loaded.text}</pre>;
    case 'other':
      return <Download blob={loaded.blob} title={title} />;
  }
}
