"""Sequence vectors: K straight-line instructions from one random state, run by Unicorn in one
go, for the block translator (scripts/differential.ts --seq K --jit multi replays them as one
translated block).

A sequence is built one instruction at a time on a live Unicorn engine. Each step draws an
instruction from a random non-branching class with the class's own generator, given the state
the sequence has reached so far. Generators adjust the state to fit their encoding (a base
register into the data window, a shift amount...); here such register adjustments become
fix-up instructions placed before the drawn one (MOVW/MOVT Rd, #value; for SP: MOVW/MOVT into
a scratch register and MOV SP, Rs), so the drawn instruction runs in the state its generator
meant. Any other adjustment (APSR, memory, a PC of its own, a branch) rejects the draw. A draw
is kept when Unicorn runs it (and its fix-ups) cleanly from the current state: every
instruction executed once, no exception, no IT state, data accesses inside the window (reads
also in the sequence's own code), and no known Unicorn bug (unicorn_bugs.py, checked on the
state just before the drawn instruction). FP classes appear in FP sequences only (a fifth of
them), which start with random S0-S31 and FPSCR; an FP generator's own choice of S registers
and FPSCR is ignored (the sequence's values are used).

When K instructions (fix-ups included) stand, the whole sequence is run again from the initial
state in one emu_start, and its final state, which must equal the step-by-step one, is the
vector's post-state. The vector has class 'seq' and steps K, so a replayer that steps
`steps` instructions (the interpreter, single-instruction blocks) replays it unchanged;
`seqClasses` names each instruction's class ('fixup' for the fix-ups), informational.
"""

import json

from unicorn import UcError, UC_HOOK_CODE, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE
from unicorn import arm_const as A
from unicorn.unicorn_const import UC_MEM_READ

from . import t16, dp32, mul32, mem, branch, fp
from .common import APSR_MASK, CODE_LO, M32, Rng, State, WIN, WIN_END, WIN_SIZE, t16 as enc16
from .common import pick_ea, t32, unaligned_ok
from .disasm import disassemble
from .generate import _mem_diff
from .oracle import GPRS, PAD, SREGS, _check_model, _new_engine, load_registers
from .unicorn_bugs import KNOWN_BUGS

# Classes whose instructions may leave the straight line (or whose vectors are several
# instructions with a control flow of their own): never in a sequence.
BRANCHING = {'t16-branch', 't32-branch', 'bx-blx', 'it-block', 'tbb-tbh'}

INT_CLASSES, FP_CLASSES = {}, {}
for _module in (t16, dp32, mul32, mem, branch):
    INT_CLASSES.update({k: v for k, v in _module.CLASSES.items() if k not in BRANCHING})
FP_CLASSES.update(fp.CLASSES)

MAX_SEQ = 60  # instructions: a sequence (4 bytes each at most) stays below the window
FP_SEQUENCES = 0.2


def movw_movt(d, value):
    """MOVW Rd, #lo (and MOVT Rd, #hi unless hi is 0): (code, instruction count)."""
    def mov16(top, imm16):
        hw1 = 0xF240 | top << 7 | (imm16 >> 11 & 1) << 10 | imm16 >> 12
        return t32(hw1, (imm16 >> 8 & 7) << 12 | d << 8 | (imm16 & 0xFF))
    code, n = mov16(0, value & 0xFFFF), 1
    if value >> 16:
        code, n = code + mov16(1, value >> 16), 2
    return code, n


def mov_sp(m):
    """MOV SP, Rm (T1)."""
    return enc16(0x4685 | m << 3)


class Snapshot:
    """The architectural state the sequence has reached: what a generator sees as a State."""

    def __init__(self, r, apsr, mem_bytes, s, fpscr):
        self.r, self.apsr, self.mem, self.s, self.fpscr = r, apsr, mem_bytes, s, fpscr

    def as_state(self, rng, pc):
        st = State.__new__(State)
        st.r = list(self.r) + [pc]
        st.pc = pc
        st.apsr = self.apsr
        st.mem_seed = None
        st.mem = self.mem
        st.mode = 'single'
        st.steps = 1
        st.ninsn = 1
        st.insn_len = None
        st.it_len = None
        st.s = list(self.s) if self.s is not None else None
        st.fpscr = self.fpscr
        return st


class SeqOracle:
    """A Unicorn engine holding a sequence under construction."""

    def __init__(self):
        self.uc = None
        self.model_checked = False
        self.dropped = {}

    def drop(self, why):
        self.dropped[why] = self.dropped.get(why, 0) + 1

    # ---- the engine ----

    def _open(self):
        if not self.model_checked:
            _check_model(_new_engine())
            self.model_checked = True
        uc = _new_engine()
        uc.hook_add(UC_HOOK_CODE, self._on_code)
        uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, self._on_access)
        self.uc = uc
        self.clean = uc.context_save()  # the CPU state of a new engine, for reuse
        self.written = (0, 0)  # code written since (address, length)

    def _on_code(self, uc, addr, size, data):
        self.executed += 1
        if not self.run_lo <= addr < self.run_hi:
            self.outside += 1

    def _on_access(self, uc, access, addr, size, value, data):
        end = addr + size
        if WIN <= addr and end <= WIN_END:
            return
        if access == UC_MEM_READ and self.code_lo <= addr and end <= self.code_hi:
            return  # a literal load from the sequence's own code
        self.bad_access += 1

    def load(self, snap, code_at, code, fresh=False):
        """The engine in state `snap` with `code` at `code_at` (the sequence so far): a new
        engine when `fresh` or after an error, else the current one with its CPU state reset
        and the code it ran cleared (opening an engine costs more than a whole sequence)."""
        if fresh or self.uc is None:
            self._open()
        else:
            self.uc.context_restore(self.clean)
            at, length = self.written
            if length:
                self.uc.mem_write(at, b'\0' * length)
                self.uc.ctl_remove_cache(at, at + length)
            self.written = (0, 0)
        uc = self.uc
        uc.mem_write(WIN, snap.mem)
        if code:
            self._write_code(code_at, code)
        load_registers(uc, snap)

    def _write_code(self, at, code):
        self.uc.mem_write(at, code)
        self.uc.ctl_remove_cache(at, at + len(code))
        lo, length = self.written
        if not length:
            lo = at
        self.written = (min(lo, at), max(lo + length, at + len(code)) - min(lo, at))

    def snapshot(self, fp_on):
        uc = self.uc
        r = [uc.reg_read(reg) & M32 for reg in GPRS]
        apsr = uc.reg_read(A.UC_ARM_REG_APSR) & APSR_MASK
        window = bytes(uc.mem_read(WIN, WIN_SIZE))
        s = [uc.reg_read(reg) & M32 for reg in SREGS] if fp_on else None
        fpscr = uc.reg_read(A.UC_ARM_REG_FPSCR) & M32 if fp_on else 0
        return Snapshot(r, apsr, window, s, fpscr)

    def run(self, at, code, count, code_lo):
        """Runs `count` instructions of `code` (just written at `at`) from the engine's state;
        returns the failure reason or None. Reads may also touch [code_lo, at + len(code))."""
        uc = self.uc
        self._write_code(at, code + PAD)
        self.executed = self.outside = self.bad_access = 0
        self.run_lo, self.run_hi = at, at + len(code)
        self.code_lo, self.code_hi = code_lo, at + len(code)
        until = at + len(code)
        try:
            uc.emu_start(at | 1, until, count=count)
        except UcError as e:
            self.uc = None  # never reused after an error
            return 'error: %s' % e
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        xpsr = uc.reg_read(A.UC_ARM_REG_XPSR)
        if self.outside:
            return 'executed outside the code'
        if self.bad_access:
            return 'data access outside the window'
        if uc.reg_read(A.UC_ARM_REG_IPSR) != 0:
            return 'exception taken'
        if xpsr & 0x0600FC00:
            return 'IT state left over'
        if not xpsr & (1 << 24):
            return 'left Thumb state'
        if pc != until or self.executed != count:
            return 'did not run straight through'
        if uc.reg_read(A.UC_ARM_REG_SP) & 3:
            return 'SP not word aligned'  # unicorn_bugs.py: sp-low-bits
        return None


def _fixups(rng, cur, want):
    """Code setting the registers in which `want` (a generator's State) differs from `cur`:
    (code, instruction count), or None when SP would get a value that is not word aligned."""
    changed = [i for i in range(15) if (want.r[i] & M32) != (cur.r[i] & M32)]
    code, n = b'', 0
    if 13 in changed:
        if want.r[13] & 3:
            return None
        # A scratch register carries SP's value; one the instruction wanted set gets its own
        # value afterwards.
        others = [i for i in changed if i != 13]
        scratch = rng.choice(others) if others else rng.randrange(13)
        c, k = movw_movt(scratch, want.r[13] & M32)
        code, n = code + c + mov_sp(scratch), n + k + 1
        if scratch not in changed:
            want.r[scratch] = want.r[13] & M32  # its value after the fix-up
    for i in changed:
        if i != 13:
            c, k = movw_movt(i, want.r[i] & M32)
            code, n = code + c, n + k
    return code, n


def literal_load(seq_pc):
    """mem.py's ldst-literal picks a PC of its own; in a sequence the PC is given. LDR (literal)
    T1, and LDR/LDRB/LDRH/LDRSB/LDRSH (literal) T2 with U = 1 into the data window or U = 0
    back into the sequence's own code (from seq_pc)."""
    def gen(rng, st):
        name = rng.choice(mem.LOADS)
        s, sz, _ = mem.FORMS32[name]
        size = 1 << sz
        base = (st.pc + 4) & ~3
        t = rng.reg(13, 15)
        if rng.random() < 0.25:  # T1: LDR Rt, [PC, #imm8 * 4], Rt in r0-r7
            if WIN - base > 1020:
                return None
            ea = pick_ea(rng, 4, 4, WIN, min(WIN_END, base + 1024))
            return enc16(0x4800 | rng.lo() << 8 | (ea - base) >> 2)
        if rng.random() < 0.3 and base - 4 >= seq_pc:
            ea = pick_ea(rng, size, 1, seq_pc, base - 4 + size)  # earlier code: back
            u = 0
        else:
            if WIN - base > 4095 - size:
                return None
            ea = pick_ea(rng, size, unaligned_ok(rng, size), WIN, min(WIN_END, base + 4096))
            u = 1
        off = ea - base if u else base - ea
        return t32(0xF81F | s << 8 | u << 7 | sz << 5, t << 12 | off)
    return gen


def build_sequence(oracle, rng, k):
    """One sequence vector (a dict, 'asm' still empty), or None."""
    st0 = State(rng)
    fp_on = rng.random() < FP_SEQUENCES
    if fp_on:
        fp.fp_state(rng, st0)
    # The code, 4 bytes an instruction at most, plus the pad, stays below the window.
    span = WIN - len(PAD) - 4 * k - CODE_LO
    pc = CODE_LO + 2 * rng.randrange(span // 2)
    classes = dict(INT_CLASSES)
    classes['ldst-literal'] = literal_load(pc)
    if fp_on:
        classes.update(FP_CLASSES)
    names = sorted(classes)
    st0.r[15] = pc
    start = Snapshot(list(st0.r[:15]), st0.apsr, st0.mem, st0.s, st0.fpscr)
    oracle.load(start, pc, b'')
    cur = start
    code, seq_classes = b'', []
    attempts = 0
    while len(seq_classes) < k:
        attempts += 1
        if attempts > 200 * k:
            oracle.drop('sequence could not be completed')
            return None
        at = pc + len(code)
        cls = rng.choice(names)
        want = cur.as_state(rng, at)
        piece = classes[cls](rng, want)
        if piece is None:
            continue
        if (want.mode != 'single' or want.pc != at or want.steps != 1
                or (want.insn_len is not None and want.insn_len != len(piece))
                or want.apsr != cur.apsr or want.mem != cur.mem):
            oracle.drop('draw needs more than register fix-ups')
            continue
        fix = _fixups(rng, cur, want)
        if fix is None:
            oracle.drop('draw needs an unaligned SP')
            continue
        fix_code, fix_n = fix
        if len(seq_classes) + fix_n + 1 > k:
            continue  # no room for its fix-ups: draw again
        # The state the drawn instruction runs in: the generator's registers, the sequence's
        # APSR, memory and FP state.
        want.s, want.fpscr = cur.s, cur.fpscr
        ctx = oracle.uc.context_save()
        why = oracle.run(at, fix_code + piece, fix_n + 1, pc)
        after = None
        if why is None:
            after = oracle.snapshot(fp_on)
            if not rng.include_bugs and any(
                    b.affected and b.affected(piece, want, after.apsr) for b in KNOWN_BUGS):
                why = 'unicorn-bug'
        if why is not None:
            oracle.drop(why)
            if oracle.uc is None or why == 'data access outside the window':
                oracle.load(cur, pc, code, fresh=True)  # nothing of the draw survives
            else:
                oracle.uc.context_restore(ctx)
                oracle.uc.mem_write(WIN, cur.mem)
            continue
        code += fix_code + piece
        seq_classes += ['fixup'] * fix_n + [cls]
        cur = after
    # The whole sequence in one run, from the initial state.
    oracle.load(start, pc, b'')
    why = oracle.run(pc, code, k, pc)
    if why is not None:
        oracle.drop('whole run: ' + why)
        return None
    post = oracle.snapshot(fp_on)
    if (post.r, post.apsr, post.mem, post.s, post.fpscr) != (
            cur.r, cur.apsr, cur.mem, cur.s, cur.fpscr):
        oracle.drop('whole run differs from the step-by-step one')
        return None
    v = {'cls': 'seq', 'asm': '', 'code': code.hex(), 'steps': k, 'seqClasses': seq_classes,
         'pre': {'r': list(st0.r), 'apsr': st0.apsr, 'memSeed': st0.mem_seed.hex()},
         'post': {'r': post.r + [pc + len(code)], 'apsr': post.apsr,
                  'mem': _mem_diff(st0.mem, post.mem)}}
    if fp_on:
        v['pre']['s'], v['pre']['fpscr'] = st0.s, st0.fpscr
        v['post']['s'], v['post']['fpscr'] = post.s, post.fpscr
    return v


_oracle = None


def generate_seq_chunk(job):
    """job: ('seq', count, seed string, include_bugs, with_asm, k) -> ('seq', lines, stats)."""
    global _oracle
    cls, count, seed, include_bugs, with_asm, k = job
    if _oracle is None:
        _oracle = SeqOracle()
    oracle = _oracle
    oracle.dropped = {}
    rng = Rng(seed)
    rng.include_bugs = include_bugs
    vectors = []
    attempts = 0
    while len(vectors) < count:
        attempts += 1
        if attempts > 10 * count + 100:
            raise RuntimeError('seq: cannot generate sequences (drops: %s)' % oracle.dropped)
        v = build_sequence(oracle, rng, k)
        if v is not None:
            vectors.append(v)
    if with_asm:
        items = [(v['pre']['r'][15], bytes.fromhex(v['code']), k) for v in vectors]
        for v, text in zip(vectors, disassemble(items)):
            v['asm'] = text
    else:
        for v in vectors:
            del v['asm']
    stats = {'seq dropped: ' + why: n for why, n in oracle.dropped.items()}
    return cls, [json.dumps(v, separators=(',', ':')) for v in vectors], stats
