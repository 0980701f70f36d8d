import { describe, expect, it } from 'vitest';
import { describeError } from './describe-error.ts';

describe('describeError', () => {
  it('says that a rejection without a value gave no reason, instead of printing nothing useful', () => {
    expect(describeError(undefined)).toBe('undefined (the failing step gave no reason)');
  });

  it('prints what a non-Error rejection gave', () => {
    expect(describeError('pg_ctl: no server running')).toBe("'pg_ctl: no server running'");
    expect(describeError({ exitCode: 1 })).toBe('{ exitCode: 1 }');
  });

  it('gives the message, the code, the aggregated errors and the cause of an Error', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    const aggregate = Object.assign(new AggregateError([refused], ''), { code: 'ECONNREFUSED' });
    expect(describeError(new Error('migrations failed', { cause: aggregate }))).toBe(
      'migrations failed; caused by: AggregateError [ECONNREFUSED] (connect ECONNREFUSED 127.0.0.1:5432)',
    );
  });
});
