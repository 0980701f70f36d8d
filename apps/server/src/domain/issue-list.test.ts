import { describe, expect, it } from 'vitest';
import type { DomainIssue } from './errors.ts';
import { validationError } from './errors.ts';
import { capIssues, IssueList, MAX_ISSUES } from './issue-list.ts';

const issues = (n: number): DomainIssue[] =>
  Array.from({ length: n }, (_v, i) => ({ code: 'X', message: `issue ${String(i)}` }));

describe('bounded issue lists', () => {
  it.each([
    [0, 0, undefined],
    [1, 1, undefined],
    [MAX_ISSUES, MAX_ISSUES, undefined],
    [MAX_ISSUES + 1, MAX_ISSUES + 1, '1 more'],
    [400_000, MAX_ISSUES + 1, '399900 more'],
  ])('%i issues → %i listed, summary %s', (n, listed, summary) => {
    for (const out of [
      capIssues(issues(n)),
      (() => {
        const list = new IssueList();
        issues(n).forEach((i) => list.push(i));
        expect(list.length).toBe(n);
        return list.toArray();
      })(),
      validationError(issues(n)).issues ?? [],
    ]) {
      expect(out).toHaveLength(listed);
      const last = out[out.length - 1];
      if (summary === undefined) {
        expect(out.every((i) => i.code === 'X')).toBe(true);
      } else {
        expect(last?.code).toBe('ISSUES_TRUNCATED');
        expect(last?.message).toContain(summary);
      }
    }
  });

  it('does not truncate a list a collector already truncated', () => {
    const list = new IssueList();
    issues(1000).forEach((i) => list.push(i));
    const out = validationError(list.toArray()).issues ?? [];
    expect(out).toHaveLength(MAX_ISSUES + 1);
    expect(out[MAX_ISSUES]?.message).toMatch(/^900 more/);
  });

  it('keeps the first issue as the error itself', () => {
    expect(validationError(issues(500)).message).toBe('issue 0');
  });
});
