import net from 'node:net';

/** A TCP proxy that can stop forwarding without closing anything: a network partition. */
export interface SilentProxy {
  port: number;
  /** Every connection made so far goes silent for good; new ones too while `silent`. */
  partition(): void;
  /** New connections are forwarded again (the ones cut off stay dead, as after a real partition). */
  heal(): void;
  close(): Promise<void>;
}

/** Forwards TCP to `target`, until told to drop every byte both ways without closing anything. */
export async function proxyTo(target: URL): Promise<SilentProxy> {
  const sockets = new Set<net.Socket>();
  let silent = false;
  const cut = new WeakSet<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    if (silent) cut.add(client);
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => {
        if (!cut.has(client)) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    partition() {
      silent = true;
      for (const s of sockets) cut.add(s);
    },
    heal() {
      silent = false;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** `databaseUrl` with its host and port replaced by the proxy's. */
export function throughProxy(databaseUrl: string, proxy: SilentProxy): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}
