"""16-bit Thumb data processing (ARMv7-M ARM A5.2): every generator returns the encoded bytes
or None (skip: the random draw hit an UNPREDICTABLE or otherwise unwanted form).

`it` is True when the instruction goes inside an IT block: the flag-setting 16-bit forms then
do not set flags, and forms that are UNPREDICTABLE inside a block are avoided.
"""

from .common import t16


def shift_imm(rng, st, it=False):
    # LSL/LSR/ASR (immediate) T1: 000 op(2) imm5 Rm Rd
    op, imm5 = rng.randrange(3), rng.randrange(32)
    if op == 0 and imm5 == 0 and it:
        return None  # MOVS Rd, Rm (T2) inside an IT block is UNPREDICTABLE
    return t16(op << 11 | imm5 << 6 | rng.lo() << 3 | rng.lo())


def add_sub(rng, st, it=False):
    # ADD/SUB (register) T1 and (immediate) T1: 0001 1 I op Rm/imm3 Rn Rd
    return t16(0x1800 | rng.randrange(4) << 9 | rng.lo() << 6 | rng.lo() << 3 | rng.lo())


def imm8(rng, st, it=False):
    # MOV/CMP/ADD/SUB (immediate): 001 op Rdn imm8
    return t16(0x2000 | rng.randrange(4) << 11 | rng.lo() << 8 | rng.getrandbits(8))


def alu(rng, st, it=False):
    # Data processing: 010000 op(4) Rm Rdn (AND EOR LSL LSR ASR ADC SBC ROR TST RSB CMP CMN ORR
    # MUL BIC MVN). Register-shift amounts: make the interesting ones (0, 31, 32, 33, >255) common.
    op, rm, rdn = rng.randrange(16), rng.lo(), rng.lo()
    if op in (2, 3, 4, 7) and rng.random() < 0.5 and rm != rdn:
        st.r[rm] = (rng.getrandbits(24) << 8) | rng.choice([0, 1, 31, 32, 33, 64, 255, rng.randrange(256)])
    return t16(0x4000 | op << 6 | rm << 3 | rdn)


def hireg(rng, st, it=False):
    # ADD/CMP/MOV (register) with high registers: 010001 op(2) D Rm(4) Rdn(3)
    op = rng.randrange(3)
    d, m = rng.randrange(16), rng.randrange(16)
    if op == 1:  # CMP: at least one high register, neither is PC
        if (d < 8 and m < 8) or d == 15 or m == 15:
            return None
    else:
        if d == 15:
            if it:
                return None  # allowed only as the last instruction of a block
            if op == 0 and m == 15:
                return None  # ADD PC, PC is UNPREDICTABLE
            st.mode = 'branch'
        if d == 13:
            # SP must stay word aligned (bits [1:0] of SP are SBZP on ARMv7-M). Inside a block
            # an earlier instruction may have changed Rm, so no SP writes there at all.
            if m == 15 or it:
                return None
            if m != 13 and not rng.include_bugs:  # unicorn_bugs.py: sp-low-bits
                st.r[m] &= ~3
    return t16(0x4400 | op << 8 | (d >> 3) << 7 | m << 3 | (d & 7))


def adr_sp(rng, st, it=False):
    k = rng.randrange(4)
    if k == 0:  # ADR T1: 10100 Rd imm8
        return t16(0xA000 | rng.lo() << 8 | rng.getrandbits(8))
    if k == 1:  # ADD Rd, SP, #imm8<<2 (T1): 10101 Rd imm8
        return t16(0xA800 | rng.lo() << 8 | rng.getrandbits(8))
    # ADD/SUB SP, SP, #imm7<<2 (T2 / T1): 1011 0000 op imm7
    return t16(0xB000 | (k - 2) << 7 | rng.getrandbits(7))


def extend(rng, st, it=False):
    # SXTH SXTB UXTH UXTB (T1): 1011 0010 op(2) Rm Rd
    return t16(0xB200 | rng.randrange(4) << 6 | rng.lo() << 3 | rng.lo())


def rev(rng, st, it=False):
    # REV REV16 REVSH (T1): 1011 1010 op(2) Rm Rd; op = 10 is undefined
    return t16(0xBA00 | rng.choice([0, 1, 3]) << 6 | rng.lo() << 3 | rng.lo())


def branch(rng, st, it=False):
    """B<c> T1, B T2, CBZ/CBNZ (never inside an IT block: see branch.py for those)."""
    st.mode = 'branch'
    k = rng.randrange(3)
    if k == 0:  # B<c> T1: 1101 cond imm8 (cond 1110 is UDF, 1111 is SVC)
        return t16(0xD000 | rng.randrange(14) << 8 | rng.getrandbits(8))
    if k == 1:  # B T2: 11100 imm11
        return t16(0xE000 | rng.getrandbits(11))
    # CBZ/CBNZ: 1011 op 0 i 1 imm5 Rn; Rn is zero half of the time
    rn = rng.lo()
    if rng.random() < 0.5:
        st.r[rn] = 0
    return t16(0xB100 | rng.randrange(2) << 11 | rng.randrange(2) << 9 | rng.getrandbits(5) << 3 | rn)


CLASSES = {
    't16-shift-imm': shift_imm,
    't16-add-sub': add_sub,
    't16-imm8': imm8,
    't16-alu': alu,
    't16-hireg': hireg,
    't16-adr-sp': adr_sp,
    't16-extend': extend,
    't16-rev': rev,
    't16-branch': branch,
}

# Generators that only touch registers and flags: usable inside an IT block.
IT_SAFE = [shift_imm, add_sub, imm8, alu, hireg, extend, rev]
