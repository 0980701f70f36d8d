/**
 * Renders a CDA R2 document as readable HTML from its human-readable parts only — the header (title, date,
 * authors) and each section's narrative block — SAFELY:
 *
 *  N1. The XML is parsed by the browser's DOMParser as `application/xml`: no script runs, no external entity
 *      or DTD is fetched, nothing is attached to the page.
 *  N2. The parsed tree is never inserted as markup. It is walked and turned into React elements from a fixed
 *      whitelist of narrative elements (paragraph, list/item, table parts, content, br, sub, sup, caption);
 *      attributes are dropped except colspan/rowspan (digits only) and styleCode (mapped to our own classes).
 *      Text is inserted as text (React escapes it). Links (linkHtml) become plain text; multimedia is replaced
 *      by a note. An unknown element contributes its text only.
 *  N3. Bounded work: at most MAX_NODES nodes and MAX_DEPTH levels are rendered.
 *  N4. A CDA with a non-XML body (PDF / image in base64) is returned as bytes for the viewer to show as such.
 */
import type { ReactNode } from 'react';

const MAX_NODES = 20_000;
const MAX_DEPTH = 40;

export interface CdaView {
  readonly title: string;
  readonly effectiveTime?: string;
  readonly authors: readonly string[];
  readonly custodian?: string;
  /** The patient as the header names them (recordTarget): name, birth date, sex code (M, F). */
  readonly patient?: { readonly name?: string; readonly birthDate?: string; readonly sex?: string };
  /** The legal authenticator (who signs the document) and when. */
  readonly legalAuthenticator?: { readonly name?: string; readonly time?: string };
  /** The encounter (componentOf/encompassingEncounter): period and place. */
  readonly encounter?: { readonly start?: string; readonly end?: string; readonly place?: string };
  readonly sections: readonly CdaSection[];
  /** Non-XML body (N4). */
  readonly embedded?: { readonly mediaType: string; readonly bytes: Uint8Array };
}

export interface CdaSection {
  readonly title?: string;
  readonly text?: Element;
  readonly sections: readonly CdaSection[];
}

function children(el: Element | Document, name: string): Element[] {
  return Array.from(el.children).filter((c) => c.localName === name);
}

function child(el: Element | Document | undefined, ...path: string[]): Element | undefined {
  let cur: Element | Document | undefined = el;
  for (const name of path) {
    if (!cur) {
      return undefined;
    }
    cur = children(cur, name)[0];
  }
  return cur as Element | undefined;
}

function textOf(el: Element | undefined): string | undefined {
  const t = el?.textContent.replace(/\s+/g, ' ').trim();
  return t === '' ? undefined : t;
}

function personName(el: Element | undefined): string | undefined {
  if (!el) {
    return undefined;
  }
  const given = children(el, 'given')
    .map((g) => textOf(g))
    .filter(Boolean);
  const family = textOf(child(el, 'family'));
  const prefix = textOf(child(el, 'prefix'));
  const parts = [prefix, ...given, family].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : textOf(el);
}

/** HL7 TS (20240512103000+0200) → ISO date(-time) string. */
export function hl7Time(value: string | null | undefined): string | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?/.exec(value ?? '');
  if (!m) {
    return undefined;
  }
  const [, y, mo, d, h, mi] = m;
  if (!mo || !d) {
    return y;
  }
  return h ? `${y}-${mo}-${d}T${h}:${mi ?? '00'}:00` : `${y}-${mo}-${d}`;
}

function readSection(el: Element): CdaSection {
  const title = textOf(child(el, 'title'));
  const text = child(el, 'text');
  return {
    ...(title !== undefined ? { title } : {}),
    ...(text ? { text } : {}),
    sections: children(el, 'component')
      .map((c) => child(c, 'section'))
      .filter((s): s is Element => s !== undefined)
      .map(readSection),
  };
}

function base64Bytes(text: string): Uint8Array {
  const bin = atob(text.replace(/\s+/g, ''));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) {
    bytes[i] = bin.charCodeAt(i);
  }
  return bytes;
}

/** Parses a CDA document; throws an Error with a French message when it is not one. */
export function parseCda(xml: string): CdaView {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const root = doc.documentElement;
  if (doc.getElementsByTagName('parsererror').length > 0 || root.localName !== 'ClinicalDocument') {
    throw new Error('Ce document n’est pas un document CDA lisible.');
  }
  const authors = children(root, 'author')
    .map((a) => {
      const assigned = child(a, 'assignedAuthor');
      const name = personName(child(assigned, 'assignedPerson', 'name'));
      const org = textOf(child(assigned, 'representedOrganization', 'name'));
      return name && org ? `${name} (${org})` : (name ?? org);
    })
    .filter((a): a is string => a !== undefined);
  const custodian = textOf(
    child(root, 'custodian', 'assignedCustodian', 'representedCustodianOrganization', 'name'),
  );
  const effectiveTime = hl7Time(child(root, 'effectiveTime')?.getAttribute('value'));
  const role = child(root, 'recordTarget', 'patientRole', 'patient');
  const patientName = personName(child(role, 'name'));
  const birthDate = hl7Time(child(role, 'birthTime')?.getAttribute('value'));
  const sex = child(role, 'administrativeGenderCode')?.getAttribute('code') ?? undefined;
  const legal = child(root, 'legalAuthenticator');
  const legalName = personName(child(legal, 'assignedEntity', 'assignedPerson', 'name'));
  const legalTime = hl7Time(child(legal, 'time')?.getAttribute('value'));
  const encounterEl = child(root, 'componentOf', 'encompassingEncounter');
  const encStart = hl7Time(child(encounterEl, 'effectiveTime', 'low')?.getAttribute('value'));
  const encEnd = hl7Time(child(encounterEl, 'effectiveTime', 'high')?.getAttribute('value'));
  const place =
    textOf(
      child(encounterEl, 'location', 'healthCareFacility', 'serviceProviderOrganization', 'name'),
    ) ?? textOf(child(encounterEl, 'location', 'healthCareFacility', 'location', 'name'));
  const body = child(root, 'component');
  const structured = child(body, 'structuredBody');
  const nonXml = child(body, 'nonXMLBody', 'text');
  let embedded: CdaView['embedded'];
  if (nonXml && nonXml.getAttribute('representation') === 'B64') {
    try {
      embedded = {
        mediaType: nonXml.getAttribute('mediaType') ?? 'application/octet-stream',
        bytes: base64Bytes(nonXml.textContent),
      };
    } catch {
      embedded = undefined;
    }
  }
  return {
    title: textOf(child(root, 'title')) ?? 'Document',
    ...(effectiveTime !== undefined ? { effectiveTime } : {}),
    authors,
    ...(custodian !== undefined ? { custodian } : {}),
    ...(role
      ? {
          patient: {
            ...(patientName !== undefined ? { name: patientName } : {}),
            ...(birthDate !== undefined ? { birthDate } : {}),
            ...(sex !== undefined ? { sex } : {}),
          },
        }
      : {}),
    ...(legal && (legalName !== undefined || legalTime !== undefined)
      ? {
          legalAuthenticator: {
            ...(legalName !== undefined ? { name: legalName } : {}),
            ...(legalTime !== undefined ? { time: legalTime } : {}),
          },
        }
      : {}),
    ...(encounterEl && (encStart !== undefined || place !== undefined)
      ? {
          encounter: {
            ...(encStart !== undefined ? { start: encStart } : {}),
            ...(encEnd !== undefined ? { end: encEnd } : {}),
            ...(place !== undefined ? { place } : {}),
          },
        }
      : {}),
    sections: structured
      ? children(structured, 'component')
          .map((c) => child(c, 'section'))
          .filter((s): s is Element => s !== undefined)
          .map(readSection)
      : [],
    ...(embedded ? { embedded } : {}),
  };
}

const STYLE_CLASSES: Readonly<Record<string, string>> = {
  Bold: 'cda-bold',
  Italics: 'cda-italics',
  Underline: 'cda-underline',
  Emphasis: 'cda-italics',
};

function styleClass(el: Element): string | undefined {
  const codes = (el.getAttribute('styleCode') ?? '').split(/\s+/);
  const classes = codes.map((c) => STYLE_CLASSES[c]).filter((c): c is string => c !== undefined);
  return classes.length > 0 ? classes.join(' ') : undefined;
}

/**
 * The header texts of a CDA table by column (its thead's first row, else a first row of th cells), when every
 * row can be read as cards on a phone (no rowspan anywhere): a cell is then labelled with its column's header.
 */
const headersOf = new WeakMap<Element, string[] | null>();

function columnHeaders(table: Element): string[] | undefined {
  const known = headersOf.get(table);
  if (known !== undefined) {
    return known ?? undefined;
  }
  const found = readColumnHeaders(table);
  headersOf.set(table, found ?? null);
  return found;
}

function readColumnHeaders(table: Element): string[] | undefined {
  if (table.getElementsByTagNameNS(table.namespaceURI, '*').length > 2000) {
    return undefined;
  }
  const rows = Array.from(table.getElementsByTagNameNS(table.namespaceURI, 'tr'));
  if (rows.some((r) => Array.from(r.children).some((c) => c.getAttribute('rowspan') !== null))) {
    return undefined;
  }
  const thead = Array.from(table.children).find((c) => c.localName === 'thead');
  const first = thead ? Array.from(thead.children).find((c) => c.localName === 'tr') : rows[0];
  if (!first || !Array.from(first.children).every((c) => c.localName === 'th')) {
    return undefined;
  }
  const out: string[] = [];
  for (const th of Array.from(first.children)) {
    const text = th.textContent.replace(/\s+/g, ' ').trim();
    for (let i = 0; i < (span(th, 'colspan') ?? 1); i++) {
      out.push(text);
    }
  }
  return out.length > 1 ? out : undefined;
}

/** A body cell's column header, for its label on a phone. */
function cellLabel(cell: Element): string | undefined {
  const row = cell.parentElement;
  const section = row?.parentElement;
  const table = section?.localName === 'table' ? section : section?.parentElement;
  if (!row || !table || section?.localName === 'thead') {
    return undefined;
  }
  const headers = columnHeaders(table);
  if (!headers || row === (table.getElementsByTagNameNS(table.namespaceURI, 'tr')[0] ?? null)) {
    return undefined;
  }
  let column = 0;
  for (const c of Array.from(row.children)) {
    if (c === cell) {
      break;
    }
    column += span(c, 'colspan') ?? 1;
  }
  const label = headers[column];
  return label !== undefined && label !== '' ? label : undefined;
}

function span(el: Element, name: 'colspan' | 'rowspan'): number | undefined {
  const v = el.getAttribute(name);
  return v !== null && /^\d{1,3}$/.test(v) ? Number(v) : undefined;
}

/** N2: narrative block → React elements from the whitelist. */
export function renderNarrative(text: Element): ReactNode {
  let budget = MAX_NODES;
  const walk = (node: Node, depth: number, key: number): ReactNode => {
    if (budget-- <= 0 || depth > MAX_DEPTH) {
      return null;
    }
    if (node.nodeType === Node.TEXT_NODE || node.nodeType === Node.CDATA_SECTION_NODE) {
      return node.nodeValue;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) {
      return null;
    }
    const el = node as Element;
    const kids = (): ReactNode[] => Array.from(el.childNodes).map((c, i) => walk(c, depth + 1, i));
    const cls = styleClass(el);
    switch (el.localName) {
      case 'paragraph':
        return (
          <p key={key} className={cls}>
            {kids()}
          </p>
        );
      case 'content':
        return (
          <span key={key} className={cls}>
            {kids()}
          </span>
        );
      case 'br':
        return <br key={key} />;
      case 'sub':
        return <sub key={key}>{kids()}</sub>;
      case 'sup':
        return <sup key={key}>{kids()}</sup>;
      case 'list':
        return el.getAttribute('listType') === 'ordered' ? (
          <ol key={key}>{kids()}</ol>
        ) : (
          <ul key={key}>{kids()}</ul>
        );
      case 'item':
        return <li key={key}>{kids()}</li>;
      case 'table': {
        // A wide table scrolls inside its own box, which must then be reachable with the keyboard.
        const caption = Array.from(el.children).find((c) => c.localName === 'caption');
        const label = caption?.textContent.replace(/\s+/g, ' ').trim();
        return (
          <div
            key={key}
            className="table-scroll"
            tabIndex={0}
            role="region"
            aria-label={label !== undefined && label !== '' ? `Tableau : ${label}` : 'Tableau'}
          >
            <table className={columnHeaders(el) ? 'cda-table stack-table' : 'cda-table'}>
              {kids()}
            </table>
          </div>
        );
      }
      case 'caption':
        return <caption key={key}>{kids()}</caption>;
      case 'thead':
        return <thead key={key}>{kids()}</thead>;
      case 'tbody':
        return <tbody key={key}>{kids()}</tbody>;
      case 'tfoot':
        return <tfoot key={key}>{kids()}</tfoot>;
      case 'tr':
        return <tr key={key}>{kids()}</tr>;
      case 'th':
      case 'td': {
        const Cell = el.localName;
        const colSpan = span(el, 'colspan');
        const rowSpan = span(el, 'rowspan');
        const label = cellLabel(el);
        return (
          <Cell
            key={key}
            className={cls}
            {...(label !== undefined ? { 'data-label': label } : {})}
            {...(colSpan !== undefined ? { colSpan } : {})}
            {...(rowSpan !== undefined ? { rowSpan } : {})}
          >
            {kids()}
          </Cell>
        );
      }
      case 'col':
      case 'colgroup':
      case 'footnoteRef':
        return null;
      case 'footnote':
        return (
          <small key={key} className="cda-footnote">
            {kids()}
          </small>
        );
      case 'renderMultiMedia':
        return (
          <em key={key} className="muted">
            [contenu multimédia non affiché]
          </em>
        );
      case 'linkHtml':
        return <span key={key}>{kids()}</span>;
      default:
        // Unknown element: its text only, never its markup or attributes.
        return <span key={key}>{el.textContent}</span>;
    }
  };
  return Array.from(text.childNodes).map((c, i) => walk(c, 0, i));
}
