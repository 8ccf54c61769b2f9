#!/usr/bin/env python3
"""Checks that the reference trainer's learning rate equals ours at every step of a run.

    /usr/bin/python3 tools/reference/check_lr.py --config <run config.json> --steps-per-epoch <n> [--metrics <metrics.jsonl>]

Compares train.py's build_schedule with the trainer's own buildSchedule (apps/trainer/dist, @bot/lr-schedules)
at every step of the run, and, with --metrics, with the lr that a run of ours logged in its step records.
Exit 0 when all agree to 1e-15 relative.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
from train import build_schedule, read_metrics  # noqa: E402

NODE = """
const { buildSchedule } = await import(process.argv[1]);
const config = JSON.parse(process.argv[2]);
const spe = Number(process.argv[3]);
const f = buildSchedule(config, spe);
console.log(JSON.stringify(Array.from({ length: config.epochs * spe }, (_, s) => f(s))));
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--config', required=True)
    p.add_argument('--steps-per-epoch', type=int, required=True)
    p.add_argument('--metrics')
    args = p.parse_args()
    with open(args.config) as f:
        c = json.load(f)
    schedule = build_schedule(c, args.steps_per_epoch)
    module = os.path.join(REPO, 'apps', 'trainer', 'dist', 'integrations', 'schedule.js')
    out = subprocess.run(['node', '--input-type=module', '-e', NODE, module, json.dumps(c),
                          str(args.steps_per_epoch)], check=True, capture_output=True, text=True, cwd=REPO)
    ours = json.loads(out.stdout)
    worst = max(abs(schedule(s) - v) / max(abs(v), 1e-30) for s, v in enumerate(ours))
    print(f'{len(ours)} steps: max relative difference from buildSchedule {worst:.3g}')
    show = sorted({0, 1, 2, len(ours) // 3, len(ours) // 2, len(ours) - 1})
    for s in show:
        print(f'  step {s}: ours {ours[s]!r}, reference {schedule(s)!r}')
    bad = worst > 1e-15
    if args.metrics:
        logged = [r for r in read_metrics(args.metrics) if r.get('type') == 'step']
        # A step record's lr is the rate of the step it counts (record.step - 1).
        diff = max((abs(schedule(r['step'] - 1) - r['lr']) / r['lr'] for r in logged), default=0.0)
        print(f'{len(logged)} logged steps of {args.metrics}: max relative difference {diff:.3g}')
        for r in logged[:3]:
            print(f'  step {r["step"]}: logged {r["lr"]!r}, reference {schedule(r["step"] - 1)!r}')
        bad = bad or diff > 1e-15
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
