/**
 * MTOM / XOP (issue 19): `multipart/related; type="application/xop+xml"` requests split into their root part (the
 * SOAP envelope) and their attachments by Content-ID, and responses written the same way. Pure (Buffers in, Buffers
 * out); bounded: at most {@link MAX_PARTS} parts, part headers at most {@link MAX_HEADER_BYTES}.
 *
 * Reading rules:
 * M1. The boundary comes from the Content-Type (quoted or not, 1–70 characters); the root part is the one named by
 *     `start`, else the first one. A delimiter is `--boundary` at the start of a line (CRLF, or a bare LF as some
 *     captures have); the line break before it belongs to the delimiter, so a part's bytes are exactly what was
 *     sent between its blank line and that break.
 * M2. A part's Content-Transfer-Encoding is binary, 8bit, 7bit (taken as is) or base64 (decoded); anything else is
 *     refused.
 * M3. `cid:` references are URL-decoded and compared with the Content-IDs without their angle brackets.
 */
export const MAX_PARTS = 1000;
export const MAX_HEADER_BYTES = 8 * 1024;

export class MtomFailure extends Error {
  readonly code = 'MTOM_INVALID';
}

export interface MultipartRelated {
  readonly root: Buffer;
  /** Attachments by Content-ID (without `<>`). */
  readonly parts: ReadonlyMap<string, Buffer>;
}

/** Media-type parameters of a Content-Type header (lower-case names). */
export function contentTypeParams(header: string): { type: string; params: Map<string, string> } {
  const [type = '', ...rest] = splitParams(header);
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq > 0) {
      let v = p.slice(eq + 1).trim();
      if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) {
        v = v.slice(1, -1).replace(/\\(.)/g, '$1');
      }
      params.set(p.slice(0, eq).trim().toLowerCase(), v);
    }
  }
  return { type: type.trim().toLowerCase(), params };
}

function splitParams(header: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i] as string;
    if (c === '"' && header[i - 1] !== '\\') {
      quoted = !quoted;
    }
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function stripCid(id: string): string {
  const t = id.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1) : t;
}

/** The Content-ID an `href="cid:…"` names. */
export function cidOf(href: string): string | undefined {
  if (!/^cid:/i.test(href)) {
    return undefined;
  }
  try {
    return decodeURIComponent(href.slice(4));
  } catch {
    return undefined;
  }
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  return headers;
}

/** Splits a multipart/related body (rules M1–M3). Throws MtomFailure. */
export function parseMultipartRelated(contentType: string, body: Buffer): MultipartRelated {
  const { type, params } = contentTypeParams(contentType);
  const boundary = params.get('boundary');
  if (type !== 'multipart/related' || !boundary || boundary.length > 70) {
    throw new MtomFailure('A multipart/related Content-Type with a boundary is required.');
  }
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  // Positions of every delimiter at the start of a line.
  const starts: { at: number; lineBreak: number }[] = [];
  for (let at = body.indexOf(delimiter); at !== -1; at = body.indexOf(delimiter, at + 1)) {
    if (at === 0) {
      starts.push({ at, lineBreak: 0 });
    } else if (body[at - 1] === 0x0a) {
      starts.push({ at, lineBreak: body[at - 2] === 0x0d ? 2 : 1 });
    }
    if (starts.length > MAX_PARTS + 1) {
      throw new MtomFailure(`More than ${MAX_PARTS} MIME parts.`);
    }
  }
  const parts: { headers: Map<string, string>; bytes: Buffer }[] = [];
  let closed = false;
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i] as { at: number; lineBreak: number };
    const afterDelim = s.at + delimiter.length;
    if (body[afterDelim] === 0x2d && body[afterDelim + 1] === 0x2d) {
      closed = true;
      break;
    }
    const next = starts[i + 1];
    if (!next) {
      break;
    }
    const lineEnd = body.indexOf(0x0a, afterDelim);
    if (lineEnd === -1 || lineEnd >= next.at) {
      throw new MtomFailure('A MIME delimiter line is not terminated.');
    }
    const partStart = lineEnd + 1;
    const partEnd = next.at - next.lineBreak;
    let sep = body.indexOf('\r\n\r\n', partStart, 'latin1');
    let sepLength = 4;
    const lf = body.indexOf('\n\n', partStart, 'latin1');
    if (sep === -1 || (lf !== -1 && lf < sep)) {
      sep = lf;
      sepLength = 2;
    }
    if (sep === -1 || sep > partEnd || sep - partStart > MAX_HEADER_BYTES) {
      throw new MtomFailure('A MIME part has no header block, or one too large.');
    }
    const headers = parseHeaders(body.subarray(partStart, sep).toString('latin1'));
    let bytes = body.subarray(sep + sepLength, partEnd);
    const encoding = (headers.get('content-transfer-encoding') ?? 'binary').toLowerCase();
    if (encoding === 'base64') {
      bytes = Buffer.from(bytes.toString('latin1'), 'base64');
    } else if (!['binary', '8bit', '7bit'].includes(encoding)) {
      throw new MtomFailure(`Content-Transfer-Encoding ${encoding.slice(0, 20)} is not supported.`);
    }
    parts.push({ headers, bytes });
  }
  if (!closed || parts.length === 0) {
    throw new MtomFailure('The multipart body is not closed by its final delimiter.');
  }
  const start = params.get('start');
  const rootIndex =
    start === undefined
      ? 0
      : parts.findIndex((p) => stripCid(p.headers.get('content-id') ?? '') === stripCid(start));
  if (rootIndex === -1) {
    throw new MtomFailure('No MIME part has the Content-ID named by "start".');
  }
  const attachments = new Map<string, Buffer>();
  parts.forEach((p, i) => {
    if (i === rootIndex) {
      return;
    }
    const id = stripCid(p.headers.get('content-id') ?? '');
    if (id === '' || attachments.has(id)) {
      throw new MtomFailure('A MIME part has no Content-ID, or one already used.');
    }
    attachments.set(id, p.bytes);
  });
  return { root: (parts[rootIndex] as { bytes: Buffer }).bytes, parts: attachments };
}

export interface OutgoingMultipart {
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * An MTOM response: the envelope (whose `xop:Include` elements name `cid:<id>`) and the attachments by id, each
 * sent as binary.
 */
export function buildMultipartRelated(
  envelope: string,
  attachments: readonly { id: string; mimeType: string; bytes: Uint8Array }[],
  action: string,
  boundary: string,
): OutgoingMultipart {
  const rootId = `root.${boundary}@opendmp`;
  const chunks: Buffer[] = [
    Buffer.from(
      `--${boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\n` +
        `Content-Transfer-Encoding: binary\r\nContent-ID: <${rootId}>\r\n\r\n`,
      'latin1',
    ),
    Buffer.from(envelope, 'utf8'),
  ];
  for (const a of attachments) {
    chunks.push(
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Type: ${a.mimeType.replace(/[\r\n]/g, '')}\r\n` +
          `Content-Transfer-Encoding: binary\r\nContent-ID: <${a.id}>\r\n\r\n`,
        'latin1',
      ),
      Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength),
    );
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  return {
    contentType:
      `multipart/related; boundary="${boundary}"; type="application/xop+xml"; ` +
      `start="<${rootId}>"; start-info="application/soap+xml"; action="${action}"`,
    body: Buffer.concat(chunks),
  };
}
