/**
 * npx tsx bench/masking.ts — what masking one recorded OpenLMIS answer costs the OpenHIM envelope
 * (issue 18): the fulfillment order of ../shared/fixtures (13.8 KB, its program's
 * `skipAuthorization` flag its only credential-like name, as in every requisition an order's calls
 * return), through this tree's maskBodyText beside the same text with a real credential in it (the
 * parse-walk-serialize path every such answer took before session 29). BENCH_BASE_DIR=tree also
 * runs that tree's maskBodyText on the answer. Interleaved, BENCH_ROUNDS (7) rounds; CPU per call and
 * the ratios to the answer through this tree, min/median/max.
 * Beside them: the answer masked with the bench mediator's secrets (its configured ones and the
 * OpenLMIS access token its call carried, as the envelope passes them), and the redactor's pass
 * over the answer as the envelope carries it (a JSON string; the redactor knowing those secrets'
 * forms); with BENCH_BASE_DIR, each also through that tree, its ratio to this tree's same side.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { maskBodyText } from '../src/openhim/masking.js';
import { Redactor } from '../src/platform/redaction.js';
import { openLmisEnv } from '../test/support/openlmis-e2e.js';
import { BENCH_PASSWORD } from './openlmis-processes.js';

type Mask = (text: string, contentType?: string, secretValues?: readonly string[]) => string;
type RedactorClass = new () => Redactor;
const here = path.dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const N = Number(process.env.BENCH_N ?? 3_000);
const answer = readFileSync(
  path.join(here, '../../shared/fixtures/openlmis/examples/fulfillment/GET-api-orders-id.response.json'),
  'utf8',
);
const withCredential = answer.replace('"externalId"', '"token": "t0", "externalId"');
const carried = JSON.stringify(answer);
const { OPENLMIS_PASSWORD, OPENLMIS_CLIENT_SECRET } = openLmisEnv('http://openlmis');
const SECRETS = [BENCH_PASSWORD, OPENLMIS_PASSWORD, OPENLMIS_CLIENT_SECRET];
const ACCESS_TOKEN = '6f1c0a3e-2b7d-4c1e-9a55-0d3b2f4e8a71';
const CALL_SECRETS = [...SECRETS, ACCESS_TOKEN];

/** A redactor as the bench mediator's: its secrets, and the access token its OpenLMIS login got. */
function benchRedactor(Class: RedactorClass): Redactor {
  const redactor = new Class();
  for (const secret of SECRETS) redactor.learn(secret);
  redactor.learnEphemeral(ACCESS_TOKEN);
  return redactor;
}

async function sides(): Promise<Record<string, () => string>> {
  const redactor = benchRedactor(Redactor);
  const out: Record<string, () => string> = {
    'answer (this tree)': () => maskBodyText(answer, 'application/json'),
    'answer with a token (slow path)': () => maskBodyText(withCredential, 'application/json'),
    'answer with secrets (this tree)': () => maskBodyText(answer, 'application/json', CALL_SECRETS),
    'redact carried answer (this tree)': () => redactor.redact(carried),
  };
  const base = process.env.BENCH_BASE_DIR;
  if (base) {
    const old = (await import(path.resolve(base, 'src/openhim/masking.ts'))) as { maskBodyText: Mask };
    out['answer (base tree)'] = () => old.maskBodyText(answer, 'application/json');
    out['answer with secrets (base tree)'] = () => old.maskBodyText(answer, 'application/json', CALL_SECRETS);
    const oldRedaction = (await import(path.resolve(base, 'src/platform/redaction.ts'))) as {
      Redactor: RedactorClass;
    };
    const oldRedactor = benchRedactor(oldRedaction.Redactor);
    out['redact carried answer (base tree)'] = () => oldRedactor.redact(carried);
  }
  return out;
}

let sink = 0;
function microsPerCall(run: () => string): number {
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) sink += run().length;
  const used = process.cpuUsage(start);
  return (used.user + used.system) / N;
}

const cases = await sides();
for (const run of Object.values(cases)) microsPerCall(run); // warm-up: V8 tiers every side up
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < rounds; r++)
  for (const [name, run] of Object.entries(cases)) samples[name].push(microsPerCall(run));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${answer.length} bytes, ${N} calls per round, ${rounds} rounds (sink ${sink > 0})`);
for (const [name, xs] of Object.entries(samples)) {
  const sameSide = name.replace('(base tree)', '(this tree)');
  const ownReference = name.endsWith('(base tree)') && sameSide in samples ? sameSide : 'answer (this tree)';
  const reference = samples[ownReference];
  const ratios = xs.map((x, i) => x / reference[i]).sort((a, b) => a - b);
  console.log(
    `${name.padEnd(34)} ${median(xs).toFixed(2)} µs CPU per call; ÷ ${ownReference} ` +
      `${median(ratios).toFixed(2)}× (${ratios[0].toFixed(2)}-${ratios[ratios.length - 1].toFixed(2)}×)`,
  );
}
