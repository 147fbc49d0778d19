"""How predictors rank a set of architectures against each other: Spearman's rho (ties get mean
ranks) between every pair of columns of a runs CSV (nnmass score --csv, nnmass report --csv), and
how many distinct values each takes. Non-finite scores (Zen's log 0 = -inf) rank lowest, as the
report ranks them; empty cells are left out pairwise.

usage: python3 scripts/predictor-agreement.py RUNS.csv[.gz] COLUMN...
"""
import csv
import gzip
import math
import sys

import numpy as np


def ranks(v):
    order = np.argsort(v, kind="mergesort")
    r = np.empty(len(v))
    sv = v[order]
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and sv[j + 1] == sv[i]:
            j += 1
        r[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(x, y):
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    rx, ry = ranks(x), ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    d = math.sqrt((rx * rx).sum() * (ry * ry).sum())
    return float((rx * ry).sum() / d) if d > 0 else float("nan"), len(x)


def main():
    path, cols = sys.argv[1], sys.argv[2:]
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    data = {}
    for c in cols:
        vals = []
        for r in rows:
            t = r.get(c, "")
            vals.append(float(t) if t not in ("", None) else float("nan"))
        data[c] = np.array(vals)
    print(f"{len(rows)} architectures from `{path.split('/')[-1]}`.\n")
    print("| predictor | distinct values | non-finite |\n|---|---:|---:|")
    for c in cols:
        v = data[c][~np.isnan(data[c])]
        print(f"| {c} | {len(set(v.tolist()))} | {int((~np.isfinite(v)).sum())} |")
    print("\nSpearman's ρ between predictors (no accuracies: how alike they rank the space):\n")
    print("| | " + " | ".join(cols) + " |\n|---|" + "---:|" * len(cols))
    for a in cols:
        print(f"| {a} | " + " | ".join(f"{spearman(data[a], data[b])[0]:.3f}" for b in cols) + " |")


if __name__ == "__main__":
    main()
