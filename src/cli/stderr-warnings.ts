import { terminalText } from './terminal-text.js';

/**
 * The CLI's logger for what the server logs as a warning: one line on stderr, the registry named
 * (without credentials: feed-held.ts) and its own text made safe for a terminal. A command's
 * connectors warn here too (connector-log.ts: a field a write went on without).
 */
export function stderrWarnings(err: NodeJS.WritableStream): { warn(obj: object, msg: string): void } {
  return {
    warn: (obj, msg) => {
      const registry = (obj as { registry?: unknown }).registry;
      err.write(`warning: ${terminalText(msg)}${registry ? ` (registry ${terminalText(String(registry))})` : ''}\n`);
    },
  };
}
