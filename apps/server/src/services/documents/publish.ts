import type { Actor } from '../../domain/access/actor.ts';
import { DomainFailure, domainError, validationError } from '../../domain/errors.ts';
import { validateFhirResource } from '../../validation/fhir-schema.ts';
import type { DocumentDeps } from './context.ts';
import { decodeBase64 } from './intake.ts';
import type { ProvideResult } from './provide.ts';
import { provideDocuments } from './provide.ts';
import type { ProvideRequest } from './provide-bundle.ts';
import { checkBundleSize, readProvideBundle } from './provide-bundle.ts';

/** The two deposit transactions: ITI-65 (transaction Bundle) and ITI-105 (one DocumentReference with its data). */
type Json = Record<string, unknown>;

function checkStructure(body: unknown, type: 'Bundle' | 'DocumentReference'): Json {
  const issues = validateFhirResource(body, type);
  if (issues.length > 0) {
    throw new DomainFailure(validationError(issues, 'invalid'));
  }
  return body as Json;
}

/** ITI-65 Provide Document Bundle. */
export async function provideBundle(
  deps: DocumentDeps,
  actor: Actor,
  body: unknown,
  contents?: ReadonlyMap<string, Buffer>,
): Promise<{ request: ProvideRequest; result: ProvideResult }> {
  checkBundleSize(body);
  const bundle = checkStructure(body, 'Bundle');
  const request = readProvideBundle(bundle, contents);
  return { request, result: await provideDocuments(deps, actor, request) };
}

/** ITI-105 Simplified Publish: the content travels in attachment.data; the server makes the SubmissionSet. */
export async function publishDocument(
  deps: DocumentDeps,
  actor: Actor,
  body: unknown,
  contents?: ReadonlyMap<string, Buffer>,
): Promise<ProvideResult> {
  const resource = checkStructure(body, 'DocumentReference');
  const content = Array.isArray(resource['content']) ? (resource['content'] as Json[]) : [];
  const attachment = (content[0]?.['attachment'] ?? {}) as Json;
  if (attachment['data'] === undefined) {
    throw new DomainFailure(
      domainError(
        'unprocessable',
        'DOC_CONTENT_MISSING',
        'ITI-105 carries the document in content[0].attachment.data (base64).',
        ['DocumentReference.content[0].attachment.data'],
      ),
    );
  }
  const bytes = decodeBase64(
    attachment['data'],
    'DocumentReference.content[0].attachment.data',
    contents,
  );
  const request: ProvideRequest = {
    documents: [{ resource, bytes, root: 'DocumentReference', key: 'document' }],
    folders: [],
    supersedes: [],
    entries: [{ kind: 'document', key: 'document' }],
  };
  return provideDocuments(deps, actor, request);
}
