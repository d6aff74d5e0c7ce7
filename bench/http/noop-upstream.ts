/**
 * The no-op upstream of bench:http, in its own process: POST /orders keeps the order and answers
 * its id, GET /orders/:id answers it back (the connector's read-back). Nothing else, so the
 * mediator's side of the benchmark measures the mediator, not an upstream.
 * Prints nothing; sends { url } to its parent over IPC once listening.
 */
import http from 'node:http';

/** Kept for the read-back only; older orders are dropped so a long run does not grow the heap. */
const KEEP = 10_000;
const orders = new Map<string, string>();
let next = 0;

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/orders') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const id = `o${++next}`;
      orders.set(id, body);
      if (orders.size > KEEP) orders.delete(orders.keys().next().value!);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
    });
    return;
  }
  const found = req.method === 'GET' && req.url?.startsWith('/orders/') ? orders.get(req.url.slice(8)) : undefined;
  req.resume();
  if (found) res.writeHead(200, { 'content-type': 'application/json' }).end(found);
  else res.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.send!({ url: `http://127.0.0.1:${address.port}` });
});
process.on('disconnect', () => process.exit(0));
