"""One chunk of vectors of one class: draw a state and an encoding, run Unicorn, keep the case
if Unicorn ran it cleanly, and serialise it as a JSON line (format: docs/differential.md)."""

import json

from . import t16, dp32, mul32, mem, branch, fp
from .common import Rng, State, WIN_SIZE
from .disasm import disassemble
from .oracle import Oracle
from .unicorn_bugs import KNOWN_BUGS

CLASSES = {}
for _module in (t16, dp32, mul32, mem, branch, fp):
    CLASSES.update(_module.CLASSES)

_oracle = None


def _mem_diff(before, after):
    """Changed bytes as [offset, hex] runs."""
    if before == after:
        return []
    runs = []
    for block in range(0, WIN_SIZE, 64):
        if before[block:block + 64] == after[block:block + 64]:
            continue
        for off in range(block, block + 64):
            if before[off] != after[off]:
                if runs and runs[-1][0] + len(runs[-1][1]) == off:
                    runs[-1][1].append(after[off])
                else:
                    runs.append([off, bytearray([after[off]])])
    return [[off, bytes(b).hex()] for off, b in runs]


def generate_chunk(job):
    """job: (cls, count, seed string, include_bugs, with_asm) -> (cls, lines, stats)."""
    global _oracle
    cls, count, seed, include_bugs, with_asm = job
    if _oracle is None:
        _oracle = Oracle()
    oracle = _oracle
    oracle.dropped = {}
    gen = CLASSES[cls]
    rng = Rng(seed)
    rng.include_bugs = include_bugs
    stats = {'skipped': 0, 'unicorn-bug': 0}
    vectors, items = [], []
    attempts = 0
    while len(vectors) < count:
        attempts += 1
        if attempts > 100 * count + 1000:
            raise RuntimeError('%s: cannot generate vectors (drops: %s)' % (cls, oracle.dropped))
        st = State(rng)
        code = gen(rng, st)
        if code is None:
            stats['skipped'] += 1
            continue
        if st.insn_len is None:
            st.insn_len = len(code)
        st.r[15] = st.pc
        pre_r = list(st.r)
        post = oracle.run(st, code)
        if post is None:
            continue
        regs, apsr, window = post
        if not include_bugs and any(b.affected and b.affected(code, st, apsr) for b in KNOWN_BUGS):
            stats['unicorn-bug'] += 1
            continue
        v = {'cls': cls, 'asm': '', 'code': code.hex()}
        if st.steps != 1:
            v['steps'] = st.steps
        v['pre'] = {'r': pre_r, 'apsr': st.apsr, 'memSeed': st.mem_seed.hex()}
        v['post'] = {'r': regs, 'apsr': apsr, 'mem': _mem_diff(st.mem, window)}
        if st.s is not None:
            v['pre']['s'], v['pre']['fpscr'] = st.s, st.fpscr
            v['post']['s'], v['post']['fpscr'] = oracle.fp_post
        vectors.append(v)
        items.append((st.pc, code, st.ninsn))
    if with_asm:
        for v, text in zip(vectors, disassemble(items)):
            v['asm'] = text
    else:
        for v in vectors:
            del v['asm']
    stats.update({'dropped: ' + k: n for k, n in oracle.dropped.items()})
    lines = [json.dumps(v, separators=(',', ':')) for v in vectors]
    return cls, lines, stats
