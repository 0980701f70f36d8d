import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';
import { FHIR_JSON } from '../error-handler.ts';
import { profileCapabilities } from './profile.routes.ts';

/** The server's R4 CapabilityStatement (PDSm "Gestionnaire de partage de documents" role plus our extras). */
export function capabilityStatement(config: Config, releaseDate: string): Record<string, unknown> {
  const search = (name: string, type: string, documentation?: string) => ({
    name,
    type,
    ...(documentation ? { documentation } : {}),
  });
  return {
    resourceType: 'CapabilityStatement',
    id: 'opendmp',
    url: `${config.publicBaseUrl}/fhir/metadata`,
    name: 'OpenDMP',
    title: 'opendmp — Dossier Médical Partagé',
    status: 'active',
    experimental: false,
    date: releaseDate,
    publisher: 'opendmp',
    description:
      'Open implementation of the French shared medical record: IHE MHD / PDSm document sharing, record lifecycle, consent and access history.',
    kind: 'instance',
    software: { name: 'opendmp', version: '0.1.0' },
    implementation: { description: 'opendmp server', url: `${config.publicBaseUrl}/fhir` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    implementationGuide: [
      'https://interop.esante.gouv.fr/ig/fhir/pdsm/ImplementationGuide/ans.fhir.fr.pdsm',
    ],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'OAuth',
                },
              ],
            },
          ],
          description:
            'Bearer JWT from a configured OpenID Connect issuer (Pro Santé Connect role).',
        },
        resource: [
          {
            type: 'Patient',
            interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }],
            searchParam: [
              search('identifier', 'token', 'INS: urn:oid:1.2.250.1.213.1.4.8|NIR (TD0.2)'),
            ],
            operation: [
              {
                name: 'close',
                definition: `${config.publicBaseUrl}/fhir/OperationDefinition/Patient-close`,
              },
              {
                name: 'reopen',
                definition: `${config.publicBaseUrl}/fhir/OperationDefinition/Patient-reopen`,
              },
              {
                name: 'request-deletion',
                definition: `${config.publicBaseUrl}/fhir/OperationDefinition/Patient-request-deletion`,
              },
              {
                name: 'opposition',
                definition: `${config.publicBaseUrl}/fhir/OperationDefinition/Patient-opposition`,
              },
              // Issue 17 rule 1: legal representatives of a minor, registered by the operator.
              {
                name: 'representative',
                definition: `${config.publicBaseUrl}/fhir/OperationDefinition/Patient-representative`,
              },
              {
                name: 'representatives',
                definition: `${config.publicBaseUrl}/fhir/OperationDefinition/Patient-representatives`,
              },
              {
                name: 'end-representative',
                definition: `${config.publicBaseUrl}/fhir/OperationDefinition/Patient-end-representative`,
              },
              // Issue 17 rule 11: a record created under an NIA receives its NIR (operator).
              {
                name: 'assign-nir',
                definition: `${config.publicBaseUrl}/fhir/OperationDefinition/Patient-assign-nir`,
              },
              // Issue 17 rule 11: the operator merges two records of one person (ADR 0016).
              {
                name: 'merge',
                definition: `${config.publicBaseUrl}/fhir/OperationDefinition/Patient-merge`,
              },
            ],
          },
          {
            type: 'DocumentReference',
            supportedProfile: [
              'https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/PDSm_ComprehensiveDocumentReference',
              'https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/PDSm_SimplifiedPublish',
            ],
            interaction: [
              { code: 'read' },
              { code: 'search-type' },
              { code: 'create' },
              {
                code: 'patch',
                documentation:
                  'JSON Patch by id, or by business identifier: PATCH DocumentReference?identifier=<system>|<uniqueId> (PDSm-for-DMP TD3.3)',
              },
            ],
            searchParam: [
              search('patient.identifier', 'token'),
              search('status', 'token'),
              search('type', 'token'),
              search('category', 'token'),
              search('date', 'date'),
              search('period', 'date'),
              search('setting', 'token'),
              search('facility', 'token'),
              search('format', 'token'),
              search('security-label', 'token'),
              search('author.identifier', 'token'),
              search('identifier', 'token'),
              search('related', 'token'),
              search('relatesto', 'reference'),
              search('isArchived', 'token'),
              search('patient', 'reference'),
              search('creation', 'date'),
              search('period-start', 'date'),
              search('period-end', 'date'),
              search('event', 'token'),
              search('_count', 'number'),
              search('_cursor', 'string', 'Opaque paging cursor from a next link'),
            ],
          },
          {
            type: 'List',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [
              search('patient.identifier', 'token'),
              search('code', 'token'),
              search('date', 'date', 'SubmissionSet: submission time; Folder: last update'),
              search('identifier', 'token'),
              search('status', 'token'),
              search(
                'related',
                'token',
                'Lists holding a document whose referenceIdList (context.related) has this value',
              ),
            ],
          },
          { type: 'Binary', interaction: [{ code: 'read' }] },
          {
            type: 'Consent',
            interaction: [
              { code: 'read' },
              { code: 'search-type' },
              { code: 'create' },
              { code: 'delete' },
            ],
            searchParam: [search('patient.identifier', 'token')],
          },
          {
            type: 'AuditEvent',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [
              search('patient.identifier', 'token'),
              search('patient', 'reference'),
              search('date', 'date'),
              search('agent.identifier', 'token'),
              search('subtype', 'token'),
            ],
          },
          {
            type: 'Communication',
            interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'patch' }],
            searchParam: [
              search('recipient', 'reference'),
              search('patient.identifier', 'token'),
              search('status', 'token'),
            ],
          },
          ...profileCapabilities(),
        ],
        interaction: [{ code: 'transaction' }],
      },
    ],
  };
}

export function registerMetadataRoutes(app: FastifyInstance, config: Config): void {
  const statement = capabilityStatement(config, '2026-11-25');
  app.get('/fhir/metadata', { config: { public: true } }, async (_request, reply) => {
    return reply.type(FHIR_JSON).send(statement);
  });
}
