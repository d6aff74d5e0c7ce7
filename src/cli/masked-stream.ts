import { redact } from '../platform/redaction.js';

/**
 * `stream` with every text written to it masked as the logs are (redaction.ts): what a command
 * prints quotes upstreams' refusals (a bridge's refused values, a store not read), and a careless
 * server repeats the credentials it was sent in them. Everything else (isTTY, columns, cursorTo
 * for a progress bar) is the stream's own. Each write is masked whole: commands write whole lines.
 */
export function maskedStream<S extends NodeJS.WritableStream>(stream: S): S {
  return new Proxy(stream, {
    get(target, key) {
      if (key === 'write')
        return (chunk: unknown, ...rest: unknown[]) =>
          (target.write as (...a: unknown[]) => boolean)(typeof chunk === 'string' ? redact(chunk) : chunk, ...rest);
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
