#!/usr/bin/env python3
"""bench/lib/truth.py: the truth table of bench/ssh-bench from its TSV (round, direction, name,
who, MB/s): hostkit's median against plain ssh's steady-state slope, with a 95 % bootstrap
interval of the ratio that resamples whole rounds (a round's hostkit samples and its slope were
measured minutes apart at most, so machine-speed drift cancels inside a round)."""
import random
import statistics
import sys
from collections import defaultdict

LIMIT = 0.02


def ratio(rounds, data):
    hk = [x for r in rounds for x in data[r]["hostkit"]]
    pl = [x for r in rounds for x in data[r]["plain"]]
    return statistics.median(hk) / statistics.median(pl)


def main(path, order):
    rows = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for line in open(path):
        r, d, n, who, v = line.rstrip("\n").split("\t")
        rows[(d, n)][r][who].append(float(v))
    rng = random.Random(1)
    print(f"\n{'direction':<10} {'cipher (+ MAC)':<30} {'hostkit MB/s':>12} {'steady MB/s':>12}"
          f" {'ratio':>6} {'95 % interval':>14}  verdict")
    worst = []
    for d, n in order:
        data = rows.get((d, n))
        if not data:
            continue
        rounds = [r for r in data if data[r]["hostkit"] and data[r]["plain"]]
        if not rounds:
            continue
        hk = statistics.median([x for r in rounds for x in data[r]["hostkit"]])
        pl = statistics.median([x for r in rounds for x in data[r]["plain"]])
        boots = sorted(ratio([rng.choice(rounds) for _ in rounds], data) for _ in range(2000))
        lo, hi = boots[int(0.025 * len(boots))], boots[int(0.975 * len(boots)) - 1]
        q = hk / pl
        if 1 - LIMIT <= lo and hi <= 1 + LIMIT:
            verdict = "within +-2 %"
        elif 1 - LIMIT <= q <= 1 + LIMIT:
            verdict = "point within +-2 %, interval wider"
        elif lo <= 1 <= hi:
            verdict = "outside +-2 %, interval includes 1"
        else:
            verdict = "BIASED"
        worst.append(abs(q - 1))
        print(f"{d:<10} {n:<30} {hk:12.1f} {pl:12.1f} {q:6.3f}   {lo:.3f}..{hi:.3f}  {verdict}"
              f"  (rounds {len(rounds)})")
    if worst:
        print(f"largest deviation of a ratio from 1: {100 * max(worst):.1f} %")


if __name__ == "__main__":
    main(sys.argv[1], [tuple(a.split("|", 1)) for a in sys.argv[2:]])
