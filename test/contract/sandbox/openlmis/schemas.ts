import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * Loads the OpenLMIS JSON schemas (draft-03/04, relative `$ref`s) from ../shared/fixtures into ajv,
 * applying only these documented deviations:
 * - NULLS: every typed property also accepts null — Jackson serialises nulls and the schemas say
 *   plain string/boolean (reference §0 and §7, e.g. the captured GET /api/programs). Because of that,
 *   `oneOf: [{type: null}, {$ref}]` is read as `anyOf` (a null would otherwise match both branches).
 * - STATUS_CHANGE_ID: requisition statusChangeDto.json requires `id`, but StatusChangeDto has none (§7).
 * - MISSING_REFS: `$ref`s to files that do not exist upstream (statusMessageDto.json in requisition,
 *   roleAssignmentDto.json, tradeItemClassification.json) accept anything (§7).
 * - BASIC_PERIOD: requisition basicProcessingPeriod.json is self-contradictory (startDate typed as
 *   object, endDate as boolean, requires the misspelt "starDate"); it is used as a field list only.
 * - DRAFT03_REQUIRED: draft-03 `"required": true` on properties is dropped (ajv speaks draft-07).
 */
export const sharedDir = process.env.SHARED_DIR ?? path.resolve(import.meta.dirname, '../../../../../shared');
export const fixturesDir = path.join(sharedDir, 'fixtures/openlmis');
export const fixturesPresent = existsSync(path.join(fixturesDir, 'schemas'));

const BASE = 'https://openlmis.schemas.invalid';

function relax(node: unknown, known: Set<string>, service: string): unknown {
  if (Array.isArray(node)) return node.map((n) => relax(n, known, service));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === '$schema' || k === 'id') continue;
    if (k === 'required' && typeof v === 'boolean') continue; // DRAFT03_REQUIRED
    if (k === '$ref' && typeof v === 'string') {
      if (!known.has(`${service}/${v}`)) continue; // MISSING_REFS
      out[k] = v;
      continue;
    }
    if (k === 'oneOf') {
      out.anyOf = relax(v, known, service);
      continue;
    }
    if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([p, s]) => [p, relax(s, known, service)]),
      );
      continue;
    }
    out[k] = relax(v, known, service);
  }
  // NULLS
  if (typeof out.type === 'string' && out.type !== 'null') out.type = [out.type, 'null'];
  else if (Array.isArray(out.type) && !out.type.includes('null')) out.type = [...out.type, 'null'];
  if (out.$ref && out.type) delete out.type; // a typed $ref: the referenced schema decides (and allows null itself)
  return out;
}

export function loadSchemas(): { validator: (service: string, file: string) => ValidateFunction } {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  const services = ['auth', 'referencedata', 'requisition', 'fulfillment', 'stockmanagement'];
  const known = new Set<string>();
  for (const s of services)
    for (const f of readdirSync(path.join(fixturesDir, 'schemas', s)).filter((x) => x.endsWith('.json')))
      known.add(`${s}/${f}`);
  for (const key of known) {
    const [service, file] = key.split('/');
    let schema = JSON.parse(readFileSync(path.join(fixturesDir, 'schemas', service, file), 'utf8')) as Record<
      string,
      unknown
    >;
    if (key === 'requisition/statusChangeDto.json') schema = { ...schema, required: ['status', 'authorId'] }; // STATUS_CHANGE_ID
    if (key === 'requisition/basicProcessingPeriod.json') {
      schema = {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          startDate: { type: 'string' },
          endDate: { type: 'string' },
        },
        required: ['id', 'name', 'startDate', 'endDate'],
      }; // BASIC_PERIOD
    }
    const relaxed = relax(schema, known, service) as Record<string, unknown>;
    ajv.addSchema({ ...relaxed, $id: `${BASE}/${service}/${file}` });
  }
  return {
    validator: (service, file) => {
      const v = ajv.getSchema(`${BASE}/${service}/${file}`);
      if (!v) throw new Error(`no schema ${service}/${file}`);
      return v;
    },
  };
}

export function readExample(relative: string): any {
  return JSON.parse(readFileSync(path.join(fixturesDir, 'examples', relative), 'utf8'));
}
