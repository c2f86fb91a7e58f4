"""What Unicorn 2.0.1 (QEMU 5.0 based) gets wrong on the Cortex-M4 model, as the generator
handles it. Without --include-unicorn-bugs none of it is generated: `affected` drops vectors
after Unicorn ran them, `rng.include_bugs` (False) keeps the generators away from the rest.
docs/differential.md has the reasons and the ARM ARM references; f4emu's hand-written tests
cover these cases instead."""

INT32_MIN, INT32_LIMIT = -(1 << 31), 1 << 31
Q_FLAG = 1 << 27


def _s16(x):
    x &= 0xFFFF
    return x - 0x10000 if x & 0x8000 else x


def _s32(x):
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x & 0x80000000 else x


def _smlad_fields(code):
    """(n, m, a, swap) if `code` is SMLAD/SMLADX (11111011 0010 Rn | Ra Rd 000X Rm), else None."""
    if len(code) < 4:
        return None
    hw1 = int.from_bytes(code[0:2], 'little')
    hw2 = int.from_bytes(code[2:4], 'little')
    if hw1 & 0xFFF0 != 0xFB20 or hw2 & 0x00E0 != 0 or hw2 >> 12 == 15:
        return None
    return hw1 & 15, hw2 & 15, hw2 >> 12, (hw2 >> 4) & 1


def _contains_smlad(code):
    i = 0
    while i + 2 <= len(code):
        hw = int.from_bytes(code[i:i + 2], 'little')
        if hw >> 11 in (0x1D, 0x1E, 0x1F):
            if _smlad_fields(code[i:i + 4]):
                return True
            i += 4
        else:
            i += 2
    return False


def smlad_q_affected(code, st, post_apsr):
    """SMLAD(X) sets Q when product1 + product2 overflows 32 bits even though adding Ra brings
    the sum back into range (QEMU adds in two saturating-check steps; the ARM ARM checks the
    whole sum once). The bug can only set Q wrongly: cases with Q set before, or still clear
    after, are unaffected."""
    if st.apsr & Q_FLAG or not post_apsr & Q_FLAG:
        return False
    if st.mode == 'it':
        return _contains_smlad(code)  # the operands inside a block are not known here
    f = _smlad_fields(code)
    if f is None:
        return False
    n, m, a, swap = f
    rn, rm = st.r[n], st.r[m]
    if swap:
        rm = (rm >> 16 | rm << 16) & 0xFFFFFFFF
    p1 = _s16(rn) * _s16(rm)
    p2 = _s16(rn >> 16) * _s16(rm >> 16)
    total = p1 + p2 + _s32(st.r[a])
    return p1 + p2 >= INT32_LIMIT and INT32_MIN <= total < INT32_LIMIT


def vcvt_fixed_affected(code, st, post_apsr):
    """VCVT.F32.{S,U}{16,32} Sd, Sd, #fbits (fixed point to float) rounds in the FPSCR mode;
    AArch32 rounds these to nearest whatever FPSCR.RMode (QEMU 5.2 fixed it). Only inexact
    conversions in a directed mode differ."""
    if len(code) != 4 or st.s is None or (st.fpscr >> 22) & 3 == 0:
        return False
    hw1 = int.from_bytes(code[0:2], 'little')
    hw2 = int.from_bytes(code[2:4], 'little')
    if hw1 & 0xFFBE != 0xEEBA or hw2 & 0x0F50 != 0x0A40:
        return False
    d = (hw2 >> 12) << 1 | (hw1 >> 6) & 1
    size = 32 if hw2 & 0x80 else 16
    x = st.s[d] & ((1 << size) - 1)
    if not hw1 & 1 and x >> (size - 1):
        x = (1 << size) - x  # the magnitude of a negative value
    while x and not x & 1:
        x >>= 1
    return x >= 1 << 24  # more than 24 significant bits: the conversion rounds


class KnownBug:
    def __init__(self, name, summary, affected=None):
        self.name = name
        self.summary = summary
        self.affected = affected  # (code, State, post APSR) -> bool, or None: not generated


KNOWN_BUGS = [
    KnownBug('smlad-q', 'SMLAD/SMLADX set Q when only the intermediate sum of the products '
             'overflows', smlad_q_affected),
    KnownBug('unaligned-multiple', 'LDRD/STRD/LDM/STM/PUSH/POP at an address that is not word '
             'aligned complete instead of raising an UNALIGNED UsageFault'),
    KnownBug('yield', 'YIELD (16 and 32-bit) stops emulation with UC_ERR_INSN_INVALID instead of '
             'executing as a hint (a NOP on the Cortex-M4)'),
    KnownBug('vcvt-fixed-rounding', 'VCVT from fixed point to F32 rounds in the FPSCR mode '
             'instead of always to nearest', vcvt_fixed_affected),
    KnownBug('sp-low-bits', 'writes of a value with bits [1:0] set to SP keep those bits '
             '(Cortex-M4: SP[1:0] are always zero)'),
]
