"""Unicorn as the oracle: run one case, return the state after it, or None to drop the case.

Unicorn 2.0.1 (Debian's python3-unicorn) ignores ctl_set_cpu_model when the engine is opened
with UC_MODE_MCLASS: it always builds a Cortex-M33 (ARMv8-M Mainline, where e.g. TT decodes).
Opened with plain UC_MODE_THUMB, the model is honoured and the Cortex-M4 model makes an
M-profile CPU (xPSR layout, v7-M decoding, DSP extension). See docs/differential.md.
"""

from unicorn import Uc, UcError, UC_ARCH_ARM, UC_MODE_THUMB, UC_HOOK_CODE
from unicorn import UC_ERR_FETCH_UNMAPPED, UC_ERR_EXCEPTION
from unicorn import arm_const as A

from .common import M32, RAM_BASE, RAM_SIZE, WIN, WIN_SIZE, APSR_MASK

GPRS = [getattr(A, 'UC_ARM_REG_R%d' % i) for i in range(13)] + [
    A.UC_ARM_REG_SP, A.UC_ARM_REG_LR]
SREGS = [A.UC_ARM_REG_S0 + i for i in range(32)]
PAD = b'\xfe\xde' * 4  # UDF #254 after the code: running past the end raises, never succeeds
IT_COUNT_LIMIT = 16


def load_registers(uc, st):
    """Loads a state's R0-R15, APSR (ITSTATE cleared) and, for FP states, S0-S31 and FPSCR."""
    for reg, value in zip(GPRS, st.r):
        uc.reg_write(reg, value)
    uc.reg_write(A.UC_ARM_REG_XPSR, 1 << 24)  # clears IT state left by an earlier case
    uc.reg_write(A.UC_ARM_REG_XPSR_NZCVQG, st.apsr)
    if uc.reg_read(A.UC_ARM_REG_APSR) & APSR_MASK != st.apsr:
        raise RuntimeError('unicorn did not take the APSR value %#x' % st.apsr)
    if st.s is not None:
        # An FP instruction run with CONTROL.FPCA = 0 (and FPCCR.ASPEN set, as at reset)
        # creates a new FP context, FPSCR = FPDSCR (ExecuteFPCheck): FP cases run with an
        # active context, FPCA = 1, cleared again afterwards for the integer classes.
        uc.reg_write(A.UC_ARM_REG_CONTROL, uc.reg_read(A.UC_ARM_REG_CONTROL) | 4)
        for reg, value in zip(SREGS, st.s):
            uc.reg_write(reg, value)
        uc.reg_write(A.UC_ARM_REG_FPSCR, st.fpscr)
        if uc.reg_read(A.UC_ARM_REG_FPSCR) != st.fpscr:
            raise RuntimeError('unicorn did not take the FPSCR value %#x' % st.fpscr)


def _new_engine():
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM_CORTEX_M4)
    uc.mem_map(RAM_BASE, RAM_SIZE)
    return uc


def _check_model(uc):
    """The engine must be a Cortex-M4: M profile (xPSR with T at bit 24), the DSP extension
    (SEL decodes) and no ARMv8-M (TT is undefined)."""
    def runs(code):
        uc.mem_write(RAM_BASE, code)
        try:
            uc.emu_start(RAM_BASE | 1, RAM_BASE + len(code), count=1)
            return True
        except UcError:
            return False
    sel, tt = bytes.fromhex('a1fa82f0'), bytes.fromhex('41e800f0')  # sel r0,r1,r2; tt r0,r1
    if not runs(sel) or runs(tt) or not uc.reg_read(A.UC_ARM_REG_XPSR) & (1 << 24):
        raise RuntimeError('Unicorn did not build a Cortex-M4 (ctl_set_cpu_model ignored?)')


def _execute_never(addr):
    """The default memory map's XN regions (peripheral, device, system)."""
    return 0x40000000 <= addr < 0x60000000 or addr >= 0xA0000000


def _fetch_fault(err, pc):
    """After a branch out of Unicorn's memory, the fetch at the target fails: unmapped memory
    raises UC_ERR_FETCH_UNMAPPED, an execute-never region a MemManage fault that Unicorn stops
    at (UC_ERR_EXCEPTION, IPSR still 0). The branch itself completed in both cases."""
    if err.errno == UC_ERR_FETCH_UNMAPPED:
        return True
    return err.errno == UC_ERR_EXCEPTION and _execute_never(pc)


class Oracle:
    def __init__(self):
        self.uc = None
        self.executed = self.outside = 0
        self.code_lo = self.code_hi = 0
        self.last_code = (0, 0)
        self.dropped = {}
        self.model_checked = False
        self.fp_post = None  # (s, fpscr) after the last successful FP case

    def _open(self):
        if not self.model_checked:
            _check_model(_new_engine())  # on an engine of its own: the check ends in an error
            self.model_checked = True
        uc = _new_engine()
        uc.hook_add(UC_HOOK_CODE, self._count)
        self.uc = uc
        self.last_code = (0, 0)

    def _count(self, uc, addr, size, data):
        self.executed += 1
        if not self.code_lo <= addr < self.code_hi:
            self.outside += 1

    def _drop(self, why):
        self.dropped[why] = self.dropped.get(why, 0) + 1
        return None

    def run(self, st, code):
        """Runs `code` at st.pc from state `st`; returns (regs16, apsr, window) or None."""
        if self.uc is None:
            self._open()
        uc = self.uc
        addr, length = self.last_code
        if length:
            uc.mem_write(addr, b'\0' * length)
        uc.mem_write(WIN, st.mem)
        end = st.pc + len(code)
        if st.pc < WIN + WIN_SIZE and end > WIN:
            raise RuntimeError('code at %#x overlaps the data window' % st.pc)
        pad = PAD[:max(0, WIN - end)] if end <= WIN else PAD  # never into the window
        uc.mem_write(st.pc, code + pad)
        self.last_code = (st.pc, len(code) + len(pad))
        # mem_write does not always drop translations: a block translated (never run) at the
        # target of an earlier case's branch survived it and ran instead of the new code.
        uc.ctl_remove_cache(st.pc, st.pc + len(code) + len(pad))
        load_registers(uc, st)
        self.fp_post = None
        self.executed = self.outside = 0
        self.code_lo, self.code_hi = st.pc, st.pc + len(code)
        err = None
        if st.mode == 'it':
            until, count = st.pc + st.it_len, IT_COUNT_LIMIT
        else:
            until, count = st.pc + st.insn_len, 1
        try:
            uc.emu_start(st.pc | 1, until, count=count)
        except UcError as e:
            err = e
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        ipsr = uc.reg_read(A.UC_ARM_REG_IPSR)
        xpsr = uc.reg_read(A.UC_ARM_REG_XPSR)
        result = None
        if err is not None and not (st.mode != 'single' and _fetch_fault(err, pc)):
            self._drop('error: %s' % err)
        elif self.outside:
            self._drop('executed outside the code')
        elif ipsr != 0:
            self._drop('exception taken')
        elif xpsr & 0x0600FC00:
            self._drop('IT state left over')
        elif not xpsr & (1 << 24):
            self._drop('left Thumb state')
        elif st.mode == 'single' and (pc != until or self.executed != 1):
            self._drop('did not execute exactly one instruction')
        elif st.mode == 'branch' and self.executed != 1:
            self._drop('did not execute exactly one instruction')
        elif st.mode == 'it' and (self.executed > st.steps or (err is None and pc != until)):
            self._drop('IT block did not run to its end')
        elif err is not None and RAM_BASE <= pc < RAM_BASE + RAM_SIZE:
            self._drop('fetch fault inside RAM')
        else:
            regs = [uc.reg_read(r) & M32 for r in GPRS] + [pc]
            apsr = uc.reg_read(A.UC_ARM_REG_APSR) & APSR_MASK
            result = (regs, apsr, bytes(uc.mem_read(WIN, WIN_SIZE)))
            if st.s is not None:
                self.fp_post = ([uc.reg_read(r) & M32 for r in SREGS],
                                uc.reg_read(A.UC_ARM_REG_FPSCR) & M32)
        if st.s is not None and err is None:
            uc.reg_write(A.UC_ARM_REG_CONTROL, uc.reg_read(A.UC_ARM_REG_CONTROL) & ~4)
        if err is not None:
            self.uc = None  # a fresh engine after any error: no state can leak into the next case
        return result
