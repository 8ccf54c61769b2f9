#!/usr/bin/env python3
"""Our study table next to the PyTorch reference's, row by row, as the markdown table of docs/RESULTS.md.

    /usr/bin/python3 tools/reference/compare.py \
        --ours runs/ablate-model-tweaks/results.json [--ours runs/ablate-model-tweaks-s3-5/results.json] \
        --reference /work/reference-runs/ablate-model-tweaks/results.json [--reference ...]

Several --ours (or --reference) files are pooled by row label (seeds 0-2 and 3-5 of the same study, say). For
each row: top-1 mean ± sample sd and n on each side, each side's delta against the row the study compares it
with, and the difference of the two deltas with its standard error, sqrt(sum of s^2/n over the four means),
so that a difference of about two standard errors or more is one the seeds do not explain.
"""
import argparse
import json
import math
import sys


def pooled(paths):
    rows, order, compare = {}, [], {}
    for path in paths:
        with open(path) as f:
            table = json.load(f)
        for row in table['rows']:
            label = row['label']
            if label not in rows:
                rows[label] = {}
                order.append(label)
                compare[label] = row.get('comparedTo')
            for run in row['runs']:
                if run['seed'] in rows[label]:
                    sys.exit(f'{path}: row {label} seed {run["seed"]} is in two of the pooled files')
                rows[label][run['seed']] = 100 * run['top1']
    return rows, order, compare


def stat(values):
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else float('nan')
    return mean, sd, n


def se2(s):
    return s[1] ** 2 / s[2] if s[2] > 1 else float('nan')


def main(argv=None):
    p = argparse.ArgumentParser(description='Our study results next to the PyTorch reference, row by row.')
    p.add_argument('--ours', action='append', required=True, help="a results.json of bot-train ablate")
    p.add_argument('--reference', action='append', required=True, help='a results.json of tools/reference/ablate.py')
    args = p.parse_args(argv)
    ours, order, compare = pooled(args.ours)
    ref, ref_order, _ = pooled(args.reference)
    if order != ref_order:
        sys.exit(f'the two sides have different rows: {order} against {ref_order}')
    print('| row | ours top-1 % | PyTorch top-1 % | ours Δ | PyTorch Δ | Δ ours - Δ PyTorch (± se) | ours per seed | PyTorch per seed |')
    print('|---|---|---|---|---|---|---|---|')
    for i, label in enumerate(order):
        a, b = stat(list(ours[label].values())), stat(list(ref[label].values()))
        first = order[i - 1] if i > 0 else None
        base = compare[label] or first
        shown = label if base == first else f'{label} (Δ vs {base})'
        cells = [shown, f'{a[0]:.2f} ± {a[1]:.2f} (n={a[2]})', f'{b[0]:.2f} ± {b[1]:.2f} (n={b[2]})']
        if base is None:
            cells += ['', '', '']
        else:
            a0, b0 = stat(list(ours[base].values())), stat(list(ref[base].values()))
            da, db = a[0] - a0[0], b[0] - b0[0]
            se = math.sqrt(se2(a) + se2(a0) + se2(b) + se2(b0))
            cells += [f'{da:+.2f}', f'{db:+.2f}', f'{da - db:+.2f} ± {se:.2f}']
        for side in (ours, ref):
            cells.append(', '.join(f'{v:.2f}' for _, v in sorted(side[label].items())))
        print('| ' + ' | '.join(cells) + ' |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
