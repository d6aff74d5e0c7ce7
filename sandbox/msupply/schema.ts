import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { ConfigError } from '../../src/config/load.js';

/**
 * The schema the sandbox executes: Open mSupply's own, as reconstructed from its generated types
 * (client/packages/common/src/types/schema.ts in msupply-foundation/open-msupply) and kept beside
 * the repository in ../shared/fixtures (never copied in). Executing the real SDL means a query
 * the real server would refuse as invalid is refused here too, with graphql-js's validation
 * errors. MSUPPLY_SCHEMA_FILE points elsewhere when the shared folder is not beside the repo.
 */
const DEFAULT_SCHEMA = path.resolve(
  import.meta.dirname,
  '../../../shared/fixtures/msupply/open-msupply/schema.reconstructed.graphql',
);

export function msupplySchemaFile(): string {
  return process.env.MSUPPLY_SCHEMA_FILE || DEFAULT_SCHEMA;
}

let cached: { file: string; schema: GraphQLSchema } | undefined;

export function loadMsupplySchema(file = msupplySchemaFile()): GraphQLSchema {
  if (cached?.file === file) return cached.schema;
  // a setting to fix (MSUPPLY_SCHEMA_FILE), said in one line by the demo and the CLI, no stack
  if (!existsSync(file))
    throw new ConfigError(
      `Open mSupply schema not found at ${file}: put the shared fixtures beside the repository or set MSUPPLY_SCHEMA_FILE`,
    );
  const schema = buildSchema(readFileSync(file, 'utf8'));
  cached = { file, schema };
  return schema;
}
