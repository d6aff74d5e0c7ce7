import type { OutboxLogger } from '../../src/outbox/types.js';

export interface CapturedLine {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg?: string;
}

/** An outbox logger that keeps every line it is given, for tests that check what was said. */
export function capturingLogger(): { lines: CapturedLine[]; logger: OutboxLogger } {
  const lines: CapturedLine[] = [];
  const keep = (level: CapturedLine['level']) => (obj: object, msg?: string) =>
    void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { info: keep('info'), warn: keep('warn'), error: keep('error') } };
}
