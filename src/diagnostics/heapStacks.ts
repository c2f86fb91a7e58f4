/**
 * Task stacks on an OS that publishes no task list (neither NuttX's g_tcbinfo nor DWARF for its
 * TCB; FreeRTOS and the like), as long as the stacks come from the allocator: whenever the core
 * returns from an exception into thread mode — the scheduler switching to a task — the SP it
 * loads is that task's, and the live heap block holding it is that task's stack. That is the
 * process stack (EXC_RETURN 0xFFFFFFFD, 0xFFFFFFED with an FP frame) where the OS gives handlers
 * a stack of their own (FreeRTOS, the diag OS, NuttX with CONFIG_ARCH_INTERRUPTSTACK); NuttX
 * without an interrupt stack runs its tasks on the main stack (0xFFFFFFF9, 0xFFFFFFE9), which
 * the scheduler points into the task's block just the same. Such a stack is named by where it
 * was allocated ("stack 0x20001d98 (allocated at nxtask_setup (diag/os/task.c:38))") and
 * forgotten when its block is freed.
 *
 * The stack the last such return loaded is the running task's: only its underside counts as an
 * overflow (the heap's answer to a task list's running task). A stack the scheduler never
 * switched to (a task not run yet) is not known; neither is one that is no heap block (a static
 * array, a bare-metal program's main stack).
 */
import type { Machine } from '../machine/machine.js';
import type { Block, HeapBlocks } from './heapBlocks.js';
import type { TaskInfo } from './tasks.js';

/** EXC_RETURN bit 3: the return is to thread mode (bit 2 says which stack). */
const EXC_RETURN_THREAD = 0x8;

export class HeapStacks {
  /** The known stacks, by block address. */
  private readonly stacks = new Map<number, TaskInfo>();
  /**
   * The stack the last return to thread mode loaded SP into — the running task's, as far as a
   * heap can tell — or undefined (an SP in no heap block; its block freed, as NuttX frees an
   * exiting task's stack while the task still runs on it to its last switch).
   */
  current: number | undefined;
  /** Called when a stack is found or forgotten. */
  onChange: (() => void) | null = null;
  /** Called with a stack whose block is being freed, while its contents are still intact. */
  onFree: ((stack: TaskInfo) => void) | null = null;

  constructor(
    private readonly machine: Machine,
    private readonly heap: HeapBlocks,
    /** "stack 0x... (allocated at f (file:line))" for a block. */
    private readonly name: (block: Block) => string,
  ) {
    heap.observe({ released: (b) => this.released(b) });
    machine.exc.onExceptionReturn = (excReturn) => this.exceptionReturn(excReturn);
  }

  list(): TaskInfo[] {
    return [...this.stacks.values()];
  }

  /** Whether `id` (a TaskInfo's tcb) is one of these stacks. */
  has(id: number): boolean {
    return this.stacks.has(id);
  }

  private exceptionReturn(excReturn: number): void {
    if ((excReturn & EXC_RETURN_THREAD) === 0) return;
    const sp = this.machine.cpu.r[13]!;
    this.current = undefined;
    for (const s of this.stacks.values()) {
      if (sp >= s.stackBase && sp < s.stackBase + s.stackSize) {
        this.current = s.tcb; // known already
        return;
      }
    }
    const block = this.heap.blockContaining(sp, true);
    if (block === undefined || block.size === 0) return;
    this.current = block.ptr;
    this.stacks.set(block.ptr, {
      pid: -1,
      name: this.name(block),
      state: 0,
      stateName: '',
      priority: 0,
      tcb: block.ptr, // no TCB: the block stands for the task
      stackBase: block.ptr,
      stackSize: block.size,
      running: false,
    });
    this.onChange?.();
  }

  private released(block: Block): void {
    const stack = this.stacks.get(block.ptr);
    if (stack === undefined) return;
    this.onFree?.(stack);
    this.stacks.delete(block.ptr);
    if (this.current === block.ptr) this.current = undefined;
    this.onChange?.();
  }
}
