/**
 * Outside FHIR clients drive the mediator without special handling (issue 16): Medplum's client
 * (@medplum/core MedplumClient), fhir-kit-client, SMART's fhirclient (its FhirClient, the
 * non-SMART client) and fhir.js create, read, PATCH, conditionally update,
 * delete and page through searches against the running server, as they would against any FHIR
 * server. Each client is the published package, over real HTTP.
 */
import { Client } from 'fhir-kit-client';
import { MedplumClient } from '@medplum/core';
import mkFhir from 'fhir.js';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import t from 'tap';
import { TEST_PASSWORD, basicAuth, testApp } from '../../support/app.js';
import { location } from '../../support/samples.js';

/**
 * fhirclient is CommonJS, loaded with require so that its typings stay out of the program: they
 * reference `lib="dom"`, which would retype Node's fetch and Headers for every other file.
 */
const FhirClient = createRequire(import.meta.url)('fhirclient/lib/FhirClient.js').default as new (
  base: string,
) => SmartFhirClient;

/** What the test uses of fhirclient's FhirClient (lib/FhirClient.d.ts). */
interface SmartFhirClient {
  create(resource: object, options?: object): Promise<unknown>;
  update(resource: object, options?: object): Promise<unknown>;
  delete(url: string, options?: object): Promise<unknown>;
  patch(url: string, patch: object[], options?: object): Promise<unknown>;
  fhirRequest(url: string, options?: object): Promise<unknown>;
  resources(url: string, options?: object): AsyncGenerator<unknown>;
}

async function server(t: { teardown(fn: () => unknown): void }): Promise<{ app: FastifyInstance; base: string }> {
  const { app } = await testApp({ env: { PUBLIC_BASE_URL: '' } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const { port } = app.server.address() as { port: number };
  return { app, base: `http://127.0.0.1:${port}` };
}

t.test('Medplum client: create, read, patch, conditional update, delete, paging', async (t) => {
  const { base } = await server(t);
  const medplum = new MedplumClient({
    baseUrl: `${base}/`,
    fhirUrlPath: 'fhir',
    cacheTime: 0,
    fetch: (url: string | URL | Request, init?: RequestInit) =>
      fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), Authorization: basicAuth } }),
  });
  const created = (await medplum.createResource(location({ code: 'MP-1', name: 'Medplum Clinic' }) as never)) as {
    id: string;
    name: string;
    meta: { versionId: string };
  };
  t.ok(created.id, 'created with an id');
  const read = (await medplum.readResource('Location', created.id)) as { name: string };
  t.equal(read.name, 'Medplum Clinic');
  const patched = (await medplum.patchResource('Location', created.id, [
    { op: 'replace', path: '/name', value: 'Medplum Health Centre' },
  ])) as { name: string };
  t.equal(patched.name, 'Medplum Health Centre', 'PATCH with a JSON Patch');
  const conditional = (await medplum.createResourceIfNoneExist(
    location({ code: 'MP-1', name: 'ignored' }) as never,
    'identifier=https://mfr.example.org/code|MP-1',
  )) as { id: string; name: string };
  t.equal(conditional.id, created.id, 'If-None-Exist finds the existing facility');
  t.equal(conditional.name, 'Medplum Health Centre');
  const updated = (await medplum.updateResource({
    ...(await medplum.readResource('Location', created.id)),
    alias: ['MHC'],
  } as never)) as { alias: string[] };
  t.same(updated.alias, ['MHC'], 'PUT with the version it read');
  await medplum.deleteResource('Location', created.id);
  t.equal(
    ((await medplum.readResource('Location', created.id)) as { status: string }).status,
    'inactive',
    'DELETE deactivates',
  );

  for (let i = 0; i < 5; i++) await medplum.createResource(location({ code: `MP-P${i}`, name: `Paged ${i}` }) as never);
  const seen: string[] = [];
  for await (const page of medplum.searchResourcePages('Location', { _count: '2' }))
    seen.push(...page.map((r) => (r as { id: string }).id));
  t.equal(seen.length, 6, 'every facility, over three pages of two');
  t.equal(new Set(seen).size, 6, 'none twice');
});

t.test('fhir-kit-client: create, read, patch, conditional update, delete, paging', async (t) => {
  const { base } = await server(t);
  // typed as any: its FhirResource union does not narrow to Location without a cast per call
  const client: any = new Client({ baseUrl: `${base}/fhir`, customHeaders: { Authorization: basicAuth } });
  const created = (await client.create({
    resourceType: 'Location',
    body: location({ code: 'FK-1', name: 'Kit Clinic' }),
  })) as { id: string };
  t.ok(created.id);
  t.equal(((await client.read({ resourceType: 'Location', id: created.id })) as { name: string }).name, 'Kit Clinic');
  const patched = (await client.patch({
    resourceType: 'Location',
    id: created.id,
    jsonPatch: [{ op: 'replace', path: '/name', value: 'Kit Health Centre' }],
  })) as { name: string };
  t.equal(patched.name, 'Kit Health Centre');
  const current = (await client.read({ resourceType: 'Location', id: created.id })) as { meta: { versionId: string } };
  const updated = (await client.update({
    resourceType: 'Location',
    id: created.id,
    body: { ...current, alias: ['KHC'] },
    options: { headers: { 'If-Match': `W/"${current.meta.versionId}"` } },
  })) as { alias: string[] };
  t.same(updated.alias, ['KHC'], 'PUT guarded by If-Match');
  await client.delete({ resourceType: 'Location', id: created.id });
  t.equal(((await client.read({ resourceType: 'Location', id: created.id })) as { status: string }).status, 'inactive');

  for (let i = 0; i < 4; i++)
    await client.create({ resourceType: 'Location', body: location({ code: `FK-P${i}`, name: `Kit ${i}` }) });
  let bundle = (await client.search({ resourceType: 'Location', searchParams: { _count: 2 } })) as {
    entry?: unknown[];
    link?: { relation: string; url: string }[];
  };
  let total = bundle.entry?.length ?? 0;
  while (bundle.link?.some((l) => l.relation === 'next')) {
    bundle = (await client.nextPage({ bundle } as never)) as typeof bundle;
    total += bundle.entry?.length ?? 0;
  }
  t.equal(total, 5, 'nextPage follows the next links to the end');
});

t.test('fhirclient (FhirClient): create, read, patch, conditional update, delete, paging', async (t) => {
  const { base } = await server(t);
  const client = new FhirClient(`${base}/fhir`);
  const opts = { headers: { Authorization: basicAuth } };
  const created = (await client.create(location({ code: 'FC-1', name: 'Smart Clinic' }) as never, opts)) as any;
  t.ok(created.id, 'created with an id');
  t.equal(((await client.fhirRequest(`Location/${created.id}`, opts)) as any).name, 'Smart Clinic');
  const patched = (await client.patch(
    `Location/${created.id}`,
    [{ op: 'replace', path: '/name', value: 'Smart Health Centre' }],
    opts,
  )) as any;
  t.equal(patched.name, 'Smart Health Centre', 'PATCH with a JSON Patch');
  const current = (await client.fhirRequest(`Location/${created.id}`, opts)) as any;
  const updated = (await client.update(
    { ...current, alias: ['SHC'] },
    {
      headers: { ...opts.headers, 'If-Match': `W/"${current.meta.versionId}"` },
    },
  )) as any;
  t.same(updated.alias, ['SHC'], 'PUT guarded by If-Match');
  const stale = await client
    .update({ ...current, alias: ['late'] }, { headers: { ...opts.headers, 'If-Match': 'W/"stale"' } })
    .then(
      () => 0,
      (err: { statusCode?: number; status?: number }) => err.statusCode ?? err.status,
    );
  t.equal(stale, 412, 'a stale If-Match is refused');
  await client.delete(`Location/${created.id}`, opts);
  t.equal(((await client.fhirRequest(`Location/${created.id}`, opts)) as any).status, 'inactive', 'DELETE deactivates');

  for (let i = 0; i < 4; i++) await client.create(location({ code: `FC-P${i}`, name: `Smart ${i}` }) as never, opts);
  const ids: string[] = [];
  for await (const r of client.resources('Location?_count=2', opts)) ids.push((r as { id: string }).id);
  t.equal(ids.length, 5, 'resources() follows the next links over three pages');
  t.equal(new Set(ids).size, 5, 'none twice');
});

t.test('fhir.js: create, read, patch, conditional update, delete, paging', async (t) => {
  const { base } = await server(t);
  const fhir = mkFhir({ baseUrl: `${base}/fhir`, auth: { user: 'openhim', pass: TEST_PASSWORD } });
  const created = await fhir.create({ resource: location({ code: 'FJ-1', name: 'Js Clinic' }) });
  t.equal(created.status, 201);
  const id = created.data.id as string;
  t.equal((await fhir.read({ type: 'Location', id })).data.name, 'Js Clinic');
  const patched = await fhir.patch({
    type: 'Location',
    id,
    data: JSON.stringify([{ op: 'replace', path: '/name', value: 'Js Health Centre' }]),
  });
  t.equal(patched.data.name, 'Js Health Centre', 'PATCH with a JSON Patch');
  const current = (await fhir.read({ type: 'Location', id })).data;
  const updated = await fhir.update({
    resource: { ...current, alias: ['JHC'] },
    headers: { 'If-Match': `W/"${current.meta.versionId}"` },
  });
  t.same(updated.data.alias, ['JHC'], 'PUT guarded by If-Match');
  const conditional = await fhir.create({
    resource: location({ code: 'FJ-1', name: 'ignored' }),
    headers: { 'If-None-Exist': 'identifier=https://mfr.example.org/code|FJ-1' },
  });
  t.equal(conditional.data.id, id, 'If-None-Exist finds the existing facility');
  await fhir.delete({ type: 'Location', id });
  t.equal((await fhir.read({ type: 'Location', id })).data.status, 'inactive', 'DELETE deactivates');

  for (let i = 0; i < 4; i++) await fhir.create({ resource: location({ code: `FJ-P${i}`, name: `Js ${i}` }) });
  let page = await fhir.search({ type: 'Location', query: { _count: 2 } });
  let total = page.data.entry?.length ?? 0;
  while (page.data.link?.some((l: { relation: string }) => l.relation === 'next')) {
    page = await fhir.nextPage({ bundle: page.data });
    total += page.data.entry?.length ?? 0;
  }
  t.equal(total, 5, 'nextPage follows the next links to the end');
});
