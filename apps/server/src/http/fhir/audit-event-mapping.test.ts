import { describe, expect, it } from 'vitest';
import { auditActionOf } from './audit-event-mapping.ts';

describe('AuditEvent.action', () => {
  it('maps our action codes to C/R/U/D/E', () => {
    expect(
      [
        'record.create',
        'document.deposit',
        'record.read',
        'record.close',
        'consent.block.end',
        'record.purge',
        'document.search',
        'auth.login',
        'job.purge',
      ].map(auditActionOf),
    ).toEqual(['C', 'C', 'R', 'U', 'D', 'D', 'E', 'E', 'E']);
  });
});
