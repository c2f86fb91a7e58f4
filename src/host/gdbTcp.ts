/**
 * The TCP side of the GDB stub: listens (127.0.0.1 unless another address is named), accepts
 * one debugger at a time and wires its socket to a transport-free GdbServer.
 */
import * as net from 'node:net';
import type { StopReason } from '../core/cpu.js';
import { GdbServer, type GdbServerOptions } from '../gdb/server.js';
import type { Machine } from '../machine/machine.js';
import type { DebugEndpoint } from '../machine/runner.js';

export interface GdbAddress {
  host: string;
  port: number;
}

/** Parses `[tcp:][HOST:]PORT` (HOST defaults to 127.0.0.1; PORT 0 picks a free port). */
export function parseGdbAddress(spec: string): GdbAddress | null {
  let s = spec.startsWith('tcp:') ? spec.slice(4) : spec;
  let host = '127.0.0.1';
  const colon = s.lastIndexOf(':');
  if (colon >= 0) {
    host = s.slice(0, colon).replace(/^\[(.*)\]$/, '$1') || host;
    s = s.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) return null;
  return { host, port: Number(s) };
}

export type GdbSessionHooks = Omit<GdbServerOptions, 'send'> & {
  /** A debugger connected (the target is now halted). */
  onConnect?: (server: GdbServer) => void;
  /** The connection closed (after D, k, or the debugger going away). */
  onDisconnect?: () => void;
  /** Bytes arrived: the host's run loop may have work (resume, Ctrl-C). */
  onActivity?: () => void;
};

/**
 * The runner's debug endpoint for as long as f4emu runs: it hands stops to whichever debugger
 * is connected, and lets the program run freely while none is.
 */
export class GdbTcpListener implements DebugEndpoint {
  private server: net.Server | null = null;
  private socket: net.Socket | null = null;
  /** The connected debugger's session, if any. */
  session: GdbServer | null = null;

  constructor(
    private readonly machine: Machine,
    private readonly hooks: GdbSessionHooks,
  ) {}

  get holding(): boolean {
    return this.session?.holding ?? false;
  }

  onTargetStop(reason: StopReason): boolean {
    const session = this.session;
    if (session !== null && session.active) return session.onTargetStop(reason);
    // A BKPT the debugger stopped at just before detaching: nothing to report, run on.
    return reason === 'breakpoint';
  }

  /** Starts listening; resolves with the bound address (the real port when 0 was asked). */
  listen(address: GdbAddress): Promise<GdbAddress> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.accept(socket));
      this.server = server;
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        const a = server.address() as net.AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  private accept(socket: net.Socket): void {
    if (this.session !== null) {
      socket.end('$E01#a6'); // one debugger at a time
      return;
    }
    socket.setNoDelay(true);
    this.socket = socket;
    const session = new GdbServer(this.machine, {
      ...this.hooks,
      send: (data) => {
        if (!socket.destroyed) socket.write(data);
      },
    });
    this.session = session;
    session.attach();
    this.hooks.onConnect?.(session);
    socket.on('data', (data) => {
      session.receive(data);
      this.hooks.onActivity?.();
    });
    socket.on('error', () => {}); // a reset connection ends the session like a close
    socket.on('close', () => {
      session.close();
      if (this.session === session) {
        this.session = null;
        this.socket = null;
      }
      this.hooks.onDisconnect?.();
    });
  }

  /** Flushes and closes the connection and stops listening. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.close();
      this.server = null;
      const socket = this.socket;
      if (socket === null || socket.destroyed) return resolve();
      socket.end(() => resolve());
      setTimeout(resolve, 1000).unref();
    });
  }
}
