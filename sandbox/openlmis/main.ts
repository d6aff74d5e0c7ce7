/**
 * Standalone OpenLMIS sandbox: `npx tsx sandbox/openlmis/main.ts [--port 8081]`
 * (env OPENLMIS_SANDBOX_PORT, OPENLMIS_SANDBOX_TOKEN_TTL). Prints the base URL and seed summary.
 */
import { startOpenLmisSandbox } from './server.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const port = Number(arg('port') ?? process.env.OPENLMIS_SANDBOX_PORT ?? 8081);
const ttl = Number(arg('token-ttl') ?? process.env.OPENLMIS_SANDBOX_TOKEN_TTL ?? 1800);
const sandbox = await startOpenLmisSandbox({ port, tokenTtlSeconds: ttl, logger: process.env.OPENLMIS_SANDBOX_LOG === '1' });
const summary = sandbox.state.seedSummary();
process.stdout.write(`OpenLMIS sandbox listening on ${sandbox.url}\n`);
process.stdout.write(`  user client ${summary.clients.user.clientId}, users: ${Object.keys(summary.users).join(', ')} (password "password")\n`);
process.stdout.write(`  admin: ${sandbox.url}/_sandbox/seed, /_sandbox/state, /_sandbox/faults\n`);
const stop = () => void sandbox.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
