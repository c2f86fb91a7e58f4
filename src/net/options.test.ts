import { describe, expect, it } from 'vitest';
import { parseNetOption } from './options.js';

describe('parseNetOption', () => {
  it('parses QEMU’s user network with forwards and restrict', () => {
    expect(
      parseNetOption('user,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=tcp::2323-:23,restrict=off'),
    ).toEqual({
      kind: 'user',
      forwards: [
        {
          proto: 'tcp',
          hostAddress: '127.0.0.1',
          hostPort: 8080,
          guestAddress: null,
          guestPort: 80,
        },
        {
          proto: 'tcp',
          hostAddress: '127.0.0.1',
          hostPort: 2323,
          guestAddress: null,
          guestPort: 23,
        },
      ],
      restrict: false,
    });
  });

  it('defaults to restrict on and loopback, accepts udp, an empty protocol, a guest address, port 0, id', () => {
    expect(parseNetOption('user')).toEqual({ kind: 'user', forwards: [], restrict: true });
    const o = parseNetOption(
      'user,id=n0,hostfwd=udp:0.0.0.0:5353-10.0.2.15:53,hostfwd=::0-:80,restrict=yes',
    );
    expect(o.restrict).toBe(true);
    expect(o.forwards).toEqual([
      {
        proto: 'udp',
        hostAddress: '0.0.0.0',
        hostPort: 5353,
        guestAddress: 0x0a00020f,
        guestPort: 53,
      },
      { proto: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestAddress: null, guestPort: 80 },
    ]);
  });

  it.each([
    ['tap', /unsupported network 'tap'/],
    ['user,restrict=maybe', /restrict='maybe'/],
    ['user,smb=/tmp', /unknown option 'smb'/],
    ['user,hostfwd', /'hostfwd' is not key=value/],
    ['user,hostfwd=tcp:127.0.0.1:8080', /no '-'/],
    ['user,hostfwd=sctp::80-:80', /protocol 'sctp'/],
    ['user,hostfwd=tcp:localhost:80-:80', /host address 'localhost'/],
    ['user,hostfwd=tcp::80-10.0.2:80', /guest address '10.0.2'/],
    ['user,hostfwd=tcp::http-:80', /host port 'http'/],
    ['user,hostfwd=tcp::70000-:80', /host port 70000 is out of range/],
    ['user,hostfwd=tcp::8080-:0', /guest port 0 is out of range/],
    ['user,hostfwd=tcp:8080-:80', /host side 'tcp:8080'/],
    ['user,hostfwd=tcp::8080-80', /guest side '80'/],
    [
      'user,hostfwd=tcp::8080-:80,hostfwd=tcp:127.0.0.1:8080-:81',
      /tcp:127.0.0.1:8080 is given twice/,
    ],
  ])('rejects %s with a clear message', (text, message) => {
    expect(() => parseNetOption(text)).toThrow(message);
  });
});
