/**
 * Runs one sandbox on its own, for an implementer testing an integration against it:
 *   npm run sandbox -- openlmis --port 8081 [--token-ttl 1800] [--log]
 *   npm run sandbox -- openhim --port 8080
 *   npm run sandbox -- msupply --port 8084 [--token-ttl 3600]
 *   npm run sandbox -- openmrs --port 8083 [--session-ttl 1800] [--log]
 *   npm run sandbox -- mfr --port 8085 [--no-history] [--page-size 20] [--log]
 * Each prints its base URL, credentials and control endpoints, and stops on Ctrl-C.
 * State lives in memory: a restarted sandbox starts from its seed again.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_OPENHIM_USER, startOpenHimSandbox } from './openhim/index.js';
import { startOpenLmisSandbox } from './openlmis/index.js';
import { SEED_PASSWORD as MSUPPLY_PASSWORD, startMsupplySandbox } from './msupply/index.js';
import { ADMIN_PASSWORD, startOpenMrsSandbox } from './openmrs/index.js';
import { SEED_API_TOKEN, mediatorSettings, startDhis2Sandbox } from './dhis2/index.js';
import { DEFAULT_MFR_AUTH, startMfrSandbox } from './mfr/index.js';
import { portArgument } from '../src/cli/port-argument.js';

/**
 * Each flag's environment variable (`.env()`) goes through the flag's own check: a default read
 * with `process.env.X ?? …` bypassed it, so `OPENLMIS_SANDBOX_TOKEN_TTL=abc` started a sandbox
 * whose tokens never expired, where `--token-ttl abc` was refused. InvalidArgumentError makes
 * commander's message name where the value came from (the flag or the variable).
 */
const portOption = (envVar: string, fallback: string) =>
  new Option('--port <port>', 'port to listen on (0 = any free port)')
    .env(envVar)
    .default(fallback)
    .argParser(portArgument);
/**
 * A `--token-ttl`/`--session-ttl` value: whole seconds, at least 1. Number() alone took `abc` as
 * NaN, and a token that expires at NaN never expires; `-5` expired every token at once: the
 * sandbox then silently tested something else than the implementer asked for.
 */
const seconds = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || n < 1)
    throw new InvalidArgumentError(`${flag} must be whole seconds (1 or more), got '${v}'`);
  return String(n);
};
const hostOption = () => new Option('--host <host>', 'interface to listen on').default('127.0.0.1');

function stopOnSignal(close: () => Promise<void>): void {
  const stop = () => void close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function openlmisCommand(): Command {
  return new Command('openlmis')
    .description('OpenLMIS v3 (auth, reference data, requisitions, fulfillment, stock) with a /_sandbox control API')
    .addOption(portOption('OPENLMIS_SANDBOX_PORT', '8081'))
    .addOption(hostOption())
    .addOption(
      new Option('--token-ttl <seconds>', 'token inactivity timeout')
        .env('OPENLMIS_SANDBOX_TOKEN_TTL')
        .default('1800')
        .argParser(seconds('--token-ttl')),
    )
    .option('--log', 'log every request (pino)')
    .action(async (o: { port: string; host: string; tokenTtl: string; log?: boolean }) => {
      const sandbox = await startOpenLmisSandbox({
        port: Number(o.port),
        host: o.host,
        tokenTtlSeconds: Number(o.tokenTtl),
        logger: o.log === true,
      });
      const seed = sandbox.state.seedSummary();
      process.stdout.write(
        [
          `OpenLMIS sandbox listening on ${sandbox.url}`,
          `  OAuth client  ${seed.clients.user.clientId}:${seed.clients.user.secret} (users: ${Object.keys(seed.users).join(', ')}; password "password")`,
          `  service       ${seed.clients.service.clientId}:${seed.clients.service.secret}; API key ${seed.apiKey}`,
          `  control       ${sandbox.url}/_sandbox/seed  /_sandbox/state  /_sandbox/requisitions  /_sandbox/faults (README "Sandboxes")`,
          '',
        ].join('\n'),
      );
      stopOnSignal(() => sandbox.close());
    });
}

function openhimCommand(): Command {
  return new Command('openhim')
    .description(
      'OpenHIM core mediator API (register, heartbeat with config, console config, channels, transaction updates)',
    )
    .addOption(portOption('OPENHIM_SANDBOX_PORT', '8080'))
    .addOption(hostOption())
    .action(async (o: { port: string; host: string }) => {
      const sandbox = await startOpenHimSandbox({ port: Number(o.port), host: o.host });
      process.stdout.write(
        [
          `OpenHIM core API sandbox listening on ${sandbox.url}`,
          `  admin user    ${DEFAULT_OPENHIM_USER.email} / ${DEFAULT_OPENHIM_USER.password} (Basic auth)`,
          `  mediator      OPENHIM_API_URL=${sandbox.url} OPENHIM_PASSWORD=${DEFAULT_OPENHIM_USER.password}`,
          `  console       GET/PUT ${sandbox.url}/mediators/<urn>/config (README "Sandboxes")`,
          '',
        ].join('\n'),
      );
      stopOnSignal(() => sandbox.close());
    });
}

function dhis2Command(): Command {
  return new Command('dhis2')
    .description(
      'DHIS2 Web API (system/info, me, org units, data elements and sets, dataValueSets, tracker: RTS, consignments, requisitions) with a /_sandbox control API',
    )
    .addOption(portOption('DHIS2_SANDBOX_PORT', '8082'))
    .addOption(hostOption())
    .addOption(
      new Option('--version <version>', 'the DHIS2 version system/info reports and the answers follow')
        .env('DHIS2_SANDBOX_VERSION')
        .default('2.41.3'),
    )
    .option('--log', 'log every request (pino)')
    .action(async (o: { port: string; host: string; version: string; log?: boolean }) => {
      const sandbox = await startDhis2Sandbox({
        port: Number(o.port),
        host: o.host,
        version: o.version,
        logger: o.log === true,
      });
      process.stdout.write(
        [
          `DHIS2 ${o.version} sandbox listening on ${sandbox.url}`,
          '  Basic         admin/district, mediator/Mediator-2024!',
          `  token         Authorization: ApiToken ${SEED_API_TOKEN}`,
          `  mediator      DHIS2_BASE_URL=${sandbox.url} DHIS2_API_TOKEN=${SEED_API_TOKEN}`,
          // the data set's and programs' UIDs, as GET /_sandbox/seed answers them under `settings`
          `  programs      ${Object.entries(mediatorSettings())
            .map(([name, value]) => `${name}=${value}`)
            .join(' ')}`,
          `  control       ${sandbox.url}/_sandbox/seed  /_sandbox/state  /_sandbox/version  /_sandbox/faults`,
          '',
        ].join('\n'),
      );
      stopOnSignal(() => sandbox.close());
    });
}

function openmrsCommand(): Command {
  return new Command('openmrs')
    .description(
      'OpenMRS (REST session, locations, stock management module, FHIR2 Location) with a /_sandbox control API',
    )
    .addOption(portOption('OPENMRS_SANDBOX_PORT', '8083'))
    .addOption(hostOption())
    .addOption(
      new Option('--session-ttl <seconds>', 'session inactivity timeout')
        .env('OPENMRS_SANDBOX_SESSION_TTL')
        .default('1800')
        .argParser(seconds('--session-ttl')),
    )
    .option('--log', 'log every request (pino)')
    .action(async (o: { port: string; host: string; sessionTtl: string; log?: boolean }) => {
      const sandbox = await startOpenMrsSandbox({
        port: Number(o.port),
        host: o.host,
        sessionTtlSeconds: Number(o.sessionTtl),
        logger: o.log === true,
      });
      process.stdout.write(
        [
          `OpenMRS sandbox listening on ${sandbox.url}`,
          `  user          admin / ${ADMIN_PASSWORD} (Basic on GET ${sandbox.url}/ws/rest/v1/session, then the JSESSIONID cookie)`,
          `  mediator      OPENMRS_BASE_URL=${sandbox.url} OPENMRS_USERNAME=admin OPENMRS_PASSWORD=${ADMIN_PASSWORD}`,
          `  control       ${sandbox.url.replace(/\/openmrs$/, '')}/_sandbox/state  /_sandbox/expire-sessions  /_sandbox/faults`,
          '',
        ].join('\n'),
      );
      stopOnSignal(() => sandbox.close());
    });
}

function msupplyCommand(): Command {
  return new Command('msupply')
    .description(
      'Open mSupply GraphQL (executes the real schema from ../shared/fixtures, or the file MSUPPLY_SCHEMA_FILE names) with a /_sandbox control API',
    )
    .addOption(portOption('MSUPPLY_SANDBOX_PORT', '8084'))
    .addOption(hostOption())
    .addOption(
      new Option('--token-ttl <seconds>', 'bearer token lifetime')
        .env('MSUPPLY_SANDBOX_TOKEN_TTL')
        .default('3600')
        .argParser(seconds('--token-ttl')),
    )
    .action(async (o: { port: string; host: string; tokenTtl: string }) => {
      const sandbox = await startMsupplySandbox({
        port: Number(o.port),
        host: o.host,
        tokenTtlSeconds: Number(o.tokenTtl),
      });
      process.stdout.write(
        [
          `Open mSupply sandbox listening on ${sandbox.url}/graphql`,
          `  login         query authToken(username: "mediator", password: "${MSUPPLY_PASSWORD}") (stores WH-CENTRAL, HC-NORTH, HC-SOUTH)`,
          `  control       ${sandbox.url}/_sandbox/state  /_sandbox/requisitions  /_sandbox/faults  /_sandbox/tokens/expire`,
          '',
        ].join('\n'),
      );
      stopOnSignal(() => sandbox.close());
    });
}

function mfrCommand(): Command {
  return new Command('mfr')
    .description(
      'Master facility registry: an mCSD directory (FHIR R4 Location/Organization, _history) with a /_sandbox control API',
    )
    .addOption(portOption('MFR_SANDBOX_PORT', '8085'))
    .addOption(hostOption())
    .option('--no-history', 'answer Location/_history with 405 (a directory without the mCSD Update Option)')
    .addOption(new Option('--page-size <n>', 'default _count').env('MFR_SANDBOX_PAGE_SIZE').default('20'))
    .option('--log', 'log every request (pino)')
    .action(async (o: { port: string; host: string; history: boolean; pageSize: string; log?: boolean }) => {
      const pageSize = Number(o.pageSize);
      if (!Number.isInteger(pageSize) || pageSize < 1)
        throw new Error(`--page-size must be a positive integer, got '${o.pageSize}'`);
      const sandbox = await startMfrSandbox({
        port: Number(o.port),
        host: o.host,
        history: o.history,
        pageSize,
        logger: o.log === true,
      });
      const root = sandbox.root;
      process.stdout.write(
        [
          `MFR (mCSD directory) sandbox listening on ${sandbox.url}${o.history ? '' : ' (no _history)'}`,
          `  auth          Basic ${DEFAULT_MFR_AUTH.username}/${DEFAULT_MFR_AUTH.password} or Bearer ${DEFAULT_MFR_AUTH.token}`,
          `  mediator      REGISTRY_URL=${sandbox.url} REGISTRY_TOKEN=${DEFAULT_MFR_AUTH.token}`,
          `  control       ${root}/_sandbox/state  /_sandbox/locations/{id|code}/rename|move|close|unpublish  /_sandbox/faults (README "Sandboxes")`,
          '',
        ].join('\n'),
      );
      stopOnSignal(() => sandbox.close());
    });
}

const program = new Command('sandbox')
  .description('Run one upstream sandbox on its own')
  .addCommand(openlmisCommand())
  .addCommand(openhimCommand())
  .addCommand(msupplyCommand())
  .addCommand(dhis2Command())
  .addCommand(openmrsCommand())
  .addCommand(mfrCommand());
program.parseAsync(process.argv).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
