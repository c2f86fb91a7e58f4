#!/usr/bin/python3
"""Cross-checks Unicorn vectors against a second oracle: qemu-system-arm -M mps2-an386 (a
Cortex-M4; Debian 12 ships QEMU 7.2, Unicorn 2.0.1 is QEMU 5.0 based), driven one instruction
at a time through its gdbstub. Disagreements point at a bug in one of the two; the ARM ARM
pseudocode decides which (docs/differential.md lists what was found).

    /usr/bin/python3 scripts/unicorn_gen/qemu_crosscheck.py vectors.jsonl [--limit N] [--show K]

Works on the registers, APSR and the data window, like the f4emu replayer, and on S0-S31 and
FPSCR for the FP classes. QEMU listens on a
loopback port only and is stopped at the end.
"""

import argparse
import hashlib
import json
import socket
import subprocess
import sys
import time

WIN, WIN_SIZE = 0x20001000, 0x1000
CHUNK = 1024  # bytes per memory packet (QEMU's PacketSize is 4096 characters)
NAMES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp',
         'lr', 'pc']


class Gdb:
    def __init__(self, port):
        for _ in range(100):
            try:
                self.s = socket.create_connection(('127.0.0.1', port))
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError('cannot reach the QEMU gdbstub')
        self.buf = b''
        self.cmd('QStartNoAckMode')
        self.noack = True

    def cmd(self, data):
        if data is not None:
            payload = data.encode() if isinstance(data, str) else data
            self.s.sendall(b'$' + payload + b'#%02x' % (sum(payload) & 0xFF))
        while True:
            start = self.buf.find(b'$')
            end = self.buf.find(b'#', start)
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                reply = self.buf[start + 1:end].decode()
                self.buf = self.buf[end + 3:]
                if not getattr(self, 'noack', False):
                    self.s.sendall(b'+')
                return reply
            chunk = self.s.recv(65536)
            if not chunk:
                raise RuntimeError('QEMU closed the connection')
            self.buf += chunk

    def recv(self):
        """The next packet without sending anything (monitor output comes as several)."""
        return self.cmd(None)

    def write_mem(self, addr, data):
        for off in range(0, len(data), CHUNK):
            part = data[off:off + CHUNK]
            if self.cmd('M%x,%x:%s' % (addr + off, len(part), part.hex())) != 'OK':
                raise RuntimeError('memory write at %#x failed' % (addr + off))

    def read_mem(self, addr, size):
        out = b''
        for off in range(0, size, CHUNK):
            out += bytes.fromhex(self.cmd('m%x,%x' % (addr + off, min(CHUNK, size - off))))
        return out

    def set_regs(self, r, xpsr):
        words = list(r) + [0] * 24 + [0, xpsr]  # r0-r15, f0-f7 (3 words each), fps, xpsr
        if getattr(self, 'has_xml', False):
            words = list(r) + [xpsr]  # with the target description read: r0-r15, xpsr
        if self.cmd('G' + b''.join(w.to_bytes(4, 'little') for w in words).hex()) != 'OK':
            raise RuntimeError('register write failed')

    def set_fp(self, s, fpscr):
        """S0-S31 as D0-D15 (registers 26-41 of arm-vfp.xml) and FPSCR (42)."""
        if not getattr(self, 'has_xml', False):
            # QEMU answers p/P packets only once the client has read the target description.
            self.cmd('qXfer:features:read:target.xml:0,ffb')
            self.has_xml = True
        for d in range(16):
            val = s[2 * d].to_bytes(4, 'little') + s[2 * d + 1].to_bytes(4, 'little')
            if self.cmd('P%x=%s' % (26 + d, val.hex())) != 'OK':
                raise RuntimeError('FP register write failed')
        if self.cmd('P2a=%s' % fpscr.to_bytes(4, 'little').hex()) != 'OK':
            raise RuntimeError('FPSCR write failed')

    def fp(self):
        s = []
        for d in range(16):
            raw = bytes.fromhex(self.cmd('p%x' % (26 + d)))
            s += [int.from_bytes(raw[0:4], 'little'), int.from_bytes(raw[4:8], 'little')]
        return s, int.from_bytes(bytes.fromhex(self.cmd('p2a')), 'little')

    def regs(self):
        raw = bytes.fromhex(self.cmd('g'))
        words = [int.from_bytes(raw[i:i + 4], 'little') for i in range(0, len(raw), 4)]
        return words[:16], words[-1]


HANDLER = 0x20010000  # every exception vector points at a `b .` here: a fault never locks up


def install_vectors(gdb):
    gdb.write_mem(HANDLER, b'\xfe\xe7')
    gdb.write_mem(0, (HANDLER + 0x100).to_bytes(4, 'little') + (HANDLER | 1).to_bytes(4, 'little') * 15)


def system_reset(gdb):
    """After a fault (IPSR != 0): the gdbstub cannot write IPSR, a reset clears it."""
    reply = gdb.cmd('qRcmd,' + b'system_reset'.hex())
    while reply != 'OK':
        if reply.startswith('E'):
            raise RuntimeError('monitor system_reset failed: ' + reply)
        reply = gdb.recv()


# CPACR = CP10/CP11 full access (0xE000ED88); FPCCR = 0 (0xE000EF34): ASPEN off, so that the
# FP instruction does not create a new FP context (FPSCR = FPDSCR) as the first one after reset
# would. QEMU's gdbstub ignores writes to these, so the guest makes them:
#   movw r0, #0xed88; movt r0, #0xe000; mov.w r1, #0xf00000; str r1, [r0]
#   movw r0, #0xef34; movt r0, #0xe000; movs r1, #0; str r1, [r0]; dsb; isb
ENABLE_FP = bytes.fromhex('4ef68850cef200004ff4700101604ef63470cef2000000210160bff34f8fbff36f8f')
ENABLE_FP_AT = HANDLER + 0x40


def enable_fp(gdb):
    gdb.write_mem(ENABLE_FP_AT, ENABLE_FP)
    gdb.set_regs([0] * 15 + [ENABLE_FP_AT], 1 << 24)
    for _ in range(10):
        gdb.cmd('s')


def window(v):
    return hashlib.shake_128(bytes.fromhex(v['pre']['memSeed'])).digest(WIN_SIZE)


def check(gdb, v):
    pre, post = v['pre'], v['post']
    before = window(v)
    gdb.write_mem(WIN, before)
    code = bytes.fromhex(v['code'])
    pc = pre['r'][15]
    gdb.write_mem(pc, code)
    gdb.set_regs(pre['r'], pre['apsr'] | 1 << 24)
    fp = 'fpscr' in pre
    if fp:
        enable_fp(gdb)
        gdb.set_regs(pre['r'], pre['apsr'] | 1 << 24)
        gdb.set_fp(pre['s'], pre['fpscr'])
    for _ in range(v.get('steps', 1)):
        gdb.cmd('s')
    r, xpsr = gdb.regs()
    problems = []
    if xpsr & 0x1FF:
        problems.append('QEMU took exception %d' % (xpsr & 0x1FF))
        system_reset(gdb)
        return problems
    for i in range(16):
        if r[i] != post['r'][i]:
            problems.append('%s: unicorn %#010x, qemu %#010x' % (NAMES[i], post['r'][i], r[i]))
    if xpsr & 0xF80F0000 != post['apsr']:
        problems.append('apsr: unicorn %#010x, qemu %#010x' % (post['apsr'], xpsr & 0xF80F0000))
    if fp:
        s, fpscr = gdb.fp()
        for i in range(32):
            if s[i] != post['s'][i]:
                problems.append('s%d: unicorn %#010x, qemu %#010x' % (i, post['s'][i], s[i]))
        if fpscr != post['fpscr']:
            problems.append('fpscr: unicorn %#010x, qemu %#010x' % (post['fpscr'], fpscr))
    want = bytearray(before)
    for off, data in post['mem']:
        want[off:off + len(data) // 2] = bytes.fromhex(data)
    got = gdb.read_mem(WIN, WIN_SIZE)
    diff = [i for i in range(WIN_SIZE) if got[i] != want[i]]
    if diff:
        problems.append('window differs at %d bytes from +%#x' % (len(diff), diff[0]))
    return problems


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('vectors')
    p.add_argument('--limit', type=int, default=0, help='check only the first N vectors')
    p.add_argument('--show', type=int, default=5, help='disagreements printed per class')
    p.add_argument('--port', type=int, default=23457)
    args = p.parse_args(argv)
    qemu = subprocess.Popen(
        ['qemu-system-arm', '-M', 'mps2-an386', '-S', '-gdb', 'tcp:127.0.0.1:%d' % args.port,
         '-nographic', '-monitor', 'none', '-serial', 'none'],
        stdin=subprocess.DEVNULL)
    per_class, shown = {}, {}
    try:
        gdb = Gdb(args.port)
        install_vectors(gdb)
        with open(args.vectors) as f:
            for n, line in enumerate(f):
                if args.limit and n >= args.limit:
                    break
                v = json.loads(line)
                row = per_class.setdefault(v['cls'], [0, 0])
                row[0] += 1
                problems = check(gdb, v)
                if problems:
                    row[1] += 1
                    if shown.get(v['cls'], 0) < args.show:
                        shown[v['cls']] = shown.get(v['cls'], 0) + 1
                        print('[%s] %s (code %s, pre r=%s apsr=%#x)\n    %s' % (
                            v['cls'], v.get('asm', ''), v['code'],
                            ' '.join('%x' % x for x in v['pre']['r']), v['pre']['apsr'],
                            '\n    '.join(problems)))
    finally:
        qemu.terminate()
        qemu.wait()
    total = sum(r[0] for r in per_class.values())
    bad = sum(r[1] for r in per_class.values())
    for cls, (n, b) in sorted(per_class.items()):
        print('  %-16s %6d %6d' % (cls, n, b))
    print('qemu_crosscheck: %d vectors, %d disagreements' % (total, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
