import type { Settings } from '../config/settings.js';
import { startMediator, type RunningMediator } from '../main.js';

/** Runs until SIGINT/SIGTERM, then stops cleanly (in-flight requests finish, the worker drains). */
export async function serve(settings: Settings): Promise<RunningMediator> {
  const mediator = await startMediator(settings);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    mediator.app.log.info({ signal }, 'shutting down');
    await mediator.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  return mediator;
}
