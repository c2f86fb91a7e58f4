"""Branches, IT blocks, MRS/MSR, hints (ARMv7-M ARM A5.2.5, A5.3.4, A5.3.7, B5.2).

A branch vector is one instruction; Unicorn stops after it (count = 1), and a target outside
its memory is fine: the fetch fault comes after the branch completed. An IT vector is the IT
instruction plus its whole block, run to the end of the block (Unicorn does not count skipped
instructions of a block, so its instruction count cannot stop it)."""

from .common import RAM_BASE, RAM_SIZE, t16, t32
from . import t16 as T16, dp32, mul32


def _split_offset(off, bits):
    """The halfword offset as a `bits`-bit two's complement field (S is its top bit)."""
    return (off >> 1) & ((1 << bits) - 1)


def b_t3(cond, off):
    v = _split_offset(off, 20)  # S J2 J1 imm6 imm11
    s, j2, j1 = v >> 19 & 1, v >> 18 & 1, v >> 17 & 1
    return t32(0xF000 | s << 10 | cond << 6 | (v >> 11 & 0x3F), 0x8000 | j1 << 13 | j2 << 11 | (v & 0x7FF))


def b_t4(off, link):
    v = _split_offset(off, 24)  # S I1 I2 imm10 imm11, J = NOT(I XOR S)
    s, i1, i2 = v >> 23 & 1, v >> 22 & 1, v >> 21 & 1
    j1, j2 = (1 - (i1 ^ s)), (1 - (i2 ^ s))
    hw2 = (0xD000 if link else 0x9000) | j1 << 13 | j2 << 11 | (v & 0x7FF)
    return t32(0xF000 | s << 10 | (v >> 11 & 0x3FF), hw2)


def _offset(rng, bits):
    """A branch offset of `bits` bits (even), spread over every magnitude."""
    width = rng.randint(1, bits - 2)
    v = rng.getrandbits(width) << 1
    return v if rng.random() < 0.5 else -v


def t32_branch(rng, st):
    st.mode = 'branch'
    k = rng.randrange(3)
    if k == 0:  # B<c>.W T3: cond 0..13, offset +/- 1 MB
        return b_t3(rng.randrange(14), _offset(rng, 21))
    return b_t4(_offset(rng, 25), k == 2)  # B.W T4 / BL: +/- 16 MB


def _thumb_target(rng):
    """A Thumb branch target (odd), anywhere below the system region."""
    if rng.random() < 0.3:
        return RAM_BASE + rng.randrange(RAM_SIZE) | 1
    return rng.randrange(0xE0000000) | 1


def bx_blx(rng, st):
    # BX Rm: 010001110 Rm 000; BLX Rm: 010001111 Rm 000 (Rm = 15 UNPREDICTABLE for BLX, an ARM
    # state target for BX; Rm = 13 is word aligned, so a branch out of Thumb state)
    st.mode = 'branch'
    m = rng.reg(13, 15)
    st.r[m] = _thumb_target(rng)
    return t16(0x4700 | rng.randrange(2) << 7 | m << 3)


# ---- IT blocks -------------------------------------------------------------------------------

def _it_body(rng, st):
    """One instruction for inside a block: a 16-bit or 32-bit register/flag operation."""
    for _ in range(100):
        if rng.random() < 0.5:
            code = rng.choice(T16.IT_SAFE)(rng, st, True)
        else:
            code = rng.choice(dp32.IT_SAFE + mul32.IT_SAFE)(rng, st)
        if code is not None:
            return code
    raise RuntimeError('no IT body instruction')


def _it_branch(rng, st, block_start, end_offset):
    """The last instruction of a block may branch; its target is outside Unicorn's memory, so the
    run stops at the branch when the condition passes and at the block's end when it fails."""
    k = rng.randrange(4)
    here = block_start + end_offset
    if k == 0:  # B T2 (unconditional encoding, conditional through the block): +/- 2 KB
        low = -2048
        high = RAM_BASE - (here + 4) - 2
        if high < low:
            return None
        off = rng.randrange(low, high + 1, 2)
        return t16(0xE000 | (off >> 1) & 0x7FF)
    if k == 1:  # B.W T4 / BL, far below the RAM
        off = -(here + 4 - RAM_BASE) - rng.randrange(2, 1 << 23, 2)
        return b_t4(off, rng.randrange(2))
    # BX / BLX Rm with Rm outside the RAM (if a block instruction rewrites Rm, the target may
    # land in RAM: the oracle then sees instructions outside the block and drops the case)
    m = rng.reg(13, 15)
    target = _thumb_target(rng)
    while RAM_BASE <= target < RAM_BASE + RAM_SIZE:
        target = _thumb_target(rng)
    st.r[m] = target
    return t16(0x4700 | (k - 2) << 7 | m << 3)


def it_block(rng, st):
    firstcond = rng.randrange(15)  # 1111 is UNPREDICTABLE
    count = rng.randint(1, 4)
    thens = [1] + [1 if firstcond == 14 else rng.randrange(2) for _ in range(count - 1)]
    mask = 1 << (4 - count)  # the terminating 1
    for i, then in enumerate(thens[1:]):
        bit = (firstcond & 1) if then else (~firstcond & 1)
        mask |= bit << (3 - i)
    st.pc = RAM_BASE + 2 * rng.randrange(0x80)  # near the bottom of RAM: see _it_branch
    body = [_it_body(rng, st) for _ in range(count)]
    if rng.random() < 0.3:
        offset = 2 + sum(len(c) for c in body[:-1])
        last = _it_branch(rng, st, st.pc, offset)
        if last is None:
            return None
        body[-1] = last
    code = t16(0xBF00 | firstcond << 4 | mask) + b''.join(body)
    st.mode = 'it'
    st.steps = st.ninsn = 1 + count
    st.it_len = len(code)
    return code


# ---- MRS / MSR -------------------------------------------------------------------------------

MRS_SYSM = [0, 1, 2, 3, 5, 6, 7, 8, 16, 17, 18, 19, 20]  # xPSR views, MSP, PRIMASK ... CONTROL


def msr_mrs(rng, st):
    if rng.random() < 0.5:
        # MRS Rd, <spec_reg>: 11110011 1110 1111 | 1000 Rd SYSm
        return t32(0xF3EF, 0x8000 | rng.reg(13, 15) << 8 | rng.choice(MRS_SYSM))
    # MSR <APSR view>_<nzcvq|g|nzcvqg>, Rn: 11110011 1000 Rn | 1000 mask(2) 00 SYSm; mask 00 is
    # UNPREDICTABLE, and only the APSR views (SYSm 0..3) take a mask other than 10
    n = rng.reg(13, 15)
    st.r[n] = rng.u32()
    return t32(0xF380 | n, 0x8000 | rng.randint(1, 3) << 10 | rng.randrange(4))


# ---- hints, barriers, preloads ---------------------------------------------------------------

def hints(rng, st):
    """No architectural effect beyond PC: NOP SEV (16/32-bit), DMB DSB ISB CLREX, PLD PLI
    in every addressing form (a preload never faults and never reads the address)."""
    k = rng.randrange(6)
    ops = [0, 1, 4] if rng.include_bugs else [0, 4]  # unicorn_bugs.py: yield
    if k == 0:  # NOP YIELD SEV (T1): 1011 1111 op 0000; WFE/WFI would sleep
        return t16(0xBF00 | rng.choice(ops) << 4)
    if k == 1:  # NOP.W YIELD.W SEV.W: 11110011 1010 1111 | 10 0 0 0 000 op
        return t32(0xF3AF, 0x8000 | rng.choice(ops))
    if k == 2:  # CLREX DSB DMB ISB: 11110011 1011 1111 | 10 0 0 1111 op(4) option(4)
        op = rng.choice([2, 4, 5, 6])
        return t32(0xF3BF, 0x8F00 | op << 4 | (15 if op == 2 else rng.randrange(16)))
    s = rng.randrange(2) << 8  # PLD (S = 0) / PLI (S = 1)
    n = rng.reg(15)
    if k == 3:  # [Rn, #imm12]: 1111100 S 1 00 1 Rn | 1111 imm12
        return t32(0xF890 | s | n, 0xF000 | rng.getrandbits(12))
    if k == 4:  # [Rn, #-imm8]: 1111100 S 0 00 1 Rn | 1111 1100 imm8; [Rn, Rm, LSL #n]: ... 0000 0 imm2 Rm
        if rng.random() < 0.5:
            return t32(0xF810 | s | n, 0xFC00 | rng.getrandbits(8))
        return t32(0xF810 | s | n, 0xF000 | rng.randrange(4) << 4 | rng.reg(13, 15))
    # literal: 1111100 S U 00 1 1111 | 1111 imm12
    return t32(0xF81F | s | rng.randrange(2) << 7, 0xF000 | rng.getrandbits(12))


CLASSES = {
    't32-branch': t32_branch,
    'bx-blx': bx_blx,
    'it-block': it_block,
    'msr-mrs': msr_mrs,
    'hints': hints,
}
