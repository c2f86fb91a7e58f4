#!/usr/bin/python3
"""Differential-test vectors for f4emu from Unicorn (Debian's python3-unicorn).

Random legal ARMv7E-M Thumb encodings of every integer and FPv4-SP instruction class, from
random register, flag, FP and memory states, with Unicorn's resulting state;
scripts/differential.ts replays them on f4emu. Output: JSON Lines (format in
docs/differential.md) on stdout or --out; per-class counts on stderr. Same --seed and --count
give the same vectors whatever --jobs is.

    /usr/bin/python3 scripts/unicorn_vectors.py --count 100000 --seed 1 --out vectors.jsonl

With --seq K it makes sequence vectors instead (class 'seq', unicorn_gen/sequence.py): K
straight-line instructions of the non-branching classes from one random state, for the block
translator.
"""

import argparse
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import unicorn  # noqa: F401
except ImportError:
    sys.exit('unicorn_vectors: the Python module "unicorn" is missing: install Debian\'s '
             'python3-unicorn (apt-get install python3-unicorn) and run with /usr/bin/python3')

from unicorn_gen.generate import CLASSES, generate_chunk  # noqa: E402
from unicorn_gen.sequence import MAX_SEQ, generate_seq_chunk  # noqa: E402
from unicorn_gen.unicorn_bugs import KNOWN_BUGS  # noqa: E402
from unicorn_gen import disasm  # noqa: E402

CHUNK = 250
SEQ_CHUNK = 50


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--count', type=int, default=1000, help='vectors in all (default 1000)')
    p.add_argument('--seed', default='1', help='random seed (default 1)')
    p.add_argument('--classes', help='comma-separated class names (default: all)')
    p.add_argument('--out', help='output file (default: stdout)')
    p.add_argument('--jobs', type=int, default=os.cpu_count() or 1, help='worker processes')
    p.add_argument('--no-asm', action='store_true', help='leave out the objdump text')
    p.add_argument('--include-unicorn-bugs', action='store_true',
                   help='also generate the encodings Unicorn is known to get wrong')
    p.add_argument('--list-classes', action='store_true', help='print the class names and exit')
    p.add_argument('--seq', type=int, metavar='K',
                   help='sequence vectors of K straight-line instructions (1..%d) instead' % MAX_SEQ)
    return p.parse_args(argv)


def plan(classes, count, seed, include_bugs, with_asm):
    """Spreads count over the classes evenly and cuts each share into seeded chunks."""
    jobs = []
    for i, cls in enumerate(classes):
        share = count // len(classes) + (1 if i < count % len(classes) else 0)
        for k, start in enumerate(range(0, share, CHUNK)):
            n = min(CHUNK, share - start)
            jobs.append((cls, n, '%s:%s:%d' % (seed, cls, k), include_bugs, with_asm))
    return jobs


def main(argv):
    args = parse_args(argv)
    if args.list_classes:
        print('\n'.join(CLASSES))
        return 0
    classes = list(CLASSES)
    if args.seq is not None:
        if not 1 <= args.seq <= MAX_SEQ:
            sys.exit('unicorn_vectors: --seq takes 1..%d instructions' % MAX_SEQ)
        if args.classes:
            sys.exit('unicorn_vectors: --seq draws from every non-branching class: no --classes')
    elif args.classes:
        classes = [c.strip() for c in args.classes.split(',') if c.strip()]
        unknown = [c for c in classes if c not in CLASSES]
        if unknown:
            sys.exit('unicorn_vectors: unknown class(es) %s; --list-classes lists them'
                     % ', '.join(unknown))
    with_asm = not args.no_asm
    if with_asm and not disasm.available():
        print('unicorn_vectors: arm-none-eabi-objdump not found; vectors get no "asm" text',
              file=sys.stderr)
        with_asm = False
    if args.seq is not None:
        classes = ['seq']
        jobs = [('seq', min(SEQ_CHUNK, args.count - start), '%s:seq%d:%d' % (args.seed, args.seq, k),
                 args.include_unicorn_bugs, with_asm, args.seq)
                for k, start in enumerate(range(0, args.count, SEQ_CHUNK))]
        work = generate_seq_chunk
    else:
        jobs = plan(classes, args.count, args.seed, args.include_unicorn_bugs, with_asm)
        work = generate_chunk
    out = open(args.out, 'w') if args.out else sys.stdout
    counts, stats = {c: 0 for c in classes}, {}
    t0 = time.time()
    try:
        if args.jobs > 1 and len(jobs) > 1:
            with multiprocessing.Pool(args.jobs) as pool:
                results = pool.imap(work, jobs)
                _write(results, out, counts, stats)
        else:
            _write(map(work, jobs), out, counts, stats)
    finally:
        if args.out:
            out.close()
    elapsed = time.time() - t0
    width = max(len(c) for c in classes)
    for cls in classes:
        print('  %-*s %7d' % (width, cls, counts[cls]), file=sys.stderr)
    for reason in sorted(stats):
        print('  (%s: %d)' % (reason, stats[reason]), file=sys.stderr)
    total = sum(counts.values())
    print('unicorn_vectors: %d vectors in %.1f s (%.0f/s), unicorn %s%s' % (
        total, elapsed, total / max(elapsed, 1e-9), unicorn.__version__,
        '' if args.include_unicorn_bugs or not KNOWN_BUGS else
        ', known Unicorn bugs excluded: ' + ', '.join(b.name for b in KNOWN_BUGS)),
        file=sys.stderr)
    return 0


def _write(results, out, counts, stats):
    for cls, lines, st in results:
        counts[cls] += len(lines)
        for k, n in st.items():
            stats[k] = stats.get(k, 0) + n
        if lines:
            out.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
