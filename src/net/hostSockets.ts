/**
 * What the user-mode network needs from the host, as types only: TCP listeners for port
 * forwards, outgoing TCP connections for the guest (with restrict=off) and bound UDP sockets
 * for UDP port forwards. Node's
 * implementation lives in src/host/; a browser page can provide its own (a WebSocket relay,
 * or nothing but forwards into the page).
 *
 * Data is Uint8Array; back-pressure crosses in both directions: `write` returns false when
 * the host side is full (wait for `onDrain`), and `pause`/`resume` stop and restart `onData`
 * while the guest's receive window is closed.
 */

export interface HostConnection {
  /** Queues data to the host peer; false: the host side is full, wait for `onDrain`. */
  write(data: Uint8Array): boolean;
  /** Half close: no more data to the host peer (TCP FIN). */
  end(): void;
  /** Abort (TCP RST where the host can send one). */
  destroy(): void;
  /** Stop delivering `onData` until `resume`. */
  pause(): void;
  resume(): void;
  onData: (data: Uint8Array) => void;
  /** The host peer sent FIN. */
  onEnd: () => void;
  /** The connection is gone; `error` says why when it did not close cleanly. */
  onClose: (error?: string) => void;
  onDrain: () => void;
}

export interface HostListener {
  /** The bound port (the one asked for, or the one the host chose for port 0). */
  readonly port: number;
  close(): void;
}

/** A bound UDP socket (a `hostfwd=udp:` forward's host end). */
export interface HostUdpSocket {
  /** The bound port (the one asked for, or the one the host chose for port 0). */
  readonly port: number;
  /** Sends one datagram to `address`:`port`; errors (no route, a full buffer) lose it silently. */
  send(data: Uint8Array, address: string, port: number): void;
  close(): void;
  /** A datagram arrived from `from` (set by the user of the socket). */
  onMessage: (data: Uint8Array, from: { address: string; port: number }) => void;
}

export interface HostSockets {
  listenTcp(
    host: string,
    port: number,
    onConnection: (c: HostConnection, remote: { address: string; port: number }) => void,
  ): Promise<HostListener>;
  connectTcp(
    host: string,
    port: number,
    onConnect: (c: HostConnection | null, error?: string) => void,
  ): void;
  /**
   * Binds a UDP socket on `host`:`port` (0: any free port); rejects saying why it could not.
   * Optional: a host without it serves no UDP forwards (starting one fails, naming it).
   */
  bindUdp?(host: string, port: number): Promise<HostUdpSocket>;
}
