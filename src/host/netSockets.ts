/**
 * The user-mode network's host side in Node (src/net/hostSockets.ts is the interface): TCP
 * listeners for `hostfwd` forwards and outgoing connections for the guest (restrict=off), as
 * Node sockets with back-pressure passed through (write() says when the socket is full, pause()
 * stops reading). Listeners bind the address the user named, 127.0.0.1 by default. UDP forwards
 * get a node:dgram udp4 socket each, as do the guest's relayed DNS queries and UDP.
 */
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import * as net from 'node:net';
import type {
  HostConnection,
  HostListener,
  HostSockets,
  HostUdpSocket,
} from '../net/hostSockets.js';

function wrap(socket: net.Socket, activity: () => void): HostConnection {
  const c: HostConnection = {
    write: (data) => (socket.destroyed ? false : socket.write(data)),
    end: () => {
      if (!socket.destroyed) socket.end();
    },
    destroy: () => socket.destroy(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    onData: () => {},
    onEnd: () => {},
    onClose: () => {},
    onDrain: () => {},
  };
  socket.setNoDelay(true);
  // Each event may give the guest something to do: the run loop is woken after it.
  socket.on('data', (d: Buffer) => {
    c.onData(new Uint8Array(d.buffer, d.byteOffset, d.length));
    activity();
  });
  socket.on('end', () => {
    c.onEnd();
    activity();
  });
  socket.on('drain', () => {
    c.onDrain();
    activity();
  });
  let error: string | undefined;
  socket.on('error', (e) => (error = e.message));
  socket.on('close', () => {
    c.onClose(error);
    activity();
  });
  return c;
}

/** Node's sockets for the user-mode network; `activity` is called after every host event. */
export const nodeHostSockets = (activity: () => void = () => {}): HostSockets => ({
  listenTcp: (host, port, onConnection) =>
    new Promise<HostListener>((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true }, (socket) => {
        socket.pause(); // nothing is read until the guest's side of the connection exists
        onConnection(wrap(socket, activity), {
          address: socket.remoteAddress ?? '',
          port: socket.remotePort ?? 0,
        });
        activity();
      });
      server.once('error', (e) =>
        reject(new Error(`cannot listen on ${host}:${port}: ${(e as Error).message}`)),
      );
      server.listen(port, host, () => {
        const bound = (server.address() as net.AddressInfo).port;
        resolve({ port: bound, close: () => server.close() });
      });
    }),
  bindUdp: (host, port) =>
    new Promise<HostUdpSocket>((resolve, reject) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', (e) => {
        socket.close();
        reject(new Error(`cannot bind UDP ${host}:${port}: ${e.message}`));
      });
      socket.bind(port, host, () => {
        // After binding, errors (an ICMP unreachable reported on a later send) lose a datagram
        // as UDP may; they must not end the process.
        socket.removeAllListeners('error');
        socket.on('error', () => {});
        let closed = false;
        const u: HostUdpSocket = {
          port: socket.address().port,
          send: (data, address, toPort) => {
            if (!closed) socket.send(data, toPort, address, () => {});
          },
          close: () => {
            if (closed) return;
            closed = true;
            socket.close();
          },
          onMessage: () => {},
        };
        socket.on('message', (d: Buffer, rinfo) => {
          u.onMessage(new Uint8Array(d.buffer, d.byteOffset, d.length), {
            address: rinfo.address,
            port: rinfo.port,
          });
          activity();
        });
        resolve(u);
      });
    }),
  connectTcp: (host, port, onConnect) => {
    const socket = net.connect({ host, port, allowHalfOpen: true });
    let settled = false;
    socket.once('connect', () => {
      settled = true;
      socket.pause();
      onConnect(wrap(socket, activity));
      activity();
    });
    socket.once('error', (e) => {
      if (settled) return;
      settled = true;
      onConnect(null, e.message);
      activity();
    });
  },
});

/**
 * The host's first IPv4 resolver (from /etc/resolv.conf or the system's configuration), for the
 * guest's DNS relay; null when there is none.
 */
export function hostDnsServer(): { address: string; port: number } | null {
  for (const server of dns.getServers()) {
    // Entries are "a.b.c.d", "a.b.c.d:port", or IPv6 ("::1", "[::1]:53").
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?$/.exec(server);
    if (m) return { address: m[1]!, port: m[2] === undefined ? 53 : Number(m[2]) };
  }
  return null;
}
