/**
 * The user-mode network option as QEMU spells it (`-nic user,...` / `-netdev user,...`):
 *
 *   user[,hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport]...[,restrict=on|off][,id=NAME]
 *
 * Two deliberate differences from QEMU: an empty host address means 127.0.0.1, not every
 * interface (a forward should not open the guest to the network unless the user names an
 * address), and restrict defaults to on (the guest reaches nothing but the forwards unless
 * the user turns it off).
 */
import { parseIpv4 } from './checksum.js';

export type ForwardProtocol = 'tcp' | 'udp';

export interface ForwardSpec {
  proto: ForwardProtocol;
  /** The host address to listen on, dotted quad ('127.0.0.1' when the option left it empty). */
  hostAddress: string;
  /** 0 lets the host choose a free port (the listener reports which). */
  hostPort: number;
  /** The guest address as a number (10.0.2.15 → 0x0a00020f), or null: the one the network learned. */
  guestAddress: number | null;
  guestPort: number;
}

export interface UserNetOptions {
  kind: 'user';
  forwards: ForwardSpec[];
  /** On: the guest reaches only the network's own services and the forwards, no host socket. */
  restrict: boolean;
}

export const DEFAULT_FORWARD_HOST = '127.0.0.1';

const TRUE_WORDS = ['on', 'yes', 'true', 'y'];
const FALSE_WORDS = ['off', 'no', 'false', 'n'];

/** Parses `text` (the value of --net); throws an Error naming the bad part. */
export function parseNetOption(text: string): UserNetOptions {
  const parts = text.split(',');
  const kind = parts[0]!.trim();
  if (kind !== 'user') {
    throw new Error(`--net: unsupported network '${kind}' in '${text}' (supported: user)`);
  }
  const result: UserNetOptions = { kind: 'user', forwards: [], restrict: true };
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`--net: '${part}' is not key=value (in '${text}')`);
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    switch (key) {
      case 'hostfwd':
        result.forwards.push(parseHostForward(value));
        break;
      case 'restrict':
        if (TRUE_WORDS.includes(value)) result.restrict = true;
        else if (FALSE_WORDS.includes(value)) result.restrict = false;
        else throw new Error(`--net: restrict='${value}' must be on or off`);
        break;
      case 'id':
        break; // QEMU's netdev name; one network here, so only accepted
      default:
        throw new Error(`--net: unknown option '${key}' (supported: hostfwd, restrict, id)`);
    }
  }
  const seen = new Set<string>();
  for (const f of result.forwards) {
    if (f.hostPort === 0) continue;
    const id = `${f.proto}:${f.hostAddress}:${f.hostPort}`;
    if (seen.has(id)) throw new Error(`--net: hostfwd ${id} is given twice`);
    seen.add(id);
  }
  return result;
}

/** `[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport` (QEMU's hostfwd value). */
export function parseHostForward(value: string): ForwardSpec {
  const bad = (why: string): Error =>
    new Error(
      `--net: hostfwd=${value}: ${why} (expected [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport)`,
    );
  const dash = value.indexOf('-');
  if (dash < 0) throw bad("no '-' between the host and the guest side");
  const hostSide = value.slice(0, dash).split(':');
  const guestSide = value.slice(dash + 1).split(':');
  if (hostSide.length !== 3)
    throw bad(`host side '${value.slice(0, dash)}' is not proto:addr:port`);
  if (guestSide.length !== 2) throw bad(`guest side '${value.slice(dash + 1)}' is not addr:port`);
  const [protoText, hostAddrText, hostPortText] = hostSide as [string, string, string];
  const [guestAddrText, guestPortText] = guestSide as [string, string];
  let proto: ForwardProtocol;
  if (protoText === '' || protoText === 'tcp') proto = 'tcp';
  else if (protoText === 'udp') proto = 'udp';
  else throw bad(`protocol '${protoText}' is neither tcp nor udp`);
  const hostAddress = hostAddrText === '' ? DEFAULT_FORWARD_HOST : hostAddrText;
  if (parseIpv4(hostAddress) === null) throw bad(`host address '${hostAddrText}' is not IPv4`);
  const guestAddress = guestAddrText === '' ? null : parseIpv4(guestAddrText);
  if (guestAddrText !== '' && guestAddress === null) {
    throw bad(`guest address '${guestAddrText}' is not IPv4`);
  }
  return {
    proto,
    hostAddress,
    hostPort: parsePort(hostPortText, true, bad),
    guestAddress,
    guestPort: parsePort(guestPortText, false, bad),
  };
}

function parsePort(text: string, allowZero: boolean, bad: (why: string) => Error): number {
  const which = allowZero ? 'host' : 'guest';
  if (!/^\d{1,5}$/.test(text)) throw bad(`${which} port '${text}' is not a number`);
  const port = Number(text);
  if (port > 65535 || (port === 0 && !allowZero)) {
    throw bad(`${which} port ${port} is out of range (${allowZero ? 0 : 1}-65535)`);
  }
  return port;
}
