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

/** A search-set bundle as JSON text, its entries' resources given as JSON text (spliced, not re-serialised). */
export function searchsetText(
  selfUrl: string,
  entries: readonly { readonly fullUrl: string; readonly json: string }[],
  total: number,
  next?: string,
): string {
  const link = [{ relation: 'self', url: selfUrl }];
  if (next) {
    link.push({ relation: 'next', url: next });
  }
  const entry = entries
    .map(
      (e) =>
        `{"fullUrl":${JSON.stringify(e.fullUrl)},"resource":${e.json},"search":{"mode":"match"}}`,
    )
    .join(',');
  return `{"resourceType":"Bundle","type":"searchset","total":${String(total)},"link":${JSON.stringify(link)},"entry":[${entry}]}`;
}
