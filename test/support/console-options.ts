import type { OperatorConsoleOptions } from '../../src/admin/ui/index.js';

/**
 * The operator console's options with nothing behind it (no facilities, systems, readiness checks,
 * breakers or settings) but its admin token: each test passes in only what it exercises.
 */
export function consoleOptions(
  opts: Partial<OperatorConsoleOptions> & Pick<OperatorConsoleOptions, 'adminToken'>,
): OperatorConsoleOptions {
  return {
    directory: { registry: async () => new Map(), system: async () => new Map(), systems: () => [] },
    readiness: () => [],
    breakers: () => ({}),
    settings: () => [],
    ...opts,
  };
}
