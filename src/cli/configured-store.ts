import { defaultSettings, layeredSettings } from '../config/load.js';

/** Where an operator command's store is named: its options, or nothing (each fills the default). */
export interface StoreOptions {
  databaseUrl?: string;
  dataDir?: string;
}

/**
 * The store an operator command opens, as `serve` finds its own: `--database-url` / `--data-dir`
 * (commander fills them from DATABASE_URL and DATA_DIR), each over CONFIG_FILE's
 * `store.databaseUrl` / `store.dataDir`. Without this a deployment configured by its file had
 * `outbox list` and `propagation` read ./data instead of the server's database. Only the file
 * is read, not the other variables: a listing must not fail on a setting it does not use. A
 * field left undefined is not configured anywhere (the command's own default applies).
 */
export function configuredStore(options: StoreOptions, env: NodeJS.ProcessEnv = process.env): StoreOptions {
  const file = env.CONFIG_FILE ? layeredSettings({ CONFIG_FILE: env.CONFIG_FILE }) : {};
  const fileUrl = file['store.databaseUrl'] as string | undefined;
  const fileDir = file['store.dataDir'] as string | undefined;
  const defaultDir = defaultSettings()['store.dataDir'];
  return {
    databaseUrl: options.databaseUrl || fileUrl || undefined,
    dataDir: options.dataDir || (fileDir !== defaultDir ? fileDir : undefined),
  };
}
