import { inspect } from 'node:util';

/**
 * A one-paragraph description of what a failed start threw, for the operator: the message of an Error with its code,
 * the errors it aggregates and its causes; anything else (libraries reject with `undefined`, strings, objects) as
 * Node.js prints it. Never an empty string.
 */
export function describeError(e: unknown, depth = 0): string {
  if (!(e instanceof Error)) {
    return e === undefined
      ? 'undefined (the failing step gave no reason)'
      : inspect(e, { depth: 2 });
  }
  const code = (e as NodeJS.ErrnoException).code;
  let text = e.message || e.name;
  if (typeof code === 'string' && !text.includes(code)) {
    text += ` [${code}]`;
  }
  if (e instanceof AggregateError && e.errors.length > 0 && depth < 3) {
    text += ` (${e.errors.map((x) => describeError(x, depth + 1)).join('; ')})`;
  }
  if (e.cause !== undefined && depth < 3) {
    text += `; caused by: ${describeError(e.cause, depth + 1)}`;
  }
  return text;
}
