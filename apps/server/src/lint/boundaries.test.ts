import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The boundary rule of issue 18 (eslint.config.js, run by `npm run lint` in `npm test`): the registry core
 * (services/, db/) imports nothing of the FHIR adapter, neither do the other surfaces (the SOAP API, the portals,
 * auth, admin) nor what they share of HTTP, and no module imports itself through a cycle. Each case
 * lints a real file of the repository with one line added, as a developer's change would.
 */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SRC = `${ROOT}apps/server/src/`;

let eslint: ESLint;

async function importErrors(file: string, added: string): Promise<string[]> {
  const path = `${SRC}${file}`;
  const text = `${added}\n${readFileSync(path, 'utf8')}`;
  const [result] = await eslint.lintText(text, { filePath: path });
  return (result?.messages ?? [])
    .filter(
      (m) => m.ruleId?.startsWith('import-x/') === true || m.ruleId === 'no-restricted-imports',
    )
    .map((m) => `${m.ruleId ?? ''}@${String(m.line)}`);
}

describe('lint: the registry core and its FHIR adapter', () => {
  beforeAll(() => {
    eslint = new ESLint({
      cwd: ROOT,
      ruleFilter: ({ ruleId }) =>
        ruleId.startsWith('import-x/') || ruleId === 'no-restricted-imports',
    });
  });

  it('passes the core as it is', async () => {
    expect(await importErrors('services/documents/deposit.ts', '')).toEqual([]);
  }, 300_000);

  it('fails a service that imports the FHIR adapter', async () => {
    expect(
      await importErrors(
        'services/documents/deposit.ts',
        "import { listUniqueId as _l } from '../../http/fhir/list-reading.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
  }, 300_000);

  it('fails a service or a repository that imports a FHIR reader', async () => {
    expect(
      await importErrors(
        'services/documents/search.ts',
        "import { readDocumentReference as _r } from '../../http/fhir/from-document-reference.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
    expect(
      await importErrors(
        'db/documents.repository.ts',
        "import { toDocumentReference as _t } from '../http/fhir/to-document-reference.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
  }, 300_000);

  it("fails the last file made neutral (the portals' inbox) and a migration step when they import the FHIR adapter", async () => {
    expect(
      await importErrors(
        'services/documents/truth-upgrade.ts',
        "import { formerTruth as _f } from '../../http/fhir/former-truth.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
    expect(
      await importErrors(
        'services/notifications/inbox.ts',
        "import { readConsent as _r } from '../../http/fhir/consent-reading.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
  }, 300_000);

  it('fails a service that parses FHIR search parameters (they are read at the edge, issue 18)', async () => {
    expect(
      await importErrors(
        'services/documents/lists.ts',
        "import { parseListSearch as _p } from '../../http/fhir/search-params.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
  }, 300_000);

  it('fails a rule of domain/ that imports a FHIR reader, and CDA generation that imports the FHIR adapter (issue 18)', async () => {
    expect(await importErrors('domain/records/patient-input.ts', '')).toEqual([]);
    expect(
      await importErrors(
        'domain/records/patient-input.ts',
        "import { readDocumentReference as _r } from '../../http/fhir/from-document-reference.ts';",
      ),
    ).toEqual(['no-restricted-imports@1']);
    expect(
      await importErrors(
        'domain/profile/entry.ts',
        "import type { ReadOptions as _O } from '../../http/fhir/pdsm-metadata.ts';",
      ),
    ).toEqual(['no-restricted-imports@1']);
    expect(
      await importErrors(
        'cda/level-one-input.ts',
        "import { readFhirPatient as _r } from '../http/fhir/patient-reading.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
  }, 300_000);

  it('fails the SOAP adapter when it imports the FHIR adapter or the PDSm reader (two adapters, one core)', async () => {
    expect(await importErrors('http/xds/registry.ts', '')).toEqual([]);
    expect(
      await importErrors(
        'http/xds/registry.ts',
        "import { searchsetParts as _s } from '../fhir/bundle.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
    expect(
      await importErrors(
        'xds/soap.ts',
        "import { readDocumentReference as _r } from '../http/fhir/from-document-reference.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
  }, 300_000);

  it('fails the portals, auth, admin and what the surfaces share of HTTP when they import the FHIR adapter (one surface, one adapter)', async () => {
    expect(await importErrors('http/portal/portal.plugin.ts', '')).toEqual([]);
    expect(
      await importErrors(
        'http/portal/portal.plugin.ts',
        "import { publishDocument as _p } from '../fhir/publish.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
    expect(
      await importErrors(
        'http/portal/upload-input.ts',
        "import { validateFhirResource as _v } from '../../validation/fhir-schema.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
    expect(
      await importErrors(
        'http/auth/portal-login.routes.ts',
        "import { readPatientRef as _r } from '../fhir/consent-reading.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
    expect(
      await importErrors(
        'http/admin/admin.plugin.ts',
        "import { searchset as _s } from '../fhir/bundle.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
    expect(
      await importErrors(
        'http/query-params.ts',
        "import { parseToken as _t } from './fhir/parameters.ts';",
      ),
    ).toEqual(['import-x/no-restricted-paths@1']);
  }, 300_000);

  it('fails an import cycle', async () => {
    expect(
      await importErrors(
        'services/documents/intake.ts',
        "import { deposit as _d } from './deposit.ts';",
      ),
    ).toEqual(['import-x/no-cycle@1']);
  }, 300_000);
});
