/**
 * Host sockets that live in memory: the host side of the user-mode network when there is no
 * operating system to lend sockets (a browser tab). A port forward listens here as it would on
 * a TCP port; `connect(port)` opens a connection to that listener from inside the same program
 * (the page's HTTP panel), and the forward carries it to the guest exactly as a real client's.
 * The guest reaches nothing else: outgoing connections and UDP are refused with a reason.
 *
 * Delivery between the two ends is asynchronous (a microtask), as a socket's is: a write never
 * re-enters the TCP engine that made it. Back-pressure: a paused end keeps what arrives and
 * hands it over on resume; writes are never refused (what the page sends is small).
 */
import type { HostConnection, HostListener, HostSockets } from './hostSockets.js';

type Listener = (c: HostConnection, remote: { address: string; port: number }) => void;

/** One end of an in-memory connection. */
class MemoryEnd implements HostConnection {
  peer: MemoryEnd | null = null;
  constructor(private readonly activity: () => void) {}
  onData: (data: Uint8Array) => void = () => {};
  onEnd: () => void = () => {};
  onClose: (error?: string) => void = () => {};
  onDrain: () => void = () => {};
  private paused = false;
  private readonly held: (Uint8Array | 'end')[] = [];
  private wroteEnd = false;
  private gotEnd = false;
  private closed = false;

  write(data: Uint8Array): boolean {
    if (this.closed || this.wroteEnd) return true;
    const copy = data.slice();
    queueMicrotask(() => this.peer?.arrive(copy));
    return true;
  }

  end(): void {
    if (this.closed || this.wroteEnd) return;
    this.wroteEnd = true;
    queueMicrotask(() => {
      this.peer?.arrive('end');
      this.maybeClose();
    });
  }

  destroy(): void {
    if (this.closed) return;
    this.close();
    const peer = this.peer;
    queueMicrotask(() => {
      peer?.close('connection reset by peer');
      this.activity();
    });
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && this.held.length > 0) this.deliver(this.held.shift()!);
  }

  private arrive(item: Uint8Array | 'end'): void {
    if (this.closed) return;
    if (this.paused || this.held.length > 0) this.held.push(item);
    else this.deliver(item);
    this.activity();
  }

  private deliver(item: Uint8Array | 'end'): void {
    if (item === 'end') {
      this.gotEnd = true;
      this.onEnd();
      this.maybeClose();
    } else this.onData(item);
  }

  /** Both directions ended: the connection is gone, cleanly. */
  private maybeClose(): void {
    if (this.wroteEnd && this.gotEnd) this.close();
    if (this.peer?.wroteEnd && this.peer.gotEnd) this.peer.close();
  }

  close(error?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.held.length = 0;
    this.onClose(error);
  }
}

export class MemorySockets implements HostSockets {
  private readonly listeners = new Map<number, Listener>();
  private nextClientPort = 49152;

  /** `activity` runs after each delivery (a runner waiting on a sleeping guest wakes). */
  constructor(private readonly activity: () => void = () => {}) {}

  listenTcp(host: string, port: number, onConnection: Listener): Promise<HostListener> {
    if (port === 0) port = this.freePort();
    if (this.listeners.has(port)) {
      return Promise.reject(new Error(`port ${port} is already forwarded`));
    }
    this.listeners.set(port, onConnection);
    return Promise.resolve({
      port,
      close: () => void this.listeners.delete(port),
    });
  }

  connectTcp(
    host: string,
    port: number,
    onConnect: (c: HostConnection | null, error?: string) => void,
  ): void {
    queueMicrotask(() => onConnect(null, 'this host has no network of its own (only forwards)'));
  }

  /** Whether a forward listens on `port`. */
  listening(port: number): boolean {
    return this.listeners.has(port);
  }

  /**
   * Opens a connection to the forward listening on `port`: the returned end is the client's.
   * Throws when nothing listens there (as a refused connection would).
   */
  connect(port: number): HostConnection {
    const listener = this.listeners.get(port);
    if (listener === undefined) throw new Error(`nothing is forwarded from port ${port}`);
    const client = new MemoryEnd(this.activity);
    const server = new MemoryEnd(this.activity);
    client.peer = server;
    server.peer = client;
    const remotePort = this.nextClientPort;
    this.nextClientPort = remotePort >= 65535 ? 49152 : remotePort + 1;
    queueMicrotask(() => {
      listener(server, { address: '127.0.0.1', port: remotePort });
      this.activity();
    });
    return client;
  }

  private freePort(): number {
    let p = 10000;
    while (this.listeners.has(p)) p++;
    return p;
  }
}
