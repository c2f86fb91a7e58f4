/**
 * Test support for the user-mode network's tests (userNetwork.test.ts,
 * userNetworkRobustness.test.ts): a network on a fake scheduler whose frames to the guest are
 * collected, byte readers, and the IPv4 view of a frame to the guest with a receiver's checks.
 */
import { expect } from 'vitest';
import { formatIpv4, internetChecksum } from './checksum.js';
import { FakeScheduler } from './testing.js';
import { UserModeNetwork, type UserModeNetworkOptions } from './userNetwork.js';

export const hex = (b: ArrayLike<number>) =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
export const u16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
export const u32 = (b: Uint8Array, o: number) =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

export function setup(options: Partial<UserModeNetworkOptions> = {}) {
  const scheduler = new FakeScheduler();
  const net = new UserModeNetwork({ scheduler, createTcp: null, ...options });
  const out: Uint8Array[] = [];
  net.onFrame = (f) => out.push(f);
  const exchange = (frame: Uint8Array): Uint8Array[] => {
    out.length = 0;
    net.receiveFrame(frame);
    scheduler.advance(1_000_000);
    return out.splice(0);
  };
  return { scheduler, net, out, exchange };
}

/** The IPv4 view of a frame to the guest, with every header check a receiver makes. */
export function ipv4Of(frame: Uint8Array) {
  expect(u16(frame, 12)).toBe(0x0800);
  expect(frame[14]).toBe(0x45);
  const total = u16(frame, 16);
  expect(14 + total).toBeLessThanOrEqual(frame.length);
  expect(internetChecksum(frame, 14, 20)).toBe(0);
  return {
    src: formatIpv4(u32(frame, 26)),
    dst: formatIpv4(u32(frame, 30)),
    protocol: frame[23],
    ttl: frame[22],
    payload: frame.subarray(34, 14 + total),
  };
}
