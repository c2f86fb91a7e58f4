"""FPv4-SP instructions (ARMv7-M ARM A6): data processing in every rounding mode with FZ, DN and
AHP on and off, conversions, transfers, loads and stores. Operands are biased to the IEEE 754
corner cases: signed zeros, subnormals, infinities, quiet and signalling NaNs with payloads,
the largest and smallest normals, values next to 1.0 and halfway-rounding patterns.

A generator sets st.s (32 raw single-precision registers) and st.fpscr; the oracle then writes
and reads the FP state too, and the vector carries pre/post "s" and "fpscr"."""

import math
import struct

from .common import t32, pick_ea, WIN, WIN_SIZE

FP_SPECIAL = [
    0x00000000, 0x80000000,  # +-0
    0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00400000, 0x00000003,  # subnormals
    0x00800000, 0x80800000, 0x00800001, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F7FFFFE,  # extreme normals
    0x7F800000, 0xFF800000,  # infinities
    0x7FC00000, 0xFFC00000, 0x7FC00001, 0x7FFFFFFF, 0xFFE12345,  # quiet NaNs
    0x7F800001, 0xFF800001, 0x7FBFFFFF, 0x7FA00000,  # signalling NaNs
    0x3F800000, 0xBF800000, 0x3F800001, 0x3F7FFFFF, 0x40000000, 0x3F000000, 0x3FC00000,
    0x4B000000, 0x4B000001, 0x4AFFFFFF, 0x4F000000, 0xCF000000, 0x4F800000, 0x4EFFFFFF,
    0x3EAAAAAB, 0x33800000, 0x34000000, 0x0C800000, 0x1F800000, 0x5F800000, 0x47800000,
    0x477FE000, 0x477FF000, 0x38800000, 0x387FC000, 0x33000000, 0x337FFFFF, 0x3F800800,
]


def fp_value(rng):
    """A raw binary32 value, biased to the corner cases."""
    k = rng.random()
    if k < 0.35:
        return rng.choice(FP_SPECIAL)
    if k < 0.5:
        return rng.getrandbits(32)
    if k < 0.6:  # a subnormal
        return rng.getrandbits(1) << 31 | rng.getrandbits(23)
    if k < 0.7:  # a special value nudged by a few ulps
        return (rng.choice(FP_SPECIAL) + rng.randint(-3, 3)) & 0xFFFFFFFF
    if k < 0.8:  # a small exactly representable integer or half-integer
        return struct.unpack('<I', struct.pack('<f', rng.randint(-70000, 70000) / rng.choice(
            [1, 2, 4, 1024])))[0]
    # a normal value of moderate exponent with a short or long mantissa
    exp = rng.randint(100, 155) if rng.random() < 0.7 else rng.randint(1, 254)
    man = rng.getrandbits(23) if rng.random() < 0.6 else rng.getrandbits(4) << 19 | (
        rng.getrandbits(1) << rng.randrange(19))
    return rng.getrandbits(1) << 31 | exp << 23 | man


def fp_state(rng, st, related=True):
    """S registers and FPSCR. With `related`, some registers are near copies of others so that
    operations meet cancellation, equal operands and exact halfway cases."""
    st.s = [fp_value(rng) for _ in range(32)]
    if related:
        for i in range(32):
            if rng.random() < 0.15:
                j = rng.randrange(32)
                st.s[i] = (st.s[j] ^ (rng.getrandbits(1) << 31)) + rng.choice([0, 0, 1, -1, 2])
                st.s[i] &= 0xFFFFFFFF
    fpscr = rng.getrandbits(2) << 22  # RMode
    if rng.random() < 0.4:
        fpscr |= 1 << 24  # FZ
    if rng.random() < 0.3:
        fpscr |= 1 << 25  # DN
    if rng.random() < 0.2:
        fpscr |= 1 << 26  # AHP
    fpscr |= rng.getrandbits(4) << 28
    if rng.random() < 0.3:
        fpscr |= rng.getrandbits(8) & 0x9F
    st.fpscr = fpscr


def _sreg(s):
    """Vx:X split of an S register: (Vx, X)."""
    return s >> 1, s & 1


def _dp(opc1, opc3, d, n, m):
    vd, D = _sreg(d)
    vn, N = _sreg(n)
    vm, M = _sreg(m)
    return t32(0xEE00 | (opc1 >> 2) << 7 | D << 6 | (opc1 & 3) << 4 | vn,
               vd << 12 | 0xA00 | N << 7 | opc3 << 6 | M << 5 | vm)


def _other(opc2, op, d, m):
    vd, D = _sreg(d)
    vm, M = _sreg(m)
    return t32(0xEEB0 | D << 6 | opc2, vd << 12 | 0xA40 | op << 7 | M << 5 | vm)


def _three(rng, st, ops):
    fp_state(rng, st)
    opc1, opc3 = rng.choice(ops)
    return _dp(opc1, opc3, rng.randrange(32), rng.randrange(32), rng.randrange(32))


def fp_add(rng, st):
    return _three(rng, st, [(3, 0), (3, 1)])  # VADD VSUB


def fp_mul(rng, st):
    return _three(rng, st, [(2, 0), (2, 1)])  # VMUL VNMUL


def fp_div(rng, st):
    return _three(rng, st, [(4, 0)])


def fp_mla(rng, st):
    return _three(rng, st, [(0, 0), (0, 1), (1, 0), (1, 1)])  # VMLA VMLS VNMLS VNMLA


def _short(rng):
    """A binary32 value with an odd 13-bit significand: the product of two has 25 or 26 bits,
    often exactly halfway between two binary32 values."""
    return rng.getrandbits(1) << 31 | rng.randint(110, 140) << 23 | (
        rng.getrandbits(11) << 1 | 1) << 11


def fp_fma(rng, st):
    # VFMA VFMS VFNMS VFNMA
    code = _three(rng, st, [(6, 0), (6, 1), (5, 0), (5, 1)])
    if rng.random() < 0.3:
        # Products near a halfway point plus a tiny addend, or a near-cancelling one: where a
        # double rounding (float64 then binary32) would go wrong.
        hw2 = code[2] | code[3] << 8
        hw1 = code[0] | code[1] << 8
        d = (hw2 >> 12) << 1 | (hw1 >> 6) & 1
        n = (hw1 & 15) << 1 | (hw2 >> 7) & 1
        m = (hw2 & 15) << 1 | (hw2 >> 5) & 1
        if len({d, n, m}) == 3:
            a, b = _short(rng), _short(rng)
            st.s[n], st.s[m] = a, b
            pa = struct.unpack('<f', struct.pack('<I', a))[0]
            pb = struct.unpack('<f', struct.pack('<I', b))[0]
            p = pa * pb
            if rng.random() < 0.5:
                e = max(-149, int(abs(p) and math.frexp(p)[1]) - rng.randint(30, 60))
                st.s[d] = rng.getrandbits(1) << 31 | (max(1, e + 127) << 23 if e > -127 else 1)
            else:
                st.s[d] = (struct.unpack('<I', struct.pack('<f', -p))[0] + rng.randint(-2, 2)) \
                    & 0xFFFFFFFF
    return code


def fp_sqrt(rng, st):
    fp_state(rng, st)
    return _other(1, 1, rng.randrange(32), rng.randrange(32))


def fp_misc(rng, st):
    # VMOV (register), VABS, VNEG, VMOV (immediate)
    fp_state(rng, st)
    k = rng.randrange(4)
    d, m = rng.randrange(32), rng.randrange(32)
    if k < 3:
        return _other([0, 0, 1][k], [0, 1, 0][k], d, m)
    imm8 = rng.getrandbits(8)
    vd, D = _sreg(d)
    return t32(0xEEB0 | D << 6 | imm8 >> 4, vd << 12 | 0xA00 | (imm8 & 15))


def fp_cmp(rng, st):
    fp_state(rng, st)
    e = rng.randrange(2)
    if rng.random() < 0.25:
        return _other(5, e, rng.randrange(32), 0)  # VCMP{E} Sd, #0.0
    return _other(4, e, rng.randrange(32), rng.randrange(32))


def fp_cvt_int(rng, st):
    # VCVT{R}.{S,U}32.F32, VCVT.F32.{S,U}32
    fp_state(rng, st)
    d, m = rng.randrange(32), rng.randrange(32)
    k = rng.randrange(6)
    if k < 2:
        if rng.random() < 0.5:
            st.s[m] = rng.u32()  # an integer operand
        return _other(8, k, d, m)
    return _other(12 + (k - 2) // 2, (k - 2) % 2, d, m)


def fp_cvt_fixed(rng, st):
    fp_state(rng, st)
    d = rng.randrange(32)
    to_fixed, unsigned = rng.randrange(2), rng.randrange(2)
    size = rng.choice([16, 32])
    fbits = rng.randint(0, size) if size == 16 else rng.randint(1, 32)
    if not to_fixed and rng.random() < 0.5:
        st.s[d] = rng.u32()
    imm5 = size - fbits
    vd, D = _sreg(d)
    opc2 = 0b1010 | to_fixed << 2 | unsigned
    return t32(0xEEB0 | D << 6 | opc2,
               vd << 12 | 0xA40 | (size == 32) << 7 | (imm5 & 1) << 5 | imm5 >> 1)


HALF_SPECIAL = [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, 0xFC00, 0x7C01, 0x7E00,
                0x7DFF, 0xFE01, 0x3C00, 0xBC00, 0x3555, 0x7FFF]


def fp_cvt_half(rng, st):
    fp_state(rng, st)
    d, m = rng.randrange(32), rng.randrange(32)
    op, t = rng.randrange(2), rng.randrange(2)
    if op == 0 and rng.random() < 0.6:
        st.s[m] = rng.choice(HALF_SPECIAL) << 16 | rng.choice(HALF_SPECIAL)
    return _other(2 + op, t, d, m)


def _core(rng):
    return rng.reg(13, 15)


def fp_mov_core(rng, st):
    """VMOV between core and FP registers (single, pair, D, scalar), VMRS, VMSR."""
    fp_state(rng, st)
    k = rng.randrange(7)
    t = _core(rng)
    if k == 0:  # VMOV Sn <-> Rt
        vn, N = _sreg(rng.randrange(32))
        return t32(0xEE00 | rng.randrange(2) << 4 | vn, t << 12 | 0xA10 | N << 7)
    if k in (1, 2):  # two core registers <-> Sm, Sm+1 or Dm
        to_core = rng.randrange(2)
        t2 = _core(rng)
        if to_core and t == t2:
            return None
        if k == 1:
            vm, M = _sreg(rng.randrange(31))
            return t32(0xEC40 | to_core << 4 | t2, t << 12 | 0xA10 | M << 5 | vm)
        return t32(0xEC40 | to_core << 4 | t2, t << 12 | 0xB10 | rng.randrange(16))
    if k == 3:  # VMOV.32 Dd[x], Rt / Rt, Dn[x]
        return t32(0xEE00 | rng.randrange(2) << 5 | rng.randrange(2) << 4 | rng.randrange(16),
                   t << 12 | 0xB10)
    if k == 4 or k == 5:  # VMRS Rt / APSR_nzcv
        return t32(0xEEF1, (15 if k == 5 else t) << 12 | 0xA10)
    if rng.random() < 0.5:
        st.r[t] = rng.getrandbits(32)
    return t32(0xEEE1, t << 12 | 0xA10)  # VMSR


def fp_ldst(rng, st):
    """VLDR/VSTR, S and D, positive and negative offsets (base in the window)."""
    fp_state(rng, st, related=False)
    load, double = rng.randrange(2), rng.randrange(2)
    n = _core(rng)
    size = 8 if double else 4
    ea = pick_ea(rng, size, 4)
    off = rng.randint(0, 255) * 4
    if rng.random() < 0.5:
        off = -off
    base = ea - off
    if not WIN - 0x400 <= base < WIN + WIN_SIZE + 0x400:
        return None
    st.r[n] = base
    u = 1 if off >= 0 else 0
    d = rng.randrange(16 if double else 32)
    vd, D = (d & 15, d >> 4) if double else _sreg(d)
    return t32(0xED00 | u << 7 | D << 6 | load << 4 | n,
               vd << 12 | (0xB00 if double else 0xA00) | abs(off) >> 2)


def fp_ldm(rng, st):
    """VLDM/VSTM IA, IA!, DB! over S or D lists; VPUSH/VPOP (SP as the base)."""
    fp_state(rng, st, related=False)
    load, double = rng.randrange(2), rng.randrange(2)
    mode = rng.randrange(3)  # 0 IA, 1 IA!, 2 DB!
    n = 13 if rng.random() < 0.3 else _core(rng)
    if double:
        first = rng.randrange(16)
        count = rng.randint(1, 16 - first)
        words = 2 * count
        vd, D = first & 15, first >> 4
        imm8 = 2 * count
    else:
        first = rng.randrange(32)
        count = rng.randint(1, 32 - first)
        words = count
        vd, D = _sreg(first)
        imm8 = count
    lo = pick_ea(rng, 4 * words, 4)
    st.r[n] = lo + 4 * words if mode == 2 else lo
    p, u, w = [(0, 1, 0), (0, 1, 1), (1, 0, 1)][mode]
    return t32(0xEC00 | p << 8 | u << 7 | D << 6 | w << 5 | load << 4 | n,
               vd << 12 | (0xB00 if double else 0xA00) | imm8)


CLASSES = {
    'fp-add': fp_add,
    'fp-mul': fp_mul,
    'fp-div': fp_div,
    'fp-mla': fp_mla,
    'fp-fma': fp_fma,
    'fp-sqrt': fp_sqrt,
    'fp-misc': fp_misc,
    'fp-cmp': fp_cmp,
    'fp-cvt-int': fp_cvt_int,
    'fp-cvt-fixed': fp_cvt_fixed,
    'fp-cvt-half': fp_cvt_half,
    'fp-mov-core': fp_mov_core,
    'fp-ldst': fp_ldst,
    'fp-ldm': fp_ldm,
}
