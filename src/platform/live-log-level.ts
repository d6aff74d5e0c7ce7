import type { Logger } from 'pino';

/**
 * A log level that can change while the process runs (OpenHIM's logLevel). pino copies the level
 * into a child logger when the child is made, so setting the root's level alone leaves every
 * long-lived child (the OpenHIM component's) at the old level: children made here follow too.
 * Loggers made per request (Fastify's) are children made later and inherit the current level.
 */
export interface LiveLogLevel {
  child(bindings: Record<string, unknown>): Logger;
  set(level: string): void;
}

export function liveLogLevel(root: Logger): LiveLogLevel {
  const children: Logger[] = [];
  return {
    child(bindings) {
      const child = root.child(bindings);
      children.push(child);
      return child;
    },
    set(level) {
      if (root.level === level) return;
      root.level = level;
      for (const child of children) child.level = level;
    },
  };
}
