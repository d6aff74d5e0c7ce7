/**
 * One log line per request, written when the response has been sent: method, URL, status and
 * time taken, on the request's child logger (so it carries the OpenHIM transaction id as reqId).
 * Fastify's default writes two lines per request (incoming, completed) and serializes the
 * request object for the first; at info level that doubled the logging cost of every call.
 * Headers are never logged (they carry the credentials). Error lines stay as Fastify writes them.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) return super.requestCompleted(error, request, reply);
    // the URL and the object are not built when info is off (pino's level check alone comes later)
    const log = request.log as unknown as Partial<Logger>;
    if (log.isLevelEnabled && !log.isLevelEnabled('info')) return;
    const fields = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
    };
    request.log.info(fields, 'request completed');
  }
}
