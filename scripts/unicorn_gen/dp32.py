"""32-bit Thumb-2 data processing (ARMv7-M ARM A5.3.1-A5.3.3, A5.3.12-A5.3.18).

Register constraints follow the UNPREDICTABLE clauses of each encoding: a generator returns
None for a draw it cannot use and the driver draws again.
"""

from .common import t32


def _reg(rng):
    return rng.reg(13, 15)


def thumb_expand_imm(imm12):
    """ThumbExpandImm (without carry); None for the UNPREDICTABLE forms."""
    if imm12 >> 10 == 0:
        kind, b = (imm12 >> 8) & 3, imm12 & 0xFF
        if kind != 0 and b == 0:
            return None
        return [b, b << 16 | b, b << 24 | b << 8, b * 0x01010101][kind]
    unrot = 0x80 | (imm12 & 0x7F)
    rot = imm12 >> 7
    return ((unrot >> rot) | (unrot << (32 - rot))) & 0xFFFFFFFF


def rand_imm12(rng):
    if rng.random() < 0.4:  # the replicated-byte patterns
        return rng.randrange(4) << 8 | rng.getrandbits(8)
    return rng.randrange(8, 32) << 7 | rng.getrandbits(7)  # rotated forms, every rotation


# op: (name, test form when Rd == 15 && S, Rn == 15 form, SP form allowed with Rn == 13)
MODIMM_OPS = {
    0b0000: ('AND', 'TST', None, False), 0b0001: ('BIC', None, None, False),
    0b0010: ('ORR', None, 'MOV', False), 0b0011: ('ORN', None, 'MVN', False),
    0b0100: ('EOR', 'TEQ', None, False), 0b1000: ('ADD', 'CMN', None, True),
    0b1010: ('ADC', None, None, False), 0b1011: ('SBC', None, None, False),
    0b1101: ('SUB', 'CMP', None, True), 0b1110: ('RSB', None, None, False),
}


def _dp_regs(rng, op_info, s, sp_result_ok):
    """Rd, Rn for the modified-immediate and shifted-register tables; None if unusable."""
    name, test, rn15, sp_form = op_info
    d, n = rng.randrange(16), rng.randrange(16)
    if test and rng.random() < 0.2:
        d, s = 15, 1
    if d == 15:
        if not (test and s):
            return None
        # TST/TEQ: Rn not SP/PC; CMN/CMP: Rn not PC
        if n == 15 or (n == 13 and not sp_form):
            return None
        return d, n, s
    if n == 15 and not rn15:
        return None
    if n == 13 and not sp_form:
        return None
    if d == 13 and not (sp_form and n == 13 and sp_result_ok):
        return None
    return d, n, s


def dp_modimm(rng, st):
    op = rng.choice(list(MODIMM_OPS))
    imm12 = rand_imm12(rng)
    value = thumb_expand_imm(imm12)
    if value is None:
        return None
    regs = _dp_regs(rng, MODIMM_OPS[op], rng.randrange(2), value % 4 == 0)
    if regs is None:
        return None
    d, n, s = regs
    hw1 = 0xF000 | (imm12 >> 11) << 10 | op << 5 | s << 4 | n
    hw2 = ((imm12 >> 8) & 7) << 12 | d << 8 | (imm12 & 0xFF)
    return t32(hw1, hw2)


def dp_plainimm(rng, st):
    k = rng.randrange(12)
    if k <= 3:  # ADDW, SUBW (Rn = PC: ADR T3/T2; Rn = SP: ADD/SUB SP), MOVW, MOVT
        op = [0b00000, 0b01010, 0b00100, 0b01100][k]
        imm12 = rng.getrandbits(12)
        n = rng.randrange(16)
        d = _reg(rng)
        if k <= 1 and n == 13 and rng.random() < 0.2 and imm12 % 4 == 0:
            d = 13  # ADDW/SUBW SP, SP, #imm keeps SP word aligned
        hw1 = 0xF200 | (imm12 >> 11) << 10 | op << 4 | n
        return t32(hw1, ((imm12 >> 8) & 7) << 12 | d << 8 | (imm12 & 0xFF))
    d, n = _reg(rng), _reg(rng)
    if k <= 7:  # SSAT, USAT (LSL or ASR), SSAT16, USAT16
        unsigned, sh = k >= 6, k % 2
        shift = rng.randrange(1, 32) if sh else rng.randrange(32)
        if k in (5, 7) and rng.random() < 0.3:
            shift = 0  # sh = 1 with a zero amount: SSAT16 / USAT16
        op = (0b11000 if unsigned else 0b10000) | sh << 1
        sat = rng.randrange(32)
        if sh and shift == 0:
            sat &= 15  # sat_imm is 4 bits in the 16-bit forms
        hw2 = (shift >> 2) << 12 | d << 8 | (shift & 3) << 6 | sat
        return t32(0xF300 | (op & 0xF) << 4 | n, hw2)
    lsb = rng.randrange(32)
    if k <= 9:  # SBFX, UBFX: lsb + widthminus1 <= 31
        op = 0b10100 if k == 8 else 0b11100
        field = rng.randrange(32 - lsb)
    else:  # BFI (BFC when Rn == 15): msb >= lsb
        op = 0b10110
        field = rng.randrange(lsb, 32)
        if k == 11:
            n = 15
    hw2 = (lsb >> 2) << 12 | d << 8 | (lsb & 3) << 6 | field
    return t32(0xF300 | (op & 0xF) << 4 | n, hw2)


SHREG_OPS = dict(MODIMM_OPS)
SHREG_OPS[0b0110] = ('PKH', None, None, False)


def dp_shifted_reg(rng, st):
    op = rng.choice(list(SHREG_OPS))
    s = rng.randrange(2)
    typ, imm5 = rng.randrange(4), rng.randrange(32)
    if rng.random() < 0.15:
        imm5 = 0  # LSR/ASR #32, RRX
    m = _reg(rng)
    if op == 0b0110:  # PKHBT/PKHTB: S = 0, shift type LSL (BT) or ASR (TB)
        d, n, s, typ = _reg(rng), _reg(rng), 0, rng.choice([0, 2])
    else:
        regs = _dp_regs(rng, SHREG_OPS[op], s, False)
        if regs is None:
            return None
        d, n, s = regs
    hw1 = 0xEA00 | op << 5 | s << 4 | n
    hw2 = (imm5 >> 2) << 12 | d << 8 | (imm5 & 3) << 6 | typ << 4 | m
    return t32(hw1, hw2)


def shift_amount(rng):
    """A register value whose bottom byte is a shift amount worth testing."""
    return rng.getrandbits(24) << 8 | rng.choice([0, 1, 2, 31, 32, 33, 63, 64, 255, rng.randrange(256)])


def dp_reg_shift(rng, st):
    # LSL/LSR/ASR/ROR (register) T2: 11111010 0 type(2) S Rn | 1111 Rd 0000 Rm
    d, n, m = _reg(rng), _reg(rng), _reg(rng)
    if rng.random() < 0.7 and m != n:
        st.r[m] = shift_amount(rng)
    return t32(0xFA00 | rng.randrange(4) << 5 | rng.randrange(2) << 4 | n, 0xF000 | d << 8 | m)


def extend(rng, st):
    # SXTAH UXTAH SXTAB16 UXTAB16 SXTAB UXTAB (Rn = 15: SXTH ... UXTB, 32-bit):
    # 11111010 0 op(3) Rn | 1111 Rd 1 (0) rot(2) Rm
    n = 15 if rng.random() < 0.4 else _reg(rng)
    hw1 = 0xFA00 | rng.randrange(6) << 4 | n
    return t32(hw1, 0xF080 | _reg(rng) << 8 | rng.randrange(4) << 4 | _reg(rng))


PARALLEL_OPS = [0b001, 0b010, 0b110, 0b101, 0b000, 0b100]  # ADD16 ASX SAX SUB16 ADD8 SUB8
PARALLEL_PREFIXES = [0b000, 0b001, 0b010, 0b100, 0b101, 0b110]  # S Q SH U UQ UH


def parallel(rng, st):
    # 11111010 1 op1(3) Rn | 1111 Rd 0 op2(3) Rm
    hw1 = 0xFA80 | rng.choice(PARALLEL_OPS) << 4 | _reg(rng)
    return t32(hw1, 0xF000 | _reg(rng) << 8 | rng.choice(PARALLEL_PREFIXES) << 4 | _reg(rng))


def sat_arith(rng, st):
    # QADD QDADD QSUB QDSUB: 11111010 1000 Rn | 1111 Rd 10 op(2) Rm
    return t32(0xFA80 | _reg(rng), 0xF080 | _reg(rng) << 8 | rng.randrange(4) << 4 | _reg(rng))


def misc(rng, st):
    d, m = _reg(rng), _reg(rng)
    k = rng.randrange(6)
    if k < 4:  # REV REV16 RBIT REVSH (.W): 11111010 1001 Rm | 1111 Rd 10 op Rm
        return t32(0xFA90 | m, 0xF080 | d << 8 | k << 4 | m)
    if k == 4:  # CLZ: 11111010 1011 Rm | 1111 Rd 1000 Rm
        if rng.random() < 0.5:
            st.r[m] >>= rng.randrange(32)
        return t32(0xFAB0 | m, 0xF080 | d << 8 | m)
    # SEL: 11111010 1010 Rn | 1111 Rd 1000 Rm (GE flags are random in every state)
    return t32(0xFAA0 | _reg(rng), 0xF080 | d << 8 | m)


CLASSES = {
    'dp-modimm': dp_modimm,
    'dp-plainimm': dp_plainimm,
    'dp-shifted-reg': dp_shifted_reg,
    'dp-reg-shift': dp_reg_shift,
    'extend': extend,
    'parallel': parallel,
    'sat-arith': sat_arith,
    'misc': misc,
}

IT_SAFE = [dp_modimm, dp_shifted_reg, dp_reg_shift, extend, parallel, sat_arith, misc]
