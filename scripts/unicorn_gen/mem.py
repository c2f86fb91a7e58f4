"""Loads and stores (ARMv7-M ARM A5.2.4, A5.3.5-A5.3.10). Base and index registers are set so
that every access (including writeback and the words of a multiple transfer) stays in the data
window. Multiple, doubleword and table accesses are word aligned (halfword for TBH): ARMv7-M
faults on unaligned LDRD/STRD/LDM/STM, which Unicorn does not model (docs/differential.md).
Single loads and stores are sometimes unaligned: CCR.UNALIGN_TRP is clear on both sides."""

from .common import M32, WIN, WIN_END, CODE_LO, t16, t32, pick_ea, unaligned_ok, modinv32

# (load, size, signed) of the 32-bit single-register forms, keyed by (S, sz, L) of hw1
FORMS32 = {
    'STRB': (0, 0, 0), 'STRH': (0, 1, 0), 'STR': (0, 2, 0),
    'LDRB': (0, 0, 1), 'LDRH': (0, 1, 1), 'LDR': (0, 2, 1),
    'LDRSB': (1, 0, 1), 'LDRSH': (1, 1, 1),
}
LOADS = [k for k in FORMS32 if k.startswith('LDR')]


def _size(name):
    return {0: 1, 1: 2, 2: 4}[FORMS32[name][1]]


def _rt(rng, name):
    """Rt for a single load/store: SP and PC only where the form allows them."""
    if name == 'LDR':
        return rng.reg(13, 15) if rng.random() < 0.93 else 15  # LDR PC is a branch
    if name == 'STR':
        return rng.reg(15)
    return rng.reg(13, 15)


def _pc_ea(rng, st, lo, hi):
    """A word-aligned address in [lo, hi) holding an odd word (a Thumb target for LDR PC)."""
    for _ in range(32):
        ea = pick_ea(rng, 4, 4, lo, hi)
        if st.word(ea) & 1:
            st.mode = 'branch'
            return ea
    return None


def _ea(rng, st, t, name, lo=WIN, hi=WIN_END):
    if t == 15:
        return _pc_ea(rng, st, lo, hi)
    size = _size(name)
    return pick_ea(rng, size, unaligned_ok(rng, size), lo, hi)


def ldst16(rng, st):
    k = rng.randrange(5)
    t, n = rng.lo(), rng.lo()
    if k == 0:  # register offset: 0101 op(3) Rm Rn Rt
        op = rng.randrange(8)
        size = [4, 2, 1, 1, 4, 2, 1, 2][op]
        m = rng.lo()
        ea = pick_ea(rng, size, unaligned_ok(rng, size))
        _set_index_base(rng, st, n, m, 0, ea)
        return t16(0x5000 | op << 9 | m << 6 | n << 3 | t)
    if k == 1:  # SP relative: 1001 L Rt imm8 (offset imm8 * 4, SP word aligned)
        imm8 = rng.getrandbits(8)
        ea = pick_ea(rng, 4, 4, max(WIN, WIN + imm8 * 4), WIN_END)
        st.r[13] = ea - imm8 * 4
        return t16(0x9000 | rng.randrange(2) << 11 | t << 8 | imm8)
    # immediate offset: word 0110 L imm5 Rn Rt, byte 0111 ..., halfword 1000 ...
    size = [4, 1, 2][k - 2]
    imm5 = rng.getrandbits(5)
    off = imm5 * size
    ea = pick_ea(rng, size, unaligned_ok(rng, size))
    st.r[n] = (ea - off) & M32
    hw = [0x6000, 0x7000, 0x8000][k - 2]
    return t16(hw | rng.randrange(2) << 11 | imm5 << 6 | n << 3 | t)


def _set_index_base(rng, st, n, m, shift, ea):
    """Rn + (Rm << shift) == ea, with Rm anything (wrap-around included)."""
    if n == m:
        if shift == 0:  # 2 * Rn == ea: an even address, either of the two halves
            st.r[n] = (ea >> 1) | rng.randrange(2) << 31 if ea % 2 == 0 else (ea - 1) >> 1
        else:
            st.r[n] = ea * modinv32(1 + (1 << shift)) & M32
        return
    st.r[m] = rng.u32() if rng.random() < 0.3 else rng.randrange(-64, 256) & M32
    st.r[n] = (ea - (st.r[m] << shift)) & M32


def _hw1(name, n, imm12_form):
    s, sz, load = FORMS32[name]
    return 0xF800 | s << 8 | imm12_form << 7 | sz << 5 | load << 4 | n


def ldst32_imm12(rng, st):
    # STR/LDR{B,H,SB,SH} Rt, [Rn, #imm12]: 1111100 S 1 sz L Rn | Rt imm12
    name = rng.choice(list(FORMS32))
    t, n = _rt(rng, name), rng.reg(15)
    imm12 = rng.getrandbits(12)
    ea = _ea(rng, st, t, name)
    if ea is None:
        return None
    st.r[n] = (ea - imm12) & M32
    if n == 13 and st.r[n] % 4:
        return None  # SP stays word aligned
    return t32(_hw1(name, n, 1), t << 12 | imm12)


def ldst32_imm8(rng, st):
    # 1111100 S 0 sz L Rn | Rt 1 P U W imm8: negative offset, pre-indexed and post-indexed
    name = rng.choice(list(FORMS32))
    t, n = _rt(rng, name), rng.reg(15)
    p, u, w = rng.choice([(1, 0, 0), (1, 0, 1), (1, 1, 1), (0, 0, 1), (0, 1, 1)])
    if w and n == t:
        return None
    imm8 = rng.getrandbits(8)
    off = imm8 if u else -imm8
    off_access = off if p else 0  # post-indexed: the access is at Rn
    ea = _ea(rng, st, t, name)
    if ea is None:
        return None
    st.r[n] = (ea - off_access) & M32
    if n == 13 and (st.r[n] % 4 or (w and off % 4)):
        return None
    return t32(_hw1(name, n, 0), t << 12 | 0x800 | p << 10 | u << 9 | w << 8 | imm8)


def ldst32_reg(rng, st):
    # 1111100 S 0 sz L Rn | Rt 0 00000 imm2 Rm: [Rn, Rm, LSL #imm2]
    name = rng.choice(list(FORMS32))
    t, n, m = _rt(rng, name), rng.reg(15), rng.reg(13, 15)
    shift = rng.randrange(4)
    ea = _ea(rng, st, t, name)
    if ea is None:
        return None
    if n == 13:
        if m == 13:
            return None
        st.r[m] = rng.randrange(-64, 64) & M32
        st.r[13] = (ea - (st.r[m] << shift)) & M32
        if st.r[13] % 4:
            return None
    else:
        _set_index_base(rng, st, n, m, shift, ea)
        if (st.r[n] + (st.r[m] << shift)) & M32 != ea:
            return None
    return t32(_hw1(name, n, 0), t << 12 | shift << 4 | m)


def ldst_unpriv(rng, st):
    # LDRT STRT LDRBT STRBT LDRHT STRHT LDRSBT LDRSHT: 1111100 S 0 sz L Rn | Rt 1110 imm8
    # (privileged Thread mode without an MPU: they behave as the plain forms)
    name = rng.choice(list(FORMS32))
    t, n = rng.reg(13, 15), rng.reg(15)
    imm8 = rng.getrandbits(8)
    size = _size(name)
    ea = pick_ea(rng, size, unaligned_ok(rng, size))
    st.r[n] = (ea - imm8) & M32
    if n == 13 and st.r[n] % 4:
        return None
    return t32(_hw1(name, n, 0), t << 12 | 0xE00 | imm8)


def ldst_literal(rng, st):
    """LDR (literal) T1 and LDR/LDRB/LDRH/LDRSB/LDRSH (literal) T2 with U = 1 and 0. The code
    is placed so that Align(PC, 4) +/- imm reaches into the window."""
    if rng.random() < 0.25:  # 16-bit: 01001 Rt imm8, address Align(PC,4) + imm8*4
        st.pc = 0x20000C04 + 2 * rng.randrange((WIN - 0x20000C04) // 2)
        base = (st.pc + 4) & ~3
        imm8 = rng.randint((WIN - base) // 4, 255)
        return t16(0x4800 | rng.lo() << 8 | imm8)
    name = rng.choice(LOADS)
    t = _rt(rng, name)
    s, sz, _ = FORMS32[name]
    u = rng.randrange(2)
    if u:  # code below the window, reaching up into it
        st.pc = CODE_LO + 2 * rng.randrange((WIN - 4 - CODE_LO) // 2)
    else:  # code above the window, reaching down into it
        st.pc = WIN_END + 2 * rng.randrange(0x7F0)
    base = (st.pc + 4) & ~3
    lo, hi = (max(WIN, base), min(WIN_END, base + 4096)) if u else \
        (max(WIN, base - 4095), min(WIN_END, base + 4))
    if hi - lo < 4:
        return None
    ea = _ea(rng, st, t, name, lo, hi)
    if ea is None:
        return None
    imm12 = ea - base if u else base - ea
    if not 0 <= imm12 < 4096:
        return None
    return t32(0xF81F | s << 8 | u << 7 | sz << 5, t << 12 | imm12)


def _multiple_align(rng):
    """Word alignment, or (unicorn_bugs.py: unaligned-multiple) any alignment half the time."""
    return 1 if rng.include_bugs and rng.random() < 0.5 else 4


def ldrd_strd(rng, st):
    # LDRD/STRD Rt, Rt2, [Rn, #+/-imm8*4]{!} and post-indexed: 1110100 P U 1 W L Rn | Rt Rt2 imm8
    load = rng.randrange(2)
    t, t2 = rng.reg(13, 15), rng.reg(13, 15)
    if load and t == t2:
        return None
    p, w = rng.choice([(1, 0), (1, 1), (0, 1)])
    u, imm8 = rng.randrange(2), rng.getrandbits(8)
    n = rng.reg(15)
    if load and rng.random() < 0.15:
        n, p, w = 15, 1, 0  # LDRD (literal)
    if w and n in (t, t2):
        return None
    off = imm8 * 4 if u else -imm8 * 4
    ea = pick_ea(rng, 8, _multiple_align(rng))
    if n == 15:
        st.pc = (ea - off - 4) & ~3 | rng.randrange(2) * 2
        if not (CODE_LO <= st.pc < WIN - 4 or WIN_END <= st.pc < WIN_END + 0x1000):
            return None
        ea = ((st.pc + 4) & ~3) + off
    else:
        st.r[n] = (ea - (off if p else 0)) & M32
    return t32(0xE840 | p << 8 | u << 7 | w << 5 | load << 4 | n, t << 12 | t2 << 8 | imm8)


def _multiple(rng, st, n, regs, before, load):
    """Places Rn (or SP) so the transfer's words are in the window; a PC in a load's list
    gets an odd word. Returns False when no placement was found."""
    count = bin(regs).count('1')
    for _ in range(32):
        lo = pick_ea(rng, 4 * count, _multiple_align(rng))
        st.r[n] = lo + 4 * count if before else lo
        if not (load and regs & 0x8000):
            return True
        if st.word(lo + 4 * count - 4) & 1:
            st.mode = 'branch'
            return True
    return False


def ldm_stm(rng, st):
    k = rng.randrange(3)
    if k == 0:  # 16-bit STMIA Rn!, {list} / LDMIA Rn{!}, {list}: 1100 L Rn list
        load, n = rng.randrange(2), rng.lo()
        regs = rng.reglist(range(8))
        if not load and regs & (1 << n) and regs & ((1 << n) - 1):
            return None  # Rn in the list and not its lowest register: UNKNOWN value stored
        if not _multiple(rng, st, n, regs, False, load):
            return None
        return t16(0xC000 | load << 11 | n << 8 | regs)
    # 32-bit LDM/STM IA/DB: 1110100 op(2) 0 W L Rn | P M (0) list
    load, before, w = rng.randrange(2), k == 2, rng.randrange(2)
    n = rng.reg(15)
    allowed = list(range(13)) + [14] + ([15] if load else [])
    regs = rng.reglist(allowed, 2)
    if load and regs & 0xC000 == 0xC000:
        return None  # PC and LR both: UNPREDICTABLE
    if w and regs & (1 << n):
        return None
    if not _multiple(rng, st, n, regs, before, load):
        return None
    hw1 = 0xE800 | (2 if before else 1) << 7 | w << 5 | load << 4 | n
    return t32(hw1, regs)


def push_pop(rng, st):
    k = rng.randrange(2)
    pop = rng.randrange(2)
    if k == 0:  # PUSH 1011 010 M list, POP 1011 110 P list
        extra = rng.randrange(2)
        regs = rng.reglist(range(8), 0 if extra else 1) | extra << (15 if pop else 14)
        hw = 0xBC00 if pop else 0xB400
        code = t16(hw | extra << 8 | (regs & 0xFF))
    else:  # PUSH.W = STMDB SP!, POP.W = LDMIA SP!
        regs = rng.reglist(list(range(13)) + [14] + ([15] if pop else []), 2)
        if pop and regs & 0xC000 == 0xC000:
            return None
        code = t32(0xE8BD if pop else 0xE92D, regs)
    if not _multiple(rng, st, 13, regs, not pop, pop):
        return None
    return code


def tbb_tbh(rng, st):
    # TBB [Rn, Rm] / TBH [Rn, Rm, LSL #1]: 11101000 1101 Rn | 1111 0000 000 H Rm
    h = rng.randrange(2)
    m = rng.reg(13, 15)
    if rng.random() < 0.3:  # Rn = PC: the table follows the instruction
        entries = rng.randint(1, 8)
        st.r[m] = rng.randrange(entries)
        table = bytes(rng.getrandbits(8) for _ in range(entries * (2 if h else 1)))
        if len(table) % 2:
            table += b'\0'
        st.insn_len = 4
        st.mode = 'branch'
        return t32(0xE8DF, 0xF000 | h << 4 | m) + table
    n = rng.reg(13, 15)
    ea = pick_ea(rng, 2 if h else 1, unaligned_ok(rng, 2) if h else 1)
    shift = h
    if n == m:
        st.r[n] = ea * modinv32(1 + (1 << shift)) & M32 if shift else ea >> 1
        if (st.r[n] + (st.r[n] << shift)) & M32 != ea:
            return None
    else:
        st.r[m] = rng.randrange(0, 2048) if rng.random() < 0.7 else rng.u32()
        st.r[n] = (ea - (st.r[m] << shift)) & M32
    st.mode = 'branch'
    return t32(0xE8D0 | n, 0xF000 | h << 4 | m)


CLASSES = {
    'ldst16': ldst16,
    'ldst32-imm12': ldst32_imm12,
    'ldst32-imm8': ldst32_imm8,
    'ldst32-reg': ldst32_reg,
    'ldst-unpriv': ldst_unpriv,
    'ldst-literal': ldst_literal,
    'ldrd-strd': ldrd_strd,
    'ldm-stm': ldm_stm,
    'push-pop': push_pop,
    'tbb-tbh': tbb_tbh,
}
