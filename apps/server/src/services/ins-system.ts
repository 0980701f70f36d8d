/**
 * Issue 17 rule 11: the test and demo INS systems only in a demo or test configuration (`config.testInsSystems`);
 * elsewhere 400 ID_INS_TEST_SYSTEM (domain/identity/ins.ts I8).
 */
import type { Config } from '../config.ts';
import { checkInsSystemAllowed } from '../domain/identity/ins.ts';
import { DomainFailure } from '../domain/errors.ts';

export function assertInsSystemAllowed(
  config: Pick<Config, 'testInsSystems'>,
  oid: string,
  location?: readonly string[],
): void {
  const refused = checkInsSystemAllowed(oid, config.testInsSystems);
  if (refused) {
    throw new DomainFailure({
      ...refused,
      kind: 'invalid',
      ...(location !== undefined && { location }),
    });
  }
}
