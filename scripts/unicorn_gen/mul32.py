"""Multiplies, multiply-accumulates (DSP extension included) and divides
(ARMv7-M ARM A5.3.16, A5.3.17)."""

from .common import t32


def _reg(rng):
    return rng.reg(13, 15)


def mul(rng, st):
    # MLA (Ra = 15: MUL) and MLS: 11111011 0000 Rn | Ra Rd 00 op(2) Rm
    op = rng.randrange(2)
    a = 15 if op == 0 and rng.random() < 0.4 else _reg(rng)
    return t32(0xFB00 | _reg(rng), a << 12 | _reg(rng) << 8 | op << 4 | _reg(rng))


# (op1, op2) of 11111011 1 op1(3) Rn | RdLo RdHi op2(4) Rm
LONG_OPS = [(0b000, 0b0000), (0b010, 0b0000), (0b100, 0b0000), (0b110, 0b0000), (0b110, 0b0110)]


def mul_long(rng, st):
    # SMULL UMULL SMLAL UMLAL UMAAL; RdHi == RdLo is UNPREDICTABLE
    op1, op2 = rng.choice(LONG_OPS)
    lo, hi = _reg(rng), _reg(rng)
    if lo == hi:
        return None
    return t32(0xFB80 | op1 << 4 | _reg(rng), lo << 12 | hi << 8 | op2 << 4 | _reg(rng))


def mul_dsp(rng, st):
    n, m = _reg(rng), _reg(rng)
    k = rng.randrange(10)
    if k <= 6:
        # 11111011 0 op1(3) Rn | Ra Rd op2(4) Rm, op1 = 001 SMLA<x><y>, 010 SMLAD(X),
        # 011 SMLAW<y>, 100 SMLSD(X), 101 SMMLA(R), 110 SMMLS(R), 111 USADA8;
        # Ra = 15 selects the non-accumulating form (SMUL<x><y> SMUAD SMULW<y> SMUSD SMMUL USAD8)
        op1 = k + 1
        op2 = {1: rng.randrange(4), 7: 0}.get(op1, rng.randrange(2))
        a = _reg(rng)
        if op1 != 6 and rng.random() < 0.35:
            a = 15
        return t32(0xFB00 | op1 << 4 | n, a << 12 | _reg(rng) << 8 | op2 << 4 | m)
    # 11111011 1 op1(3) Rn | RdLo RdHi op2(4) Rm: SMLAL<x><y> (100, 10xy), SMLALD(X) (100, 110x),
    # SMLSLD(X) (101, 110x)
    lo, hi = _reg(rng), _reg(rng)
    if lo == hi:
        return None
    op1, op2 = [(0b100, 0b1000 | rng.randrange(4)), (0b100, 0b1100 | rng.randrange(2)),
                (0b101, 0b1100 | rng.randrange(2))][k - 7]
    return t32(0xFB80 | op1 << 4 | n, lo << 12 | hi << 8 | op2 << 4 | m)


def div(rng, st):
    # SDIV: 11111011 1001 Rn | 1111 Rd 1111 Rm; UDIV: 11111011 1011 ...
    # Divide by zero (CCR.DIV_0_TRP clear: result 0) and INT_MIN / -1 are made common.
    d, n, m = _reg(rng), _reg(rng), _reg(rng)
    x = rng.random()
    if x < 0.2:
        st.r[m] = 0
    elif x < 0.35 and n != m:
        st.r[n], st.r[m] = 0x80000000, 0xFFFFFFFF
    elif x < 0.5:
        st.r[m] = rng.randint(-20, 20) & 0xFFFFFFFF
    return t32(0xFB90 | rng.randrange(2) << 5 | n, 0xF0F0 | d << 8 | m)


CLASSES = {
    'mul': mul,
    'mul-long': mul_long,
    'mul-dsp': mul_dsp,
    'div': div,
}

IT_SAFE = [mul, mul_long, mul_dsp, div]
