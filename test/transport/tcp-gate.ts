/**
 * A loopback TCP forwarder in front of a broker, so a test can cut or hold back one client's connection while the
 * broker and every other client carry on: block() refuses new connections and drops the current ones (to the broker
 * that looks like a vanished client: no DISCONNECT, so its Last Will fires), open() lets connections through again.
 * holdReplies() stops passing the broker's bytes back on the current connections (the client's still reach the
 * broker): the broker delivers what it is sent, but its acknowledgements never arrive.
 */
import net from 'node:net';

export interface TcpGate {
  port: number;
  url: string;
  open(): void;
  block(): void;
  holdReplies(): void;
  close(): Promise<void>;
}

export async function startTcpGate(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpGate> {
  let blocked = false;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const server = net.createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    const pair = { client, upstream };
    pairs.add(pair);
    const teardown = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', teardown).on('close', teardown);
    upstream.on('error', teardown).on('close', teardown);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  const cutAll = (): void => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    open: () => {
      blocked = false;
    },
    block: () => {
      blocked = true;
      cutAll();
    },
    holdReplies: () => {
      for (const { client, upstream } of pairs) {
        upstream.unpipe(client);
        upstream.pause();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
