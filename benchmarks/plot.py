"""Plots for docs/performance.md, run with the matplotlib venv (.venv-bench):

    .venv-bench/bin/python benchmarks/plot.py RESULTS.json OUT_DIR

Prints the paths of the PNG files it wrote.
"""
import json
import os
import statistics
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {'A': ('tab:blue', 'o', 'A: provision playbook'),
         'B': ('tab:orange', 's', 'B: uri /myself per host + template'),
         'C': ('tab:green', '^', 'C: bare copy')}


def series(data, scenario, phase, metric):
    xs, ys = [], []
    for n in data['hosts']:
        vals = [r[metric] for r in data['runs'] if (r['scenario'], r['n'], r['phase']) == (scenario, n, phase)]
        if vals:
            xs.append(n)
            ys.append(statistics.median(vals))
    return xs, ys


def main(results, out_dir):
    with open(results) as handle:
        data = json.load(handle)
    written = []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, phase, title in ((axes[0], 'first', 'First run (files absent)'), (axes[1], 'rerun', 'Re-run (no change)')):
        for s in data['labels']:
            color, marker, label = STYLE[s]
            xs, ys = series(data, s, phase, 'wall')
            ax.plot(xs, ys, marker=marker, color=color, label=label)
        ax.set_title(title)
        ax.set_xlabel('inventory hosts (forks %d)' % data['forks'])
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel('wall time, s')
    axes[0].legend(loc='upper left', fontsize=8)
    fig.tight_layout()
    path = os.path.join(out_dir, 'wall_time.png')
    fig.savefig(path, dpi=100)
    written.append(path)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, phase, title in ((axes[0], 'first', 'First run'), (axes[1], 'rerun', 'Re-run')):
        for s in data['labels']:
            color, marker, label = STYLE[s]
            xs, ys = series(data, s, phase, 'cpu')
            ax.plot(xs, ys, marker=marker, color=color, label=label)
        ax.set_title(title + ': controller CPU time')
        ax.set_xlabel('inventory hosts')
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel('CPU time (user+sys), s')
    axes[0].legend(loc='upper left', fontsize=8)
    fig.tight_layout()
    path = os.path.join(out_dir, 'cpu_time.png')
    fig.savefig(path, dpi=100)
    written.append(path)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4.2))
    for s in data['labels']:
        color, marker, label = STYLE[s]
        xs, ys = series(data, s, 'first', 'requests')
        ax.plot(xs, ys, marker=marker, color=color, label=label)
    ax.set_xlabel('inventory hosts')
    ax.set_ylabel('requests received by Jira, per run')
    ax.set_title('Jira requests per playbook run')
    ax.grid(True, alpha=0.3)
    ax.legend(loc='upper left', fontsize=8)
    fig.tight_layout()
    path = os.path.join(out_dir, 'jira_requests.png')
    fig.savefig(path, dpi=100)
    written.append(path)
    plt.close(fig)
    for p in written:
        print(p)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
