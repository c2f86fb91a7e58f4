"""Shared pieces of the generators: the random source, the machine state a case starts from,
encoding helpers and the memory layout every vector uses."""

import hashlib
import random
import struct

M32 = 0xFFFFFFFF

RAM_BASE = 0x20000000
RAM_SIZE = 0x20000
WIN = 0x20001000  # the data window: random bytes, compared after every vector
WIN_SIZE = 0x1000
WIN_END = WIN + WIN_SIZE
CODE_LO = RAM_BASE  # default code placement: below the window
CODE_HI = WIN - 0x100
APSR_MASK = 0xF80F0000  # N Z C V Q and GE[3:0]

SPECIAL32 = [
    0, 1, 2, 3, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 0x7FFF, 0x8000,
    0xFFFF, 0x10000, 0xFFFF8000, 0xFFFF7FFF, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF7FFF, 0x80008000,
    0xFFFF0000, 0x7F7F7F7F, 0x80808080, 0x7FFF8000, 0x80007FFF, 0x40000000, 0xC0000000, 31, 32,
    33, 0x1F, 0x20, 0xFFFFFFE0, 0x55555555, 0xAAAAAAAA,
]
SPECIAL16 = [0, 1, 0x7FFF, 0x8000, 0xFFFF, 0x7FFE, 0x8001, 0xFFFE, 0x4000, 0xC000]
SPECIAL8 = [0, 1, 0x7F, 0x80, 0xFF, 0xFE, 0x81, 0x40, 0xC0]


class Rng(random.Random):
    """random.Random plus the value shapes that find arithmetic corner cases. In corner mode
    (a fifth of the states) every value is built from the special values only, so that
    combinations such as two 0x8000 halfwords meeting in a dual multiply come up."""

    corner = False
    include_bugs = False  # generate forms Unicorn gets wrong (unicorn_bugs.py)

    def u32(self):
        if self.corner:
            k = self.random()
            if k < 0.5:
                return self.choice(SPECIAL32)
            if k < 0.75:
                return self.choice(SPECIAL16) << 16 | self.choice(SPECIAL16)
            return int.from_bytes(bytes(self.choice(SPECIAL8) for _ in range(4)), 'little')
        k = self.random()
        if k < 0.40:
            return self.getrandbits(32)
        if k < 0.55:
            return self.choice(SPECIAL32)
        if k < 0.70:
            return self._lane(16, SPECIAL16) << 16 | self._lane(16, SPECIAL16)
        if k < 0.85:
            v = 0
            for _ in range(4):
                v = v << 8 | self._lane(8, SPECIAL8)
            return v
        if k < 0.93:
            return self.randint(-64, 64) & M32
        return ((1 << self.randrange(32)) + self.randint(-1, 1)) & M32

    def _lane(self, bits, specials):
        return self.getrandbits(bits) if self.random() < 0.5 else self.choice(specials)

    def apsr(self):
        return self.getrandbits(5) << 27 | self.getrandbits(4) << 16

    def reg(self, *exclude):
        """A register number 0..15 not in `exclude`."""
        while True:
            r = self.randrange(16)
            if r not in exclude:
                return r

    def lo(self):
        return self.randrange(8)

    def reglist(self, allowed, min_count=1):
        allowed = list(allowed)
        while True:
            regs = [r for r in allowed if self.random() < 0.5]
            if len(regs) >= min_count:
                return sum(1 << r for r in regs)


class State:
    """The machine state a vector starts from; generators adjust it to fit their encoding."""

    def __init__(self, rng):
        rng.corner = rng.random() < 0.2
        self.r = [rng.u32() for _ in range(16)]
        self.r[13] = WIN + 4 * rng.randrange(WIN_SIZE // 4)  # SP: word aligned, in RAM
        self.pc = CODE_LO + 2 * rng.randrange((CODE_HI - CODE_LO) // 2)
        self.apsr = rng.apsr()
        self.mem_seed = rng.getrandbits(64).to_bytes(8, 'little')
        self.mem = window_bytes(self.mem_seed)
        # How the vector runs: 'single' (one instruction), 'branch' (one instruction that may
        # leave the code; an unmapped target is fine) or 'it' (IT + its block).
        self.mode = 'single'
        self.steps = 1
        self.ninsn = 1  # instructions to disassemble (a TBB table after the code is not one)
        self.insn_len = None  # bytes of the single instruction (default: all of the code)
        self.it_len = None  # bytes of IT + block
        # FP state (fp.py): 32 raw single-precision registers and FPSCR; None for integer classes
        self.s = None
        self.fpscr = 0

    def word(self, addr):
        off = addr - WIN
        return struct.unpack_from('<I', self.mem, off)[0]


def window_bytes(seed):
    """The window's initial contents: SHAKE128 of the 8-byte seed (the replayer does the same)."""
    return hashlib.shake_128(seed).digest(WIN_SIZE)


def t16(hw):
    return struct.pack('<H', hw & 0xFFFF)


def t32(hw1, hw2):
    return struct.pack('<HH', hw1 & 0xFFFF, hw2 & 0xFFFF)


def pick_ea(rng, size=4, align=1, lo=WIN, hi=WIN_END):
    """An effective address in [lo, hi) such that size bytes fit, with the given alignment."""
    first = (lo + align - 1) // align
    last = (hi - size) // align
    return rng.randint(first, last) * align


def unaligned_ok(rng, size):
    """Alignment for a single load/store: mostly natural, sometimes deliberately not."""
    return 1 if rng.random() < 0.25 else size


def modinv32(a):
    return pow(a, -1, 1 << 32)
