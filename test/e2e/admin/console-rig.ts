/**
 * The console's rig: the real mediator (startMediator) against the OpenLMIS sandbox, with an admin
 * token and a registry file, and a review queue seeded the way production seeds it: the registry
 * lists each sandbox health post twice under near-identical names ("Health Post 01", "Health
 * Post 01 Annex"), so the reconcile job (run by hand through the jobs API) cannot decide alone and
 * puts those records in review with two candidates each.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRig, type Rig } from '../../support/openlmis-e2e.js';

export const ADMIN_TOKEN = 'console-admin-token-Zx81';

export interface ConsoleRig extends Rig {
  registryFile: string;
  admin(method: string, url: string): Promise<{ status: number; body: any }>;
}

export async function startConsoleRig(env: Record<string, string> = {}): Promise<ConsoleRig> {
  const dir = mkdtempSync(path.join(tmpdir(), 'console-rig-'));
  const registryFile = path.join(dir, 'registry.json');
  // the sandbox's facility names, read through a throw-away mediator's FHIR API
  const probe = await startRig();
  type Loc = { name: string; position?: { latitude: number; longitude: number } };
  const locations: Loc[] = (await probe.fhir('GET', '/fhir/Location?_count=100')).body.entry.map(
    (e: { resource: Loc }) => e.resource,
  );
  await probe.close();
  const posts = locations.filter((l) => /^Health Post \d+ Lakeshore$/.test(l.name));
  if (posts.length < 12) throw new Error(`the sandbox lists ${posts.length} health posts; the queue needs at least 12`);
  // both about a kilometre from the post (north and south of it): position does not decide either
  const near = (l: Loc, dLat: number) =>
    l.position ? { latitude: l.position.latitude + dLat, longitude: l.position.longitude } : {};
  writeFileSync(
    registryFile,
    JSON.stringify(
      posts.flatMap((l, i) => [
        {
          id: `MFR-${1000 + i}`,
          name: l.name.replace(' Lakeshore', ''),
          county: 'Lakeland',
          mfl_code: `MFL${1000 + i}`,
          ...near(l, 0.009),
        },
        {
          id: `MFR-${2000 + i}`,
          name: l.name.replace(' Lakeshore', ' Annex'),
          county: 'Lakeland',
          mfl_code: `MFL${2000 + i}`,
          ...near(l, -0.011),
        },
      ]),
    ),
  );
  const rig = await startRig({ REGISTRY_FILE: registryFile, ADMIN_TOKEN, ...env });
  const admin = async (method: string, url: string) => {
    const res = await fetch(`${rig.mediator.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-admin-user': 'rig' },
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const run = await admin('POST', '/admin/jobs/reconcile/run');
  if (run.status !== 200 || run.body.run.outcome !== 'ok')
    throw new Error(`reconcile run: ${run.status} ${JSON.stringify(run.body)}`);
  return {
    ...rig,
    registryFile,
    admin,
    async close() {
      await rig.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
