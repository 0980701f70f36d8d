import type { DomainIssue } from './errors.ts';

/**
 * Bounded issue lists: a validation step reports at most MAX_ISSUES issues, then one ISSUES_TRUNCATED issue that
 * says how many more it found. However broken a request, its answer and the memory spent describing it stay
 * small (issue 16: 400,000 bad Bundle entries once made 400,000 issues and a 5.9 MB answer per 20,000).
 */
export const MAX_ISSUES = 100;

export const ISSUES_TRUNCATED = 'ISSUES_TRUNCATED';

function truncated(more: number): DomainIssue {
  return {
    code: ISSUES_TRUNCATED,
    message: `${String(more)} more issue(s) of the same request are not listed.`,
  };
}

/** The first `max` issues, and one ISSUES_TRUNCATED issue when there were more. */
export function capIssues(
  issues: readonly DomainIssue[],
  max = MAX_ISSUES,
): readonly DomainIssue[] {
  const last = issues[issues.length - 1];
  if (issues.length <= max || (issues.length === max + 1 && last?.code === ISSUES_TRUNCATED)) {
    return issues;
  }
  return [...issues.slice(0, max), truncated(issues.length - max)];
}

/** Collects issues keeping only the first `max` (the others are counted): memory bounded while collecting. */
export class IssueList {
  readonly #kept: DomainIssue[] = [];
  readonly #max: number;
  #dropped = 0;

  constructor(max = MAX_ISSUES) {
    this.#max = max;
  }

  push(issue: DomainIssue): void {
    if (this.#kept.length < this.#max) {
      this.#kept.push(issue);
    } else {
      this.#dropped++;
    }
  }

  get length(): number {
    return this.#kept.length + this.#dropped;
  }

  /** The issues kept, with one ISSUES_TRUNCATED issue when some were dropped. */
  toArray(): DomainIssue[] {
    return this.#dropped > 0 ? [...this.#kept, truncated(this.#dropped)] : [...this.#kept];
  }
}
