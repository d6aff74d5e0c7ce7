import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { loadSettings } from '../config/load.js';
import { serve } from './serve.js';

interface SandboxHandle { url: string; close(): Promise<void> }

/** The sandbox upstreams that exist in this checkout, started on free loopback ports. */
async function startSandboxes(): Promise<{ name: string; handle: SandboxHandle; note: string }[]> {
  const out: { name: string; handle: SandboxHandle; note: string }[] = [];
  const { startOpenHimSandbox, DEFAULT_OPENHIM_USER } = await import('../../sandbox/openhim/index.js');
  out.push({ name: 'OpenHIM core API (sandbox)', handle: await startOpenHimSandbox({ port: 0 }), note: `user ${DEFAULT_OPENHIM_USER.email} / ${DEFAULT_OPENHIM_USER.password}` });
  try {
    const lmis = (await import('../../sandbox/openlmis/index.js' as string)) as { startOpenLmisSandbox?: (o: object) => Promise<SandboxHandle> };
    if (lmis.startOpenLmisSandbox) out.push({ name: 'OpenLMIS v3 (sandbox)', handle: await lmis.startOpenLmisSandbox({ port: 0 }), note: 'seeded demo facilities, programs and products' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  return out;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('Run the mediator on embedded SQLite beside the sandbox upstreams, and print how to try it')
    .option('--port <port>', 'mediator port', '3000')
    .action(async (opts: { port: string }) => {
      const sandboxes = await startSandboxes();
      const openhim = sandboxes[0].handle;
      const password = process.env.AUTH_PASSWORD ?? `demo-${randomBytes(6).toString('hex')}`;
      const port = Number(process.env.PORT ?? opts.port);
      const settings = loadSettings({
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        AUTH_MODE: 'basic',
        AUTH_USERNAME: 'demo',
        AUTH_PASSWORD: password,
        DATA_DIR: process.env.DATA_DIR ?? './data/demo',
        OPENHIM_API_URL: openhim.url,
        OPENHIM_PASSWORD: 'openhim-password',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      });
      const mediator = await serve(settings);
      const base = `http://127.0.0.1:${port}`;
      const auth = `-u demo:${password}`;
      const order = JSON.stringify({
        resourceType: 'SupplyRequest', status: 'active', priority: 'routine',
        identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'PLAC' }] }, system: 'https://app.example.org/orders', value: 'DEMO-1' }],
        itemCodeableConcept: { coding: [{ system: 'https://www.gs1.org/gtin', code: '00012345600012' }] },
        quantity: { value: 100 }, deliverTo: { reference: 'Location/demo-facility' },
      });
      console.log([
        '',
        'FHIR supply-chain mediator — demo',
        `  FHIR R4          ${base}/fhir          (metadata: ${base}/fhir/metadata)`,
        `  FHIR R5          ${base}/fhir/R5`,
        `  health / metrics ${base}/health  ${base}/ready  ${base}/metrics`,
        `  credentials      demo / ${password}   (admin API: Bearer ${password})`,
        `  database         SQLite in ${settings['store.dataDir']}`,
        ...sandboxes.map((s) => `  ${s.name.padEnd(16)} ${s.handle.url}  (${s.note})`),
        '',
        'Try:',
        `  curl -s ${base}/fhir/metadata | head -c 400`,
        `  curl -s ${auth} ${base}/fhir/SupplyRequest -H 'Content-Type: application/fhir+json' -d '${order}'`,
        `  curl -s ${auth} '${base}/fhir/Location?_summary=count'`,
        `  curl -s -H 'Authorization: Bearer ${password}' ${base}/admin/outbox/jobs`,
        `  curl -s ${base}/ready`,
        '',
        'Flows whose connector is not configured answer with an OperationOutcome naming the system to configure.',
        'Ctrl-C stops everything.',
      ].join('\n'));
      const stopAll = async () => { await mediator.stop(); for (const s of sandboxes) await s.handle.close(); process.exit(0); };
      process.removeAllListeners('SIGINT');
      process.removeAllListeners('SIGTERM');
      process.on('SIGINT', () => void stopAll());
      process.on('SIGTERM', () => void stopAll());
    });
}
