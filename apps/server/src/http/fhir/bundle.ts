/** Search-set bundles. */
export function searchset(
  baseUrl: string,
  selfUrl: string,
  entries: {
    resource: Record<string, unknown>;
    fullUrl?: string;
    mode?: 'match' | 'include' | 'outcome';
  }[],
  total?: number,
  next?: string,
): Record<string, unknown> {
  const link = [{ relation: 'self', url: selfUrl }];
  if (next) {
    link.push({ relation: 'next', url: next });
  }
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total === undefined ? {} : { total }),
    link,
    entry: entries.map((e) => ({
      fullUrl:
        e.fullUrl ??
        `${baseUrl}/fhir/${String(e.resource['resourceType'])}/${String(e.resource['id'])}`,
      resource: e.resource,
      search: { mode: e.mode ?? 'match' },
    })),
  };
}

/**
 * A search-set bundle as UTF-8 JSON, its entries given as UTF-8 JSON (copied, not re-serialised): the pieces in
 * order (AnswerBuffers assembles them).
 */
export function searchsetParts(
  selfUrl: string,
  entries: readonly Buffer[],
  total: number,
  next?: string,
): Buffer[] {
  const link = [{ relation: 'self', url: selfUrl }];
  if (next) {
    link.push({ relation: 'next', url: next });
  }
  const parts: Buffer[] = [
    Buffer.from(
      `{"resourceType":"Bundle","type":"searchset","total":${String(total)},"link":${JSON.stringify(link)},"entry":[`,
    ),
  ];
  entries.forEach((e, i) => {
    if (i > 0) {
      parts.push(COMMA);
    }
    parts.push(e);
  });
  parts.push(END);
  return parts;
}

const COMMA = Buffer.from(',');
const END = Buffer.from(']}');
