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
