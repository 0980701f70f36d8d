/**
 * RFC 6902 JSON Patch on a JSON value (pure: the input is not modified). Operations add, remove, replace, move,
 * copy and test; RFC 6901 pointers (`~0` = `~`, `~1` = `/`; `-` appends to an array).
 */
export interface PatchOperation {
  readonly op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  readonly path: string;
  readonly from?: string;
  readonly value?: unknown;
}

export class JsonPatchError extends Error {
  readonly index: number;
  readonly kind: 'invalid' | 'test-failed';
  constructor(index: number, kind: 'invalid' | 'test-failed', message: string) {
    super(message);
    this.name = 'JsonPatchError';
    this.index = index;
    this.kind = kind;
  }
}

const OPS: ReadonlySet<string> = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Reads a JSON Patch document; throws JsonPatchError on anything that is not one. */
export function readPatch(body: unknown): PatchOperation[] {
  if (!Array.isArray(body) || body.length === 0) {
    throw new JsonPatchError(-1, 'invalid', 'A JSON Patch is a non-empty array of operations.');
  }
  return body.map((raw, i): PatchOperation => {
    const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const { op, path, from } = o;
    if (
      typeof op !== 'string' ||
      !OPS.has(op) ||
      typeof path !== 'string' ||
      (path !== '' && !path.startsWith('/'))
    ) {
      throw new JsonPatchError(
        i,
        'invalid',
        'Each operation needs op (add, remove, replace, move, copy, test) and a path.',
      );
    }
    if (
      (op === 'move' || op === 'copy') &&
      (typeof from !== 'string' || (from !== '' && !from.startsWith('/')))
    ) {
      throw new JsonPatchError(i, 'invalid', `${op} needs a from pointer.`);
    }
    if ((op === 'add' || op === 'replace' || op === 'test') && !('value' in o)) {
      throw new JsonPatchError(i, 'invalid', `${op} needs a value.`);
    }
    return {
      op: op as PatchOperation['op'],
      path,
      ...(typeof from === 'string' ? { from } : {}),
      ...('value' in o ? { value: o['value'] } : {}),
    };
  });
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') {
    return [];
  }
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function arrayIndex(arr: unknown[], token: string, forAdd: boolean): number | undefined {
  if (forAdd && token === '-') {
    return arr.length;
  }
  if (!/^(0|[1-9]\d*)$/.test(token)) {
    return undefined;
  }
  const n = Number(token);
  return n < arr.length || (forAdd && n === arr.length) ? n : undefined;
}

function parentOf(
  doc: unknown,
  tokens: readonly string[],
): { parent: Container; key: string } | undefined {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(cur, t, false);
      if (i === undefined) {
        return undefined;
      }
      cur = cur[i];
    } else if (isContainer(cur) && Object.hasOwn(cur, t)) {
      cur = (cur as Record<string, unknown>)[t];
    } else {
      return undefined;
    }
  }
  const key = tokens[tokens.length - 1];
  return isContainer(cur) && key !== undefined ? { parent: cur, key } : undefined;
}

function get(doc: unknown, tokens: readonly string[]): { found: boolean; value: unknown } {
  if (tokens.length === 0) {
    return { found: true, value: doc };
  }
  const p = parentOf(doc, tokens);
  if (!p) {
    return { found: false, value: undefined };
  }
  if (Array.isArray(p.parent)) {
    const i = arrayIndex(p.parent, p.key, false);
    return i === undefined
      ? { found: false, value: undefined }
      : { found: true, value: p.parent[i] };
  }
  return Object.hasOwn(p.parent, p.key)
    ? { found: true, value: p.parent[p.key] }
    : { found: false, value: undefined };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isContainer(a) && isContainer(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

export { deepEqual as jsonEqual };

/** Applies the operations in order; throws JsonPatchError (with the operation index) when one cannot apply. */
export function applyPatch<T>(document: T, operations: readonly PatchOperation[]): T {
  let doc: unknown = clone(document);
  operations.forEach((op, index) => {
    const fail = (message: string): never => {
      throw new JsonPatchError(index, 'invalid', message);
    };
    const tokens = parsePointer(op.path);
    const remove = (t: readonly string[]): unknown => {
      const p = parentOf(doc, t);
      if (!p) {
        return fail(`Nothing at ${op.path}.`);
      }
      if (Array.isArray(p.parent)) {
        const i = arrayIndex(p.parent, p.key, false);
        if (i === undefined) {
          return fail(`No array element at ${op.path}.`);
        }
        return p.parent.splice(i, 1)[0];
      }
      if (!Object.hasOwn(p.parent, p.key)) {
        return fail(`Nothing at ${op.path}.`);
      }
      const value = p.parent[p.key];
      Reflect.deleteProperty(p.parent, p.key);
      return value;
    };
    const add = (t: readonly string[], value: unknown): void => {
      if (t.length === 0) {
        doc = value;
        return;
      }
      const p = parentOf(doc, t);
      if (!p) {
        fail(`The parent of ${op.path} does not exist.`);
        return;
      }
      if (Array.isArray(p.parent)) {
        const i = arrayIndex(p.parent, p.key, true);
        if (i === undefined) {
          fail(`Bad array index in ${op.path}.`);
          return;
        }
        p.parent.splice(i, 0, value);
      } else {
        p.parent[p.key] = value;
      }
    };
    switch (op.op) {
      case 'add':
        add(tokens, clone(op.value));
        break;
      case 'remove':
        remove(tokens);
        break;
      case 'replace':
        if (!get(doc, tokens).found) {
          fail(`Nothing to replace at ${op.path}.`);
        }
        remove(tokens);
        add(tokens, clone(op.value));
        break;
      case 'move': {
        const value = remove(parsePointer(op.from ?? ''));
        add(tokens, value);
        break;
      }
      case 'copy': {
        const source = get(doc, parsePointer(op.from ?? ''));
        if (!source.found) {
          fail(`Nothing at ${op.from ?? ''}.`);
        }
        add(tokens, clone(source.value));
        break;
      }
      case 'test': {
        const target = get(doc, tokens);
        if (!target.found || !deepEqual(target.value, op.value)) {
          throw new JsonPatchError(index, 'test-failed', `The test at ${op.path} failed.`);
        }
        break;
      }
    }
  });
  return doc as T;
}
