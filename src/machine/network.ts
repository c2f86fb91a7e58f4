/**
 * The board's Ethernet jack plugged into a user-mode network (src/net/): the MAC's transmitted
 * frames go to the network while the PHY has a link, and the network's frames come back to the
 * MAC's receiver. Time is the machine's: the network schedules on the clock's nanoseconds.
 * Platform-neutral: host sockets come from the caller (Node's in src/host/netSockets.ts).
 */
import type { HostSockets } from '../net/hostSockets.js';
import type { ForwardSpec } from '../net/options.js';
import { UserModeNetwork, type NetScheduler } from '../net/userNetwork.js';
import type { Machine } from './machine.js';

export interface NetworkAttachOptions {
  host?: HostSockets;
  forwards?: readonly ForwardSpec[];
  /** Default true: the guest reaches nothing on the host but the forwards. */
  restrict?: boolean;
  /** The host's resolver for the guest's DNS (10.0.2.3:53); absent: port unreachable. */
  dnsServer?: { address: string; port: number } | null;
  /** Every frame, both directions, with its virtual time (--pcap). */
  tap?: (frame: Uint8Array, nanos: number) => void;
}

export interface AttachedNetwork {
  readonly net: UserModeNetwork;
  /** Frames the network offered while the link was down or the MAC refused them. */
  readonly refused: { linkDown: number; mac: number };
  close(): void;
}

/** A scheduler on the machine's virtual clock. */
export function clockScheduler(machine: Machine): NetScheduler {
  const clock = machine.clock;
  return {
    nanos: () => clock.nanos,
    schedule: (ns, fn) => {
      const alarm = clock.scheduleNanos(ns, fn);
      return () => clock.cancel(alarm);
    },
  };
}

export function attachUserNetwork(
  machine: Machine,
  options: NetworkAttachOptions = {},
): AttachedNetwork {
  const eth = machine.soc.eth;
  const phy = machine.phy;
  const net = new UserModeNetwork({
    scheduler: clockScheduler(machine),
    host: options.host,
    forwards: options.forwards,
    restrict: options.restrict,
    dnsServer: options.dnsServer,
  });
  const refused = { linkDown: 0, mac: 0 };
  const tap = options.tap;
  if (tap) net.onTap = (frame, nanos) => tap(frame, nanos);
  eth.onFrame = (frame) => {
    if (phy.linkUp) net.receiveFrame(frame);
  };
  net.onFrame = (frame) => {
    if (!phy.linkUp) refused.linkDown++;
    else if (!eth.receiveFrame(frame)) refused.mac++;
  };
  return {
    net,
    refused,
    close: () => {
      eth.onFrame = () => {};
      net.close();
    },
  };
}
