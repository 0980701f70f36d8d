/**
 * Reading the channel preferences a patient (or a legal representative) sends to
 * `PUT /portal-api/notification-preferences`:
 *  P1. body `{"channels": ["inbox", "email"], "email": "name@example.org", "muted": ["document"]}`; every field
 *      is optional and an absent one keeps its default (channels ["inbox"], no e-mail, nothing muted);
 *  P2. channels: a non-empty subset of inbox / email, without repetition; "email" needs an address;
 *  P3. email: null (forget it) or an address of at most 254 characters, one "@", a dot in the domain, no space;
 *  P4. muted: categories among MUTABLE_CATEGORIES (emergency accesses and pending-document notices cannot be muted).
 */
import type { DomainIssue } from '../errors.ts';
import type { Result } from '../result.ts';
import { err, ok } from '../result.ts';
import type { Category, Channel } from './model.ts';
import { CHANNELS, MUTABLE_CATEGORIES } from './model.ts';

export interface PreferenceInput {
  readonly channels: readonly Channel[];
  readonly email: string | null;
  readonly muted: readonly Category[];
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;

function issue(code: string, message: string, field: string): DomainIssue {
  return { code, message, location: [field] };
}

function stringArray(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
}

export function readPreferences(body: unknown): Result<PreferenceInput, DomainIssue[]> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return err([issue('NOTIF_PREFERENCES_INVALID', 'The body must be a JSON object.', '$')]);
  }
  const b = body as Record<string, unknown>;
  const issues: DomainIssue[] = [];
  const unknown = Object.keys(b).filter((k) => !['channels', 'email', 'muted'].includes(k));
  for (const k of unknown) {
    issues.push(issue('NOTIF_PREFERENCES_FIELD', `Unknown field "${k}".`, k));
  }

  let email: string | null = null;
  if (b['email'] !== undefined && b['email'] !== null) {
    const e = b['email'];
    if (typeof e !== 'string' || e.length > 254 || !EMAIL.test(e.trim())) {
      issues.push(
        issue('NOTIF_EMAIL_INVALID', 'email must be a valid e-mail address (or null).', 'email'),
      );
    } else {
      email = e.trim();
    }
  }

  let channels: Channel[] = ['inbox'];
  if (b['channels'] !== undefined) {
    const list = stringArray(b['channels']);
    if (
      !list ||
      list.length === 0 ||
      new Set(list).size !== list.length ||
      !list.every((c) => (CHANNELS as readonly string[]).includes(c))
    ) {
      issues.push(
        issue(
          'NOTIF_CHANNELS_INVALID',
          'channels must be a non-empty list of "inbox" and/or "email".',
          'channels',
        ),
      );
    } else {
      channels = list as Channel[];
    }
  }
  if (
    channels.includes('email') &&
    email === null &&
    !issues.some((i) => i.code === 'NOTIF_EMAIL_INVALID')
  ) {
    issues.push(
      issue('NOTIF_EMAIL_REQUIRED', 'The email channel needs an e-mail address.', 'email'),
    );
  }

  let muted: Category[] = [];
  if (b['muted'] !== undefined) {
    const list = stringArray(b['muted']);
    if (!list || !list.every((c) => (MUTABLE_CATEGORIES as readonly string[]).includes(c))) {
      issues.push(
        issue(
          'NOTIF_MUTED_INVALID',
          `muted must list categories among ${MUTABLE_CATEGORIES.join(', ')} (emergency accesses cannot be muted).`,
          'muted',
        ),
      );
    } else {
      muted = [...new Set(list)] as Category[];
    }
  }
  return issues.length > 0 ? err(issues) : ok({ channels, email, muted });
}
