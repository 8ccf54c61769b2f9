#!/usr/bin/env python3
"""A study of bot-train, trained by the PyTorch reference trainer, with our table.

Run from the repository (after `npm run build`):
    /usr/bin/python3 tools/reference/ablate.py --study model-tweaks --seeds 0,1,2 --jobs 2 --runs-dir /work/reference-runs
Any other flag (`--lr 0.1`, `--width 0.25`) is passed to `bot-train ablate`, as an override of every run.

1. `bot-train ablate --plan-only` writes the study's resolved run configs (<folder>/configs/<run>.json) and
   plan.json, and materialises the synthetic data sets in <folder>/.cache exactly as our runs do.
2. tools/reference/export-data.mjs writes each data set out once (<folder>/.reference-data/).
3. Each run trains with tools/reference/train.py, `--jobs` at a time (one torch thread each), the teacher
   before its students, into <folder>/<run>/ (metrics.jsonl in our format); logs in <folder>/logs/. A run
   that finished is skipped; one that was stopped resumes from its last finished epoch.
4. `bot-train ablate --plan-only` again: every run is finished, so it trains nothing and writes our table
   (results.md, results.json) and plots from the PyTorch runs' metrics.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
CLI = os.path.join(REPO, 'apps', 'trainer', 'dist', 'cli.js')
sys.path.insert(0, HERE)
from train import data_key, export_data, read_metrics  # noqa: E402


def plan_only(args):
    cmd = ['node', CLI, 'ablate', '--study', args.study, '--seeds', args.seeds, '--runs-dir', args.runs_dir,
           '--plan-only']
    if args.name:
        cmd += ['--name', args.name]
    done = subprocess.run(cmd + args.overrides, cwd=REPO)
    if done.returncode != 0:  # bot-train has said why (a bad flag or value: exit 2)
        sys.exit(done.returncode)


def finished(folder, run, config):
    metrics = read_metrics(os.path.join(folder, run['name'], 'metrics.jsonl'))
    return any(r.get('type') == 'epoch' and r.get('epoch') == config['epochs'] for r in metrics)


def main(argv=None):
    p = argparse.ArgumentParser(description="Train one of bot-train's studies with the PyTorch reference trainer.")
    p.add_argument('--study', required=True, help='model-tweaks, refinements, efficient-training')
    p.add_argument('--seeds', default='0,1,2', help='comma-separated seeds (default 0,1,2)')
    p.add_argument('--jobs', type=int, default=2, help='runs at once, one torch thread each (default 2)')
    p.add_argument('--runs-dir', default='runs-reference', help='where the study folder goes')
    p.add_argument('--name', help='study folder under --runs-dir (default ablate-<study>)')
    p.add_argument('--threads', type=int, default=1, help='torch threads per run (default 1)')
    args, args.overrides = p.parse_known_args(argv)
    if any(not a.startswith('--') for a in args.overrides[:1]):
        p.error(f'{args.overrides[0]}: expected a bot-train ablate flag such as --lr 0.1')
    if args.jobs < 1:
        p.error(f'--jobs {args.jobs}: must be at least 1')
    args.runs_dir = os.path.abspath(args.runs_dir)
    folder = os.path.join(args.runs_dir, args.name or f'ablate-{args.study}')

    plan_only(args)
    with open(os.path.join(folder, 'plan.json')) as f:
        plan = json.load(f)
    configs = {}
    for run in plan:
        with open(os.path.join(folder, run['config'])) as f:
            configs[run['name']] = json.load(f)
    # Each data set once, before any run starts (two runs must not write the same export at once).
    for run in plan:
        c = configs[run['name']]
        export_data(os.path.join(folder, run['config']), c, os.path.join(folder, '.reference-data', data_key(c)))

    done = {r['name'] for r in plan if finished(folder, r, configs[r['name']])}
    failed = set()
    running = {}
    todo = [r for r in plan if r['name'] not in done]
    print(f'study {args.study}: {len(plan)} runs, {len(done)} done, {args.jobs} at a time; folder {folder}', flush=True)
    os.makedirs(os.path.join(folder, 'logs'), exist_ok=True)
    while True:
        for name, (proc, started, log) in list(running.items()):
            if proc.poll() is None:
                continue
            log.close()
            del running[name]
            seconds = time.time() - started
            with open(os.path.join(folder, 'timing.jsonl'), 'a') as f:
                f.write(json.dumps({'run': name, 'seconds': seconds, 'code': proc.returncode}) + '\n')
            run = next(r for r in plan if r['name'] == name)
            if proc.returncode == 0 and finished(folder, run, configs[name]):
                done.add(name)
                last = [m for m in read_metrics(os.path.join(folder, name, 'metrics.jsonl')) if m['type'] == 'epoch'][-1]
                print(f'[{len(done)}/{len(plan)}] done  {name}: top-1 {100 * last["top1"]:.2f}% in {seconds:.0f} s',
                      flush=True)
            else:
                failed.add(name)
                print(f'        {name} failed (exit {proc.returncode}); see {folder}/logs/{name}.log', flush=True)
        ready = [r for r in todo if r['name'] not in done | failed and r['name'] not in running
                 and (r['teacherRun'] is None or r['teacherRun'] in done)]
        while len(running) < args.jobs and ready:
            run = ready.pop(0)
            log = open(os.path.join(folder, 'logs', f'{run["name"]}.log'), 'a')
            cmd = [sys.executable, os.path.join(HERE, 'train.py'), '--config', os.path.join(folder, run['config']),
                   '--threads', str(args.threads)]
            print(f'start {run["name"]}', flush=True)
            running[run['name']] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO),
                                    time.time(), log)
        if not running:
            break
        time.sleep(1)
    blocked = [r['name'] for r in todo if r['name'] not in done | failed]
    for name in blocked:
        print(f'        {name} not run: its teacher did not finish', flush=True)
    plan_only(args)  # every finished run is in the table now; nothing is trained
    print(f'table: {os.path.join(folder, "results.md")}', flush=True)
    return 1 if failed or blocked else 0


if __name__ == '__main__':
    sys.exit(main())
