"""The "asm" text of vectors: one arm-none-eabi-objdump run per batch (a process per vector
would dominate the generation time). Informational only: the replayer never reads it."""

import os
import re
import shutil
import subprocess
import tempfile

OBJDUMP = shutil.which('arm-none-eabi-objdump')
LINE = re.compile(r'^\s*([0-9a-f]+):\s+((?:[0-9a-f]{4} ?){1,2})\s+(.*)$')
BRANCH = re.compile(r'^(b|bl|cbz|cbnz)(eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)?(\.[nw])?$')
MSR_MASKS = {'CPSR_f': 'APSR_nzcvq', 'CPSR_s': 'APSR_g', 'CPSR_fs': 'APSR_nzcvqg'}
NOP = b'\x00\xbf'


def available():
    return OBJDUMP is not None


def disassemble(items):
    """items: (pc, code, ninsn) triples. Returns one text per item ('' without objdump)."""
    if not items or OBJDUMP is None:
        return [''] * len(items)
    blob = bytearray()
    starts = []
    for pc, code, _ in items:
        while len(blob) % 4 != pc % 4:
            blob += NOP
        starts.append(len(blob))
        # A TBB table's bytes may decode as a 32-bit prefix or as an IT: enough NOPs to leave
        # any block before the next item starts.
        blob += code + NOP * 6
    fd, path = tempfile.mkstemp(suffix='.bin')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(blob)
        out = subprocess.run(
            [OBJDUMP, '-D', '-b', 'binary', '-m', 'armv7e-m', '-M', 'force-thumb', path],
            check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(path)
    lines = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            lines[int(m.group(1), 16)] = (len(m.group(2).split()) * 2, m.group(3))
    texts = []
    for (pc, code, ninsn), start in zip(items, starts):
        parts, off = [], start
        for _ in range(ninsn):
            entry = lines.get(off)
            if entry is None:
                break
            size, text = entry
            literal = _literal_load(blob[off:off + 4]) if size == 4 else None
            parts.append(literal or _tidy(text, pc + off - start, off))
            off += size
        texts.append('; '.join(parts))
    return texts


LITERAL_NAMES = {(0, 0): 'ldrb', (0, 1): 'ldrh', (0, 2): 'ldr', (1, 0): 'ldrsb', (1, 1): 'ldrsh'}


def _literal_load(code):
    """Rn = PC makes a 32-bit single load the literal form whatever hw2 holds; objdump decodes
    some U = 0 ones as LDRT/LDRBT... (ARMv7-M ARM A5.3.7-A5.3.9 test Rn == 1111 first)."""
    hw1 = int.from_bytes(code[0:2], 'little')
    hw2 = int.from_bytes(code[2:4], 'little')
    if hw1 & 0xFE1F != 0xF81F:
        return None
    name = LITERAL_NAMES.get(((hw1 >> 8) & 1, (hw1 >> 5) & 3))
    if name is None or hw2 >> 12 == 15 and name != 'ldr':
        return None  # PLD/PLI (literal) and friends: objdump names them right
    sign = '' if hw1 & 0x80 else '-'
    return '%s.w r%d, [pc, #%s%d]' % (name, hw2 >> 12, sign, hw2 & 0xFFF)


def _tidy(text, real_addr, blob_addr):
    text = text.split('@')[0].split('<')[0].strip()
    fields = text.split(None, 1)
    if not fields:
        return text
    mnem, ops = fields[0], fields[1] if len(fields) > 1 else ''
    if BRANCH.match(mnem):
        # objdump prints the target as an address in the blob; show the real one
        m = re.search(r'(?:0x)?([0-9a-f]+)\s*$', ops)
        if m:
            target = int(m.group(1), 16) - blob_addr + real_addr
            ops = ops[:m.start()] + '0x%08x' % (target & 0xFFFFFFFF)
    if mnem == 'msr':
        for k, v in MSR_MASKS.items():
            ops = re.sub(r'\b%s\b' % k, v, ops)
    return (mnem + ' ' + ' '.join(ops.split())).strip()
