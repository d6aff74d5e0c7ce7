import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { springDefaultError } from './errors.js';
import type { AfterApplyAnswer } from './faults.js';

/**
 * The `afterApply` fault: the request is handled normally (the write lands in the state), and
 * only then is its answer lost. Marked in the onRequest fault hook, carried out in onSend, when
 * the handler has run and its status is known.
 */
const pending = new WeakMap<FastifyRequest['raw'], AfterApplyAnswer>();

export function markAfterApply(request: FastifyRequest, answer: AfterApplyAnswer): void {
  pending.set(request.raw, answer);
}

/** `hung` is the server's set of sockets it destroys on close (a hung answer never comes). */
export function registerAfterApply(app: FastifyInstance, hung: Set<Socket>): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const answer = pending.get(request.raw);
    if (!answer || reply.statusCode >= 300) return payload;
    pending.delete(request.raw);
    const socket = request.raw.socket;
    switch (answer.type) {
      case 'status':
        // a text body as it is (a proxy's login page, an answer cut short), else Spring's error
        if (answer.body !== undefined) {
          reply.code(answer.status).header('content-type', answer.contentType ?? 'text/html; charset=utf-8');
          return answer.body;
        }
        reply.code(answer.status).header('content-type', 'application/json; charset=utf-8');
        return JSON.stringify(springDefaultError(answer.status, request.url.split('?')[0]));
      case 'reset':
        socket.destroy();
        return payload;
      case 'hang':
        // hold the answer until the client gives up (or the sandbox closes): it is never sent
        hung.add(socket);
        await new Promise((resolve) => socket.once('close', resolve));
        hung.delete(socket);
        return payload;
    }
  });
}
