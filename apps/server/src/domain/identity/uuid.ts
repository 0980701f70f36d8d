/**
 * Resource ids are UUIDs (RFC 9562 text form: 8-4-4-4-12 hexadecimal digits, any case). An id that is not one is
 * refused before it reaches SQL, where the `uuid` cast would fail: a 36-character string of dashes is not an id.
 */
export const UUID_SOURCE =
  '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

const UUID = new RegExp(`^${UUID_SOURCE}$`);

/** True when `value` is a UUID in its text form. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && value.length === 36 && UUID.test(value);
}
