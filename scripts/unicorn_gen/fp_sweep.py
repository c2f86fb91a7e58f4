"""A sweep of the FP corner cases through Unicorn: every pair of fp.FP_SPECIAL values (53 x 53)
in every rounding mode, with FZ and DN on and off (AHP random), for the main arithmetic,
compare and conversion instructions (unary ones: every value). Writes differential vectors.

    /usr/bin/python3 scripts/unicorn_gen/fp_sweep.py vadd,vsub,vmul,vdiv out.jsonl
    npm run differential -- --vectors out.jsonl

Operations: vadd vsub vmul vdiv vmla vfma vfnma vcmpe vsqrt vcvt.s32 vcvtr.u32 vcvtb.f16.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from unicorn_gen.common import State, Rng  # noqa: E402
from unicorn_gen.oracle import Oracle  # noqa: E402
from unicorn_gen.fp import FP_SPECIAL, _dp, _other  # noqa: E402
from unicorn_gen.generate import _mem_diff  # noqa: E402

# S0 = S1 op S2 (VCMPE: S1 with S2; unary forms: S0 = op S1)
OPS = {
    'vadd': lambda: _dp(3, 0, 0, 1, 2), 'vsub': lambda: _dp(3, 1, 0, 1, 2),
    'vmul': lambda: _dp(2, 0, 0, 1, 2), 'vdiv': lambda: _dp(4, 0, 0, 1, 2),
    'vmla': lambda: _dp(0, 0, 0, 1, 2), 'vfma': lambda: _dp(6, 0, 0, 1, 2),
    'vfnma': lambda: _dp(5, 1, 0, 1, 2),
    'vcmpe': lambda: _other(4, 1, 1, 2), 'vsqrt': lambda: _other(1, 1, 0, 1),
    'vcvt.s32': lambda: _other(13, 1, 0, 1), 'vcvtr.u32': lambda: _other(12, 0, 0, 1),
    'vcvtb.f16': lambda: _other(3, 0, 0, 1),
}
UNARY = ('vsqrt', 'vcvt.s32', 'vcvtr.u32', 'vcvtb.f16')


def main(which, path):
    rng = Rng('sweep')
    oracle = Oracle()
    n = 0
    with open(path, 'w') as out:
        for name in which:
            code = OPS[name]()
            for a in FP_SPECIAL:
                for b in [0] if name in UNARY else FP_SPECIAL:
                    for mode in range(4):
                        for fz_dn in range(4):
                            n += _case(rng, oracle, out, name, code, a, b, mode << 22 | fz_dn << 24)
    print('fp_sweep: %d vectors' % n, file=sys.stderr)


def _case(rng, oracle, out, name, code, a, b, fpscr):
    st = State(rng)
    st.pc = st.r[15] = 0x20000100
    st.insn_len = 4
    st.s = [rng.getrandbits(32) for _ in range(32)]
    st.s[0] = rng.choice(FP_SPECIAL)
    st.s[1], st.s[2] = a, b
    st.fpscr = fpscr | rng.getrandbits(1) << 26  # AHP
    pre_r = list(st.r)
    post = oracle.run(st, code)
    if post is None:
        return 0
    regs, apsr, window = post
    v = {'cls': 'sweep-' + name, 'code': code.hex(),
         'pre': {'r': pre_r, 'apsr': st.apsr, 'memSeed': st.mem_seed.hex(), 's': st.s,
                 'fpscr': st.fpscr},
         'post': {'r': regs, 'apsr': apsr, 'mem': _mem_diff(st.mem, window),
                  's': oracle.fp_post[0], 'fpscr': oracle.fp_post[1]}}
    out.write(json.dumps(v, separators=(',', ':')) + '\n')
    return 1


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1].split(','), sys.argv[2])
