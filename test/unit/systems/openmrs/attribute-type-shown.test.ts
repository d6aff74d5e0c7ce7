import t from 'tap';
import { ADMIN_PASSWORD, LOC, startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import type { Facility } from '../../../../src/domain/index.js';
import { createOpenMrsConnector } from '../../../../src/systems/openmrs/index.js';
import { DEFAULT_REGISTRY_CODE_SYSTEM } from '../../../../src/systems/openmrs/settings.js';
import { memoryJournal } from './journal.js';

// openmrs.registryCodeAttributeType (a location attribute type's name or uuid) was quoted raw in
// the refusals that name it, so into the client's OperationOutcome and the log: a password pasted
// into it was copied there in full. It is quoted only when it has a name's or uuid's shape.
const SECRETS = ['Kx7Qz9WvPl', 'd2pat_Zt4kP0qL9sV2nR7wB1xY5cM3hJ8fG6dA', 'S3cr3t!Pass#2026'];

const clinic = (over: Partial<Facility> = {}): Facility => ({
  name: 'Esperanza Clinic',
  identifiers: [{ system: DEFAULT_REGISTRY_CODE_SYSTEM, value: 'SBX-90001' }],
  status: 'active',
  kind: 'facility',
  partOf: LOC.nairobiCounty,
  ...over,
});

/** Everything a refusal carries to a client and the log: its message and its issues. */
async function refusalText(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { issues?: unknown };
    return `${e.message} ${JSON.stringify(e.issues ?? [])}`;
  }
  throw new Error('expected a failure');
}

const settingsFor = (url: string, extra: Record<string, unknown>) => ({
  'openmrs.baseUrl': url,
  'openmrs.username': 'admin',
  'openmrs.password': ADMIN_PASSWORD,
  'openmrs.timeoutMs': 3000,
  ...extra,
});

async function upsertWith(attributeType: string, facility: Facility): Promise<string> {
  const sb = await startOpenMrsSandbox();
  const c = createOpenMrsConnector(settingsFor(sb.url, { 'openmrs.registryCodeAttributeType': attributeType }), {
    retryDelayMs: 10,
  });
  try {
    const text = await refusalText(c.facilities!.upsert!(facility, memoryJournal()));
    if (Object.keys(sb.store.writes).length > 0) throw new Error('a refused upsert wrote to OpenMRS');
    return text;
  } finally {
    await c.close?.();
    await sb.close();
  }
}

t.test('a secret-looking attribute type is never echoed in a refusal', async (t) => {
  for (const secret of SECRETS) {
    const noType = await upsertWith(secret, clinic());
    t.match(noType, 'OpenMRS has no location attribute type a value of', `${secret.length} characters: no such type`);
    t.notOk(noType.includes(secret), `no such type: ${secret.length} characters not in "${noType}"`);
    const noCode = await upsertWith(secret, clinic({ identifiers: [] }));
    t.match(noCode, `(the registry code OpenMRS keeps as a value of ${secret.length} characters`);
    t.notOk(noCode.includes(secret), `no code: ${secret.length} characters not in "${noCode}"`);
  }
});

t.test('a name or uuid with a typo is still quoted', async (t) => {
  for (const typo of ['Master Facilty Code', 'KMHFL Code', '8d871afc-c2cc-11de-8d13-0010c6dffd0f']) {
    t.match(
      await upsertWith(typo, clinic()),
      `OpenMRS has no location attribute type '${typo}' (openmrs.registryCodeAttributeType)`,
      `'${typo}' quoted`,
    );
    t.match(
      await upsertWith(typo, clinic({ identifiers: [] })),
      `no identifier in ${DEFAULT_REGISTRY_CODE_SYSTEM} (the registry code OpenMRS keeps as '${typo}')`,
    );
  }
});

// openmrs.registryCodeSystem is named raw in the refusals of a facility without a registry code
// ("no identifier in <system>"), so it is checked at configuration: a FHIR identifier system URI.
t.test('the registry code system must be a URI: a secret is refused without echo, a URN works', async (t) => {
  const refusal = (system: string) => {
    try {
      createOpenMrsConnector(settingsFor('http://127.0.0.1:9', { 'openmrs.registryCodeSystem': system }));
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('no error thrown');
  };
  for (const secret of SECRETS) {
    const m = refusal(secret);
    t.notOk(m.includes(secret), `${secret.length} characters: not in "${m}"`);
    t.equal(
      m,
      `openmrs.registryCodeSystem must be an identifier system URI (http(s)://… or urn:…), got a value of ${secret.length} characters (not shown: it may be a secret in the wrong setting)`,
    );
  }
  t.match(refusal('fhir.example.org/mfl'), "got 'fhir.example.org/mfl'", 'a URL missing its scheme is quoted');
  const sb = await startOpenMrsSandbox();
  const c = createOpenMrsConnector(settingsFor(sb.url, { 'openmrs.registryCodeSystem': 'urn:example:mfl' }), {
    retryDelayMs: 10,
  });
  t.teardown(async () => {
    await c.close?.();
    await sb.close();
  });
  const created = await c.facilities!.upsert!(
    clinic({ identifiers: [{ system: 'urn:example:mfl', value: 'SBX-90001' }] }),
    memoryJournal(),
  );
  t.equal(created.status, 'created', 'a URN system: the clinic is created under its code');
  t.same((await c.facilities!.get(created.ids.location))?.identifiers, [
    { system: 'urn:example:mfl', value: 'SBX-90001' },
  ]);
});
