#!/usr/bin/env python3
"""bench/lib/truth.py: the truth table of bench/ssh-bench from its TSV (round, direction, name,
who, MB/s; who is `hostkit`, `plain` for plain ssh's slope, `long` for plain ssh's long window
inside one connection): hostkit's median against each steady-state reference, with a 95 %
bootstrap interval of the ratio that resamples whole rounds (a round's hostkit samples and its
references were measured minutes apart at most, so machine-speed drift cancels inside a round).
The verdict is on the slope, the reference that shares no method with hostkit; `long/slope`
says whether the two references agree with each other. The last column is a second estimator of
hostkit/slope: the median of each round's own ratio (it uses the pairing inside a round; the
ratio of medians does not), with its own round-bootstrap interval."""
import random
import statistics
import sys
from collections import defaultdict

LIMIT = 0.02


def ratio(rounds, data, num, den):
    a = [x for r in rounds for x in data[r][num]]
    b = [x for r in rounds for x in data[r][den]]
    return statistics.median(a) / statistics.median(b)


def per_round(rounds, data, num, den):
    """Each round's own ratio (hostkit's median / the reference's median in that round)."""
    return [statistics.median(data[r][num]) / statistics.median(data[r][den]) for r in rounds]


def paired(rounds, data, num, den):
    """Median of the per-round ratios: uses the pairing inside a round, so drift in machine
    speed between rounds cancels."""
    return statistics.median(per_round(rounds, data, num, den))


def paired_interval(rng, rounds, data, num, den):
    per = per_round(rounds, data, num, den)
    boots = sorted(statistics.median(rng.choice(per) for _ in per) for _ in range(2000))
    return boots[int(0.025 * len(boots))], boots[int(0.975 * len(boots)) - 1]


def interval(rng, rounds, data, num, den):
    boots = sorted(ratio([rng.choice(rounds) for _ in rounds], data, num, den) for _ in range(2000))
    return boots[int(0.025 * len(boots))], boots[int(0.975 * len(boots)) - 1]


def verdict(q, lo, hi):
    if 1 - LIMIT <= lo and hi <= 1 + LIMIT:
        return "within +-2 %"
    if 1 - LIMIT <= q <= 1 + LIMIT:
        return "point within +-2 %, interval wider"
    if lo <= 1 <= hi:
        return "outside +-2 %, interval includes 1"
    return "BIASED"


def main(path, order):
    rows = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for line in open(path):
        r, d, n, who, v = line.rstrip("\n").split("\t")
        rows[(d, n)][r][who].append(float(v))
    rng = random.Random(1)
    rng_paired = random.Random(2)  # its own stream: the other intervals stay as they were
    print(f"\n{'direction':<9} {'cipher (+ MAC)':<28} {'hostkit':>7} {'slope':>7} {'long':>7}"
          f"  {'hostkit/slope [95 %]':<22} {'hostkit/long [95 %]':<22} {'long/slope':<10}  verdict (vs slope)"
          f"  {'per-round slope ratio [95 %]'}")
    worst = []
    for d, n in order:
        data = rows.get((d, n))
        if not data:
            continue
        rounds = [r for r in data if data[r]["hostkit"] and data[r]["plain"]]
        if not rounds:
            continue
        med = {w: statistics.median([x for r in rounds for x in data[r][w]] or [float("nan")])
               for w in ("hostkit", "plain", "long")}
        q = med["hostkit"] / med["plain"]
        lo, hi = interval(rng, rounds, data, "hostkit", "plain")
        long_rounds = [r for r in rounds if data[r]["long"]]
        if long_rounds:
            ql = med["hostkit"] / med["long"]
            llo, lhi = interval(rng, long_rounds, data, "hostkit", "long")
            vs_long = f"{ql:.3f} [{llo:.3f}, {lhi:.3f}]"
            agree = f"{med['long'] / med['plain']:.3f}"
        else:
            vs_long, agree = "-", "-"
        pq = paired(rounds, data, "hostkit", "plain")
        plo, phi = paired_interval(rng_paired, rounds, data, "hostkit", "plain")
        worst.append(abs(q - 1))
        print(f"{d:<9} {n:<28} {med['hostkit']:7.1f} {med['plain']:7.1f} {med['long']:7.1f}"
              f"  {q:.3f} [{lo:.3f}, {hi:.3f}]  {vs_long:<22} {agree:<10}  {verdict(q, lo, hi)}"
              f" (rounds {len(rounds)})  {pq:.3f} [{plo:.3f}, {phi:.3f}]")
    if worst:
        print(f"largest deviation of a hostkit/slope ratio from 1: {100 * max(worst):.1f} %")


if __name__ == "__main__":
    main(sys.argv[1], [tuple(a.split("|", 1)) for a in sys.argv[2:]])
