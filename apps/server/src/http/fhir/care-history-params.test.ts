import { describe, expect, it } from 'vitest';
import { readCareQuery } from './care-history-params.ts';

describe('readCareQuery', () => {
  const CASES: readonly {
    name: string;
    params: Parameters<typeof readCareQuery>[0];
    out?: object;
    codes?: string[];
  }[] = [
    { name: 'defaults', params: {}, out: { count: 50 } },
    {
      name: 'a month',
      params: { date: '2025-02' },
      out: { from: '2025-02-01', to: '2025-02-28', count: 50 },
    },
    {
      name: 'a year',
      params: { date: '2024' },
      out: { from: '2024-01-01', to: '2024-12-31', count: 50 },
    },
    {
      name: 'ge and le',
      params: { date: ['ge2024-03-01', 'le2024-06'] },
      out: { from: '2024-03-01', to: '2024-06-30', count: 50 },
    },
    {
      name: 'gt and lt',
      params: { date: ['gt2024-03-01', 'lt2024-06-01'] },
      out: { from: '2024-03-02', to: '2024-05-31', count: 50 },
    },
    {
      name: 'narrowest wins',
      params: { date: ['ge2024-01-01', 'ge2024-02-01', 'le2024-12-31', 'le2024-11-30'] },
      out: { from: '2024-02-01', to: '2024-11-30', count: 50 },
    },
    {
      name: 'kinds',
      params: { kind: ['ccam,NGAP', 'CCAM'], count: '10' },
      out: { kinds: ['CCAM', 'NGAP'], count: 10 },
    },
    { name: 'bad date', params: { date: 'ne2024-01-01' }, codes: ['CARE_SEARCH_DATE'] },
    { name: 'not a date', params: { date: '2024-02-30' }, codes: ['CARE_SEARCH_DATE'] },
    { name: 'bad kind', params: { kind: 'LPP' }, codes: ['CARE_SEARCH_KIND'] },
    { name: 'count too big', params: { count: '501' }, codes: ['CARE_SEARCH_COUNT'] },
    { name: 'count not a number', params: { count: '1e2' }, codes: ['CARE_SEARCH_COUNT'] },
  ];
  for (const c of CASES) {
    it(c.name, () => {
      const r = readCareQuery(c.params);
      if (c.out) {
        expect(r).toEqual({ ok: true, value: c.out });
      } else {
        expect(r.ok ? [] : r.error.map((i) => i.code)).toEqual(c.codes);
      }
    });
  }
});
