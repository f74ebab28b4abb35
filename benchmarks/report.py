"""Turn the benchmark's measurements into performance.md (+ results.json and the plots).

The verdicts are computed here from the numbers of the same run; the hand-written analysis
(where the time goes, what was tried) is benchmarks/analysis.md, appended as it is.
"""

import json
import os
import statistics
import subprocess
import sys

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)
TITLES = {
    'A': 'A: this collection (provision playbook)',
    'B': 'B: uri GET /myself per host + template',
    'C': 'C: bare copy',
}


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summary(data):
    """{(scenario, n, phase): {metric: median}}."""
    out = {}
    for run in data['runs']:
        key = (run['scenario'], run['n'], run['phase'])
        out.setdefault(key, []).append(run)
    table = {}
    for key, runs in out.items():
        metrics = ('wall', 'cpu', 'rss_mib', 'requests', 'changed', 'load')
        table[key] = dict((m, med([r.get(m) for r in runs])) for m in metrics)
        table[key]['reps'] = len(runs)
        table[key]['rc'] = max(r['rc'] for r in runs)
    return table


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(value, spec='%.2f'):
    return '—' if value is None else spec % value


def judge(wall, cpu, limit, load1, load2):
    """(holds, remark): on wall time, unless the two runs saw very different machine load; then on CPU time."""
    if wall is None:
        return None, ''
    if load1 and load2 and max(load1, load2) / max(min(load1, load2), 0.1) > 1.5 and cpu is not None:
        return cpu <= limit, '; judged on CPU time: the load average differed (%.0f vs %.0f)' % (load1, load2)
    return wall <= limit, ''


def targets(data, table):
    hosts = data['hosts']
    mid = 100 if 100 in hosts else (hosts[-2] if len(hosts) > 1 else hosts[0])
    big = 300 if 300 in hosts else hosts[-1]
    labels = data['labels']
    rows = []

    def get(s, n, phase, metric='wall'):
        return table.get((s, n, phase), {}).get(metric)

    # 1. Requests per play.
    if 'A' in labels:
        a_hosts = [n for n in hosts if get('A', n, 'first', 'requests') is not None]
        reqs = sorted(set(int(get('A', n, p, 'requests')) for n in a_hosts for p in ('first', 'rerun')
                          if get('A', n, p, 'requests') is not None))
        project = data['extra'].get('a_with_project', {})
        ok = reqs == [1] and project.get('requests') == 2
        rows.append(('Jira requests per play: 1 (+1 per checked project) whatever N',
                     'A: %s request(s) per run at N = %s; with one project: %s' % (
                         '/'.join(str(r) for r in reqs), ', '.join(str(n) for n in a_hosts),
                         project.get('requests', 'not measured')),
                     ok))
    if 'B' in labels:
        b_hosts = [n for n in hosts if get('B', n, 'first', 'requests') is not None]
        b_ok = all(get('B', n, 'first', 'requests') == n for n in b_hosts)
        per_n = ', '.join('%s at N=%d' % (fmt(get('B', n, 'first', 'requests'), '%d'), n) for n in b_hosts)
        rows.append(('B makes N requests', 'B: %s' % per_n, b_ok))
    if 'A' in labels and 'C' in labels:
        r = ratio(get('A', mid, 'rerun'), get('C', mid, 'rerun'))
        rc = ratio(get('A', mid, 'rerun', 'cpu'), get('C', mid, 'rerun', 'cpu'))
        ok, why = judge(r, rc, 1.0, get('A', mid, 'rerun', 'load'), get('C', mid, 'rerun', 'load'))
        rows.append(('Re-run wall time A/C <= 1.0 at N = %d' % mid, '%s (CPU time: %s%s)' % (fmt(r), fmt(rc), why), ok))
    if 'A' in labels and 'B' in labels:
        r = ratio(get('A', mid, 'first'), get('B', mid, 'first'))
        rc = ratio(get('A', mid, 'first', 'cpu'), get('B', mid, 'first', 'cpu'))
        ok, why = judge(r, rc, 0.8, get('A', mid, 'first', 'load'), get('B', mid, 'first', 'load'))
        rows.append(('First-run wall time A/B <= 0.8 at N = %d' % mid, '%s (CPU time: %s%s)' % (fmt(r), fmt(rc), why), ok))
    if 'A' in labels and big != mid:
        g1 = ratio(get('A', big, 'first'), get('A', mid, 'first'))
        g2 = ratio(get('A', big, 'rerun'), get('A', mid, 'rerun'))
        limit = 3.2 * big / 300.0 * 100.0 / mid if (big, mid) != (300, 100) else 3.2
        c1 = ratio(get('A', big, 'first', 'cpu'), get('A', mid, 'first', 'cpu'))
        c2 = ratio(get('A', big, 'rerun', 'cpu'), get('A', mid, 'rerun', 'cpu'))
        measured = g1 is not None or g2 is not None
        ok1, why1 = judge(g1, c1, limit, get('A', big, 'first', 'load'), get('A', mid, 'first', 'load'))
        ok2, why2 = judge(g2, c2, limit, get('A', big, 'rerun', 'load'), get('A', mid, 'rerun', 'load'))
        rows.append(('Growth A time(%d)/time(%d) <= %.2f' % (big, mid, limit),
                     'first %s, re-run %s (CPU time: %s, %s%s%s)' % (
                         fmt(g1), fmt(g2), fmt(c1), fmt(c2), why1.replace(';', '; first run'), why2.replace(';', '; re-run'))
                     if measured else 'not measured: no A run at N = %d completed' % big,
                     (bool(ok1) and bool(ok2)) if measured else None))
    cred = data['extra'].get('credentials', {}).get('runs', [])
    if cred:
        info = med([c['task'] for c in cred if c['which'] == 'info'])
        uri = med([c['task'] for c in cred if c['which'] == 'uri'])
        r = ratio(info, uri)
        rows.append(('jira_credentials_info alone vs uri GET /myself <= 1.2',
                     '%s (task time %ss vs %ss on %d hosts)' % (
                         fmt(r), fmt(info), fmt(uri), data['extra']['credentials']['hosts']),
                     r is not None and r <= 1.2))
    return rows


def task_breakdown(data, scenario, n, phase):
    """Median seconds per task name over the repetitions, in play order."""
    runs = [r for r in data['runs'] if (r['scenario'], r['n'], r['phase']) == (scenario, n, phase)]
    if not runs:
        return []
    order = []
    per = {}
    for run in runs:
        seen = {}
        for task in run['tasks']:
            name = task['name']
            seen[name] = seen.get(name, 0) + task.get('seconds', 0)
            if name not in per:
                per[name] = dict(action=task['action'], values=[], results=task['results'], changed=task['changed'],
                                 skipped=task.get('skipped', 0))
                order.append(name)
        for name, secs in seen.items():
            per[name]['values'].append(secs)
    return [(name, per[name]['action'], med(per[name]['values']), per[name]['results'], per[name]['changed'],
             per[name]['skipped']) for name in order]


def write(data, out_dir, quiet=False):
    perf_dir = os.path.join(out_dir, 'performance')
    os.makedirs(perf_dir, exist_ok=True)
    results = os.path.join(perf_dir, 'results.json')
    slim = dict(data, runs=[dict((k, v) for k, v in r.items() if k != 'log') for r in data['runs']])
    with open(results, 'w') as handle:
        json.dump(slim, handle, indent=1, sort_keys=True)
    plots = make_plots(results, perf_dir)
    table = summary(data)
    rows = targets(data, table)
    text = render(data, table, rows, plots, out_dir)
    with open(os.path.join(out_dir, 'performance.md'), 'w') as handle:
        handle.write(text)
    if not quiet:
        sys.stdout.write('\n'.join(console(data, table, rows)) + '\n')


def make_plots(results, perf_dir):
    """Plots with matplotlib from the separate .venv-bench (benchmarks/run creates it)."""
    python = os.environ.get('BENCH_PLOT_PYTHON') or os.path.join(REPO, '.venv-bench', 'bin', 'python')
    if not os.path.exists(python):
        sys.stderr.write('[bench] no plotting interpreter (%s): plots skipped\n' % python)
        return []
    proc = subprocess.run([python, os.path.join(BENCH_DIR, 'plot.py'), results, perf_dir],
                          stdout=subprocess.PIPE, universal_newlines=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write('[bench] plotting failed: plots skipped\n')
        return []
    return [line.strip() for line in proc.stdout.splitlines() if line.strip().endswith('.png')]


def console(data, table, rows):
    lines = ['', 'scenario      N  phase   wall s   cpu s  rss MiB  requests  changed']
    for (s, n, phase) in sorted(table):
        t = table[(s, n, phase)]
        lines.append('%-8s %6d  %-6s %7.2f %7.2f %8.0f %9d %8d' % (
            s, n, phase, t['wall'], t['cpu'], t['rss_mib'], t['requests'], t['changed']))
    lines.append('')
    for n in data['hosts']:
        for phase in ('first', 'rerun'):
            a = table.get(('A', n, phase), {}).get('wall')
            b = table.get(('B', n, phase), {}).get('wall')
            c = table.get(('C', n, phase), {}).get('wall')
            lines.append('N=%-4d %-6s A/B %s  A/C %s' % (n, phase, fmt(ratio(a, b)), fmt(ratio(a, c))))
    lines.append('')
    for name, value, ok in rows:
        lines.append('[%s] %s: %s' % ('N/A   ' if ok is None else 'HOLDS ' if ok else 'MISSED', name, value))
    return lines


def render(data, table, rows, plots, out_dir):
    env = data['environment']
    hosts = data['hosts']
    labels = data['labels']
    out = []
    w = out.append
    w('# Performance')
    w('')
    if data.get('merged'):
        w('Generated by %d concurrent `benchmarks/run` processes on one snapshot of the collection, started %s,'
          % (data['merged'], data['started']))
        w('merged by `benchmarks/report.py` (see "Read this first" in the analysis for why). Do not edit by hand:')
        w('the numbers, tables, plots and verdicts come from those runs; the analysis at the end is')
        w('`benchmarks/analysis.md`.')
    else:
        w('Generated by `make bench` (`benchmarks/run%s`) on %s, in %.0f s. Do not edit by hand: the'
          % (' --quick' if data['quick'] else '', data['started'], data['duration']))
        w('numbers, tables, plots and verdicts come from that one run; the analysis at the end is')
        w('`benchmarks/analysis.md`.')
    w('')
    w('## Targets')
    w('')
    w('| Target | Measured | Holds |')
    w('|---|---|---|')
    for name, value, ok in rows:
        w('| %s | %s | %s |' % (name, value, '**not measured**' if ok is None else '**yes**' if ok else '**no**'))
    w('')
    for note in data['notes']:
        w('- Note: %s' % note)
    if data['failures']:
        w('- **%d run(s) failed**: their numbers are not comparable.' % data['failures'])
    w('')
    w('## Environment')
    w('')
    w('- CPUs: %s (%s)' % (env['cpus'], env['cpu_model'] or 'unknown model'))
    w('- Python (controller and targets): %s (`%s`)' % (env['python'], env['python_path']))
    w('- %s' % env['ansible'])
    w('- Platform: %s' % env['platform'])
    w('- forks = %d, local connection, `ansible_python_interpreter` set, default ansible.cfg settings'
      ' (no pipelining), default stdout callback, `gather_facts: false` in B and C' % env['forks'])
    w('- Emulator: `tests/jira_emulator` as a separate process, Jira Cloud mode, plain HTTP on 127.0.0.1'
      ' (`allow_insecure_http: true`); its CPU is not counted as controller CPU')
    w('- The API token comes from Ansible Vault (`encrypt_string` in group_vars) in every scenario')
    w('- Repetitions: %d for N <= 100, %d for larger N; medians are shown' % (data['repeat'], data['repeat_large']))
    w('- Load avg: the 1-minute load average around each run (2 cores; anything above 2 means other work was'
      ' competing for the CPUs, which stretches wall time far more than CPU time)')
    w('')
    w('## Method')
    w('')
    w('Scenarios on N inventory hosts, each writing its own file (`<tmp>/<scenario>/<host>.yml`, same bytes):')
    w('')
    w('- **A** `playbooks/provision.yml` (role `jira_integration`; `jira_integration_deployment: cloud`).')
    w('- **B** what a user would write by hand: per host `ansible.builtin.uri` GET `/rest/api/3/myself` with basic'
      ' auth (`force_basic_auth`), then `ansible.builtin.template` of the same content, both with `no_log`.')
    w('- **C** bare `ansible.builtin.copy` of the same content: the floor for writing a file with Ansible.')
    w('')
    w('Each scenario has a first run (files absent) and a re-run (nothing to change). Runs alternate A/B/C, the')
    w('order rotating per N and repetition, in one benchmark run. Wall time is measured around `ansible-playbook`;')
    w('controller CPU is user+sys of `ansible-playbook` and all processes it waited for (workers, and the module')
    w('processes: with a local connection they run on the controller too), from `wait4`; peak RSS is the')
    w('largest single process of that tree (`ru_maxrss`); requests are what the emulator received during the')
    w('run (`/_emulator/total`). Per-task times come from `benchmarks/callback_plugins/bench_timing.py` (core has')
    w('no `profile_tasks`; that one is in ansible.posix).')
    w('')
    w('## Results')
    w('')
    w('| Scenario | N | Run | Wall s | CPU s | Peak RSS MiB | Jira requests | changed | Load avg |')
    w('|---|---:|---|---:|---:|---:|---:|---:|---:|')
    for s in labels:
        for n in hosts:
            for phase in ('first', 'rerun'):
                t = table.get((s, n, phase))
                if not t:
                    continue
                w('| %s | %d | %s | %.2f | %.2f | %.0f | %d | %d | %s |' % (
                    s, n, 're-run' if phase == 'rerun' else 'first', t['wall'], t['cpu'], t['rss_mib'],
                    t['requests'], t['changed'], fmt(t.get('load'), '%.1f')))
    w('')
    w('Ratios (wall time; CPU time in brackets):')
    w('')
    w('| N | Run | A/B | A/C | B/C |')
    w('|---:|---|---:|---:|---:|')
    for n in hosts:
        for phase in ('first', 'rerun'):
            def g(s, m):
                return table.get((s, n, phase), {}).get(m)
            cells = []
            for x, y in (('A', 'B'), ('A', 'C'), ('B', 'C')):
                cells.append('%s (%s)' % (fmt(ratio(g(x, 'wall'), g(y, 'wall'))), fmt(ratio(g(x, 'cpu'), g(y, 'cpu')))))
            w('| %d | %s | %s |' % (n, 're-run' if phase == 'rerun' else 'first', ' | '.join(cells)))
    w('')
    if 'A' in labels and len(hosts) > 1:
        w('Growth of A: ' + ', '.join('time(%d)/time(%d) first %s, re-run %s' % (
            hosts[i + 1], hosts[i],
            fmt(ratio(table.get(('A', hosts[i + 1], 'first'), {}).get('wall'), table.get(('A', hosts[i], 'first'), {}).get('wall'))),
            fmt(ratio(table.get(('A', hosts[i + 1], 'rerun'), {}).get('wall'), table.get(('A', hosts[i], 'rerun'), {}).get('wall'))))
            for i in range(len(hosts) - 1)) + '.')
        w('')
    for png in plots:
        rel = os.path.relpath(png, out_dir)
        w('![%s](%s)' % (os.path.splitext(os.path.basename(png))[0].replace('_', ' '), rel))
        w('')
    cred = data['extra'].get('credentials')
    if cred:
        w('### jira_credentials_info alone vs ansible.builtin.uri GET /myself')
        w('')
        w('One task on %d hosts (forks %d), alternating; the task time is from its start to the end of the play.'
          % (cred['hosts'], data['forks']))
        w('')
        w('| Module | Task s (median) | Playbook wall s | CPU s | Requests |')
        w('|---|---:|---:|---:|---:|')
        for which, title in (('info', 'integrations.jira.jira_credentials_info (deployment: cloud)'),
                             ('uri', 'ansible.builtin.uri')):
            rs = [c for c in cred['runs'] if c['which'] == which]
            w('| %s | %s | %s | %s | %s |' % (
                title, fmt(med([c['task'] for c in rs])), fmt(med([c['wall'] for c in rs])),
                fmt(med([c['cpu'] for c in rs])), fmt(med([c['requests'] for c in rs]), '%d')))
        w('')
    if 'A' in labels:
        n = 100 if 100 in hosts else hosts[-1]
        for phase in ('first', 'rerun'):
            rowsb = task_breakdown(data, 'A', n, phase)
            if not rowsb:
                continue
            total = sum(r[2] or 0 for r in rowsb)
            w('### Where the time goes: A, N = %d, %s (per task, median seconds)' % (n, 're-run' if phase == 'rerun' else 'first run'))
            w('')
            w('| Task | Action | Seconds | Share | Results | Skipped | Changed |')
            w('|---|---|---:|---:|---:|---:|---:|')
            for name, action, secs, results, changed, skipped in rowsb:
                w('| %s | %s | %.2f | %.0f%% | %d | %d | %d |' % (
                    name.replace('|', '/').replace('integrations.jira.jira_integration : ', ''), action, secs or 0,
                    100.0 * (secs or 0) / total if total else 0, results, skipped, changed))
            w('')
        for s in ('B', 'C'):
            rowsb = task_breakdown(data, s, n, 'rerun')
            if rowsb:
                w('%s, N = %d, re-run: ' % (s, n) + '; '.join('%s (%s) %.2f s' % (r[0], r[1], r[2] or 0) for r in rowsb) + '.')
                w('')
    prof = data['extra'].get('profile')
    if prof and prof.get('top'):
        w('### cProfile of the controller process, A, N = %d, %s (top by cumulative time)' % (prof['n'], prof['phase']))
        w('')
        w('<details><summary>pstats</summary>')
        w('')
        w('```')
        for line in prof['top'].splitlines()[:45]:
            w(line.rstrip()[:160])
        w('```')
        w('')
        w('</details>')
        w('')
    analysis = os.path.join(BENCH_DIR, 'analysis.md')
    if os.path.exists(analysis):
        with open(analysis) as handle:
            w(handle.read().rstrip())
        w('')
    w('## Reproduce')
    w('')
    w('    make bench                    # full run (about 20 minutes on 2 cores), rewrites docs/performance*')
    w('    benchmarks/run --quick        # smoke check of the harness (< 3 minutes), writes build/bench/')
    w('    benchmarks/run --hosts 10,50 --scenarios A,C --keep   # ad hoc; --keep keeps the logs')
    w('')
    w('Raw measurements: `%s`.' % os.path.relpath(os.path.join(out_dir, 'performance', 'results.json'), out_dir))
    w('')
    return '\n'.join(out)


def merge(paths):
    """One report from several results.json of concurrent runs on the same snapshot (a busy machine)."""
    parts = []
    for path in paths:
        with open(path) as handle:
            parts.append(json.load(handle))
    data = dict(parts[0])
    data['runs'] = [r for p in parts for r in p['runs']]
    data['hosts'] = sorted(set(n for p in parts for n in p['hosts']))
    data['labels'] = [s for s in ('A', 'B', 'C') if any(s in p['labels'] for p in parts)]
    data['extra'] = {}
    for p in parts:
        data['extra'].update(p['extra'])
    data['notes'] = []
    for p in parts:
        for note in p['notes']:
            if note not in data['notes'] and not note.startswith('PARTIAL'):
                data['notes'].append(note)
    data['notes'].append('This report merges %d benchmark processes that ran (partly) at the same time on the same '
                         'snapshot (%s), each alternating its own scenarios; see "Read this first".'
                         % (len(parts), '; '.join('N=%s %s' % (','.join(str(n) for n in p['hosts']), ','.join(p['labels']))
                                                  for p in parts)))
    data['failures'] = sum(p['failures'] for p in parts)
    data['duration'] = max(p['duration'] for p in parts)
    data['started'] = min(p['started'] for p in parts)
    data['repeat'] = max(p['repeat'] for p in parts)
    data['repeat_large'] = max(p['repeat_large'] for p in parts)
    data['quick'] = False
    data['merged'] = len(parts)
    return data


def from_log(path, like):
    """Runs recovered from a benchmark's progress log (stderr), for a process that has not written its
    results.json yet; per-task times are not in the log. ``like`` is a results.json for the other fields."""
    import re
    with open(like) as handle:
        data = json.load(handle)
    runs, current = [], None
    with open(path) as handle:
        lines = handle.readlines()
    for line in lines:
        m = re.search(r'\] rep (\d+) N=(\d+) ([ABC]) (first|rerun)$', line.rstrip())
        if m:
            current = dict(rep=int(m.group(1)) - 1, n=int(m.group(2)), scenario=m.group(3), phase=m.group(4))
            continue
        m = re.search(r'wall ([\d.]+)s cpu ([\d.]+)s rss (\d+)MiB requests (\d+) changed (\d+) load ([\d.]+)', line)
        if m and current:
            current.update(wall=float(m.group(1)), cpu=float(m.group(2)), rss_mib=float(m.group(3)),
                           requests=int(m.group(4)), changed=int(m.group(5)), load=float(m.group(6)), rc=0,
                           tasks=[], counts={})
            runs.append(current)
            current = None
    data.update(runs=runs, hosts=sorted(set(r['n'] for r in runs)),
                labels=[s for s in ('A', 'B', 'C') if any(r['scenario'] == s for r in runs)], extra={},
                notes=['Runs of %s recovered from its progress log (no per-task times).' % os.path.basename(path)])
    return data


if __name__ == '__main__':
    # python benchmarks/report.py OUT_DIR RESULTS.json|LOG=progress.log [...]
    #   LOG=file reads the runs a still-running or interrupted benchmark printed (needs one RESULTS.json too).
    jsons = [a for a in sys.argv[2:] if not a.startswith('LOG=')]
    parts = list(jsons)
    tmp = []
    for arg in sys.argv[2:]:
        if arg.startswith('LOG='):
            recovered = from_log(arg[4:], jsons[0])
            path = os.path.join(os.path.abspath(sys.argv[1]), 'recovered-%d.json' % len(tmp))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w') as handle:
                json.dump(recovered, handle)
            tmp.append(path)
            parts.append(path)
    try:
        write(merge(parts), os.path.abspath(sys.argv[1]))
    finally:
        for path in tmp:
            os.unlink(path)
