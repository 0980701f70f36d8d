import { Readable } from 'node:stream';
import yazl from 'yazl';
import type { ArchivedDocument, DownloadAll } from '../../services/documents/download-all.ts';

/**
 * The zip of "Télécharger tous mes documents" (issue 21 point 6), written by yazl as it is sent: an `index.html` (in
 * French: title, type, date, authors, file — a link to it) first, then one file per document, each retrieved only
 * when the zip writer reaches it (addReadStreamLazy), so memory holds one document at a time whatever the record's
 * size. A document that cannot be retrieved any more (deleted meanwhile) gets a short text file instead, and the
 * index says so.
 */

const EXTENSIONS: Readonly<Record<string, string>> = {
  'text/xml': 'xml',
  'application/xml': 'xml',
  'application/pdf': 'pdf',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'text/plain': 'txt',
  'text/rtf': 'rtf',
};

/** "Bilan annuel du diabète (corrigé)" → "Bilan-annuel-du-diabete-corrige" (ASCII, 60 characters at most). */
export function safeName(title: string): string {
  const ascii = title
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return ascii === '' ? 'document' : ascii;
}

export function fileNameOf(d: ArchivedDocument, index: number): string {
  const day = /^\d{4}-\d{2}-\d{2}/.exec(d.date)?.[0] ?? 'sans-date';
  const ext = EXTENSIONS[d.mimeType] ?? 'bin';
  return `documents/${String(index + 1).padStart(4, '0')}-${day}-${safeName(d.title)}.${ext}`;
}

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const FR_DATE = new Intl.DateTimeFormat('fr-FR', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});

function frenchDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) {
    return iso === '' ? '—' : iso;
  }
  const text = FR_DATE.format(new Date(`${m[1]}-${m[2]}-${m[3]}T12:00:00Z`));
  return /^1 /.test(text) ? `1er ${text.slice(2)}` : text;
}

export function indexHtml(all: DownloadAll, holder: string, at: Date): string {
  const rows = all.documents
    .map((d, i) => {
      const file = fileNameOf(d, i);
      return `<tr><td>${escapeHtml(frenchDate(d.date))}</td><td><a href="${escapeHtml(file)}">${escapeHtml(
        d.title,
      )}</a>${d.replaced ? ' (version remplacée)' : ''}</td><td>${escapeHtml(d.type)}</td><td>${escapeHtml(
        d.authors === '' ? '—' : d.authors,
      )}</td><td>${escapeHtml(file.slice('documents/'.length))}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Mes documents — ${escapeHtml(holder)}</title>
<style>body{font-family:sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}</style>
</head>
<body>
<h1>Documents du dossier médical partagé — ${escapeHtml(holder)}</h1>
<p>Archive faite le ${escapeHtml(frenchDate(at.toISOString()))} : ${String(all.documents.length)} document${
    all.documents.length > 1 ? 's' : ''
  }, du plus récent au plus ancien. Les documents CDA (fichiers .xml) s’ouvrent avec un lecteur de documents de santé ou un navigateur.${
    all.truncated
      ? ` Le dossier en contient davantage : seuls les ${String(all.documents.length)} plus récents sont dans cette archive.`
      : ''
  }</p>
<table>
<thead><tr><th scope="col">Date</th><th scope="col">Titre</th><th scope="col">Type</th><th scope="col">Auteur</th><th scope="col">Fichier</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}

/** The zip as a stream; documents are retrieved one by one as the stream is read. */
export function zipOf(all: DownloadAll, holder: string, at: Date): NodeJS.ReadableStream {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(indexHtml(all, holder, at), 'utf8'), 'index.html', { mtime: at });
  all.documents.forEach((d, i) => {
    zip.addReadStreamLazy(fileNameOf(d, i), { mtime: at }, (cb) => {
      all.content(d.contentId).then(
        (bytes) => cb(null, Readable.from([bytes])),
        () =>
          cb(
            null,
            Readable.from([
              Buffer.from(
                `Ce document (« ${d.title} ») n’a pas pu être lu au moment de l’archive : il a peut-être été supprimé.\n`,
                'utf8',
              ),
            ]),
          ),
      );
    });
  });
  zip.end();
  return zip.outputStream;
}
