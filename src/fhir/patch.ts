import jsonpatch from 'fast-json-patch';
import { ConflictError, InvalidInputError } from '../domain/errors.js';
import type { Json } from './codecs/common.js';

/** The media type of a JSON Patch (RFC 6902), the one PATCH format served. */
export const JSON_PATCH = 'application/json-patch+json';

/**
 * A JSON Patch (RFC 6902) applied to the current resource, as the Android FHIR SDK uploads local
 * updates (google/android-fhir, engine/src/main/java/com/google/android/fhir/sync/upload). The
 * result is then validated and written as a PUT would be. A malformed patch document is a 400
 * (RFC 5789 §2.2); a patch that cannot apply to the resource as it now is (a failed `test`, a
 * path that is not there) is a 409, naming the operation by its index.
 */
export function applyJsonPatch(current: Json, patch: unknown, where = 'PATCH'): Json {
  if (!Array.isArray(patch)) {
    throw new InvalidInputError(
      `${where}: a JSON Patch is an array of operations (RFC 6902), got ${patch === null ? 'null' : typeof patch}`,
      where,
    );
  }
  const malformed = patch.findIndex((op) => !op || typeof op !== 'object' || Array.isArray(op));
  if (malformed >= 0)
    throw new InvalidInputError(`${where}: operation ${malformed} is not an object`, `${where}[${malformed}]`);
  // one operation at a time on a copy: the failing operation's index is ours, not the library's
  // guess (it reports 0 for a remove at a missing path), and the current resource is never touched
  let doc = structuredClone(current);
  for (const [i, op] of (patch as jsonpatch.Operation[]).entries()) {
    try {
      doc = jsonpatch.applyOperation(doc, op, true, true, true, i).newDocument as Json;
    } catch (err) {
      throw patchError(err, i, op, where);
    }
  }
  return doc;
}

/** fast-json-patch's error names (its JsonPatchError) turned into what the client must change. */
function patchError(err: unknown, index: number, op: jsonpatch.Operation, where: string): Error {
  const e = err as { name?: string; message?: string };
  const at = `${where}[${index}]`;
  const what = ` (${String(op.op)} ${String(op.path)})`;
  switch (e.name) {
    case 'TEST_OPERATION_FAILED':
      return new ConflictError(`${at}${what}: the test failed: the resource is not as the patch expects`, 409, [at]);
    case 'OPERATION_PATH_UNRESOLVABLE':
    case 'OPERATION_FROM_UNRESOLVABLE':
      return new ConflictError(`${at}${what}: the path does not exist in the current resource`, 409, [at]);
    default:
      // OPERATION_OP_INVALID, OPERATION_PATH_INVALID, OPERATION_VALUE_REQUIRED, a banned __proto__ …
      return new InvalidInputError(
        `${at}${what}: ${firstLine(e.message)}${e.name && e.name !== 'TypeError' ? ` (${e.name})` : ''}`,
        at,
      );
  }
}

function firstLine(message: string | undefined): string {
  return (message ?? 'not a valid JSON Patch').split('\n')[0];
}

/**
 * A PATCH entry of a transaction Bundle carries its JSON Patch as a Binary (FHIR http.html#patch;
 * the Android FHIR SDK's bundle upload): `contentType` application/json-patch+json, `data` base64.
 */
export function patchFromBinary(resource: Json | undefined, where: string): unknown {
  if (resource?.resourceType !== 'Binary') {
    throw new InvalidInputError(`${where} of a PATCH entry must be a Binary holding a JSON Patch`, where);
  }
  if (
    String(resource.contentType ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase() !== JSON_PATCH
  ) {
    throw new InvalidInputError(
      `${where}.contentType must be ${JSON_PATCH} (FHIRPath Patch is not supported), got '${resource.contentType ?? ''}'`,
      `${where}.contentType`,
      415,
      'not-supported',
    );
  }
  if (typeof resource.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(resource.data)) {
    throw new InvalidInputError(`${where}.data must be the base64 of the JSON Patch`, `${where}.data`);
  }
  try {
    return JSON.parse(Buffer.from(resource.data, 'base64').toString('utf8'));
  } catch {
    throw new InvalidInputError(`${where}.data is not the base64 of a JSON document`, `${where}.data`);
  }
}
