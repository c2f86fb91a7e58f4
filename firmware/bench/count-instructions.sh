#!/bin/sh
# Counts the guest instructions an ELF executes under QEMU (mps2-an386), to size the benchmarks.
# QEMU 7.2 has no instruction-count plugin in Debian, so this pairs the translation log (in_asm:
# instructions per translation block) with the execution log (exec with nochain: one line per
# block executed). Usage: firmware/bench/count-instructions.sh firmware/build/crc32.elf
set -eu
elf=$1
qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -kernel "$elf" \
  -d in_asm,exec,nochain -D /dev/stderr 2>&1 >/dev/null |
  awk '
    /^IN:/ { inblock = 1; n = 0; start = ""; next }
    inblock && /^0x[0-9a-f]+:/ { if (start == "") start = substr($1, 3, 8); n++; next }
    inblock && /^$/ { count[start] = n; inblock = 0; next }
    /^Trace / {
      split($0, a, "[][/]"); pc = a[3]
      total += count[pc]; blocks++
    }
    END { printf "%s: instructions=%.0f blocks=%.0f\n", name, total, blocks }
  ' name="$(basename "$elf" .elf)"
