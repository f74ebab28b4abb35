#!/usr/bin/env python
"""Benchmarks of integrations.jira against the local Jira emulator.

    benchmarks/run            # full run: N = 10, 100, 300; writes docs/performance.md and its plots
    benchmarks/run --quick    # harness smoke check: N = 10, 30, one repetition, writes build/bench/

Scenarios, each on N inventory hosts (local connection, forks 20, every host writing its own file):
  A  this collection's playbooks/provision.yml (the jira_integration role);
  B  what a user would write by hand: per host ansible.builtin.uri GET /rest/api/3/myself with basic
     auth, then ansible.builtin.template of the same content with no_log;
  C  bare ansible.builtin.copy of the same content.
Each scenario has a first run (files absent) and a re-run (nothing to change). The runs alternate
A/B/C (the order rotates per N and repetition) so machine drift spreads over all three.

Per run: wall time, controller CPU time (user+sys of ansible-playbook and every process it waited
for: workers and module processes, from wait4's rusage), peak RSS (largest single process of that
tree, wait4's ru_maxrss), requests the emulator received, and per-task times (bench_timing callback).
Targets are reported, never asserted: the exit status is 0 when every run completed, whatever the
numbers say.
"""

import argparse
import datetime
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)
PLAYBOOKS = os.path.join(BENCH_DIR, 'playbooks')
PROVISION = os.path.join(REPO, 'playbooks', 'provision.yml')
BIN_DIR = os.path.dirname(sys.executable)
FORKS = 20
USERNAME = 'svc-bench@example.com'
PROJECT = 'OPS'

# The file every scenario writes, byte for byte what jira_integration_config writes for format yaml
# (checked after the first runs: see check_same_content).
CONTENT_TEMPLATE = ('url: "{{ bench_jira_url }}"\n'
                    'username: "{{ bench_jira_username }}"\n'
                    'api_token: "{{ bench_jira_api_token }}"\n')

SCENARIOS = ('A', 'B', 'C')
SCENARIO_TITLES = {
    'A': 'A: integrations.jira provision playbook',
    'B': 'B: uri GET /myself per host + template (by hand)',
    'C': 'C: bare copy',
}


def log(msg):
    sys.stderr.write('[bench %s] %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


class Emulator(object):
    """The emulator as a separate process (its CPU is not the controller's)."""

    def __init__(self, work, token):
        config = dict(mode='cloud', accounts=[dict(
            email=USERNAME, display_name='Benchmark Bot', tokens=[token],
            groups=['jira-software-users'],
            permissions={PROJECT: ['BROWSE_PROJECTS', 'CREATE_ISSUES', 'EDIT_ISSUES', 'ADD_COMMENTS']})],
            projects=[dict(key=PROJECT, name='Operations')])
        path = os.path.join(work, 'emulator.json')
        with open(path, 'w') as handle:
            json.dump(config, handle)
        env = dict(os.environ, PYTHONPATH=os.path.join(REPO, 'tests'))
        self.proc = subprocess.Popen([sys.executable, '-m', 'jira_emulator', '--mode', 'cloud', '--port', '0',
                                      '--config', path], stdout=subprocess.PIPE, env=env, cwd=REPO)
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit('the emulator did not start')
        self.info = json.loads(line)
        self.url = self.info['url']

    def _call(self, method, path):
        req = urllib.request.Request(self.url.rstrip('/') + path, method=method, data=b'' if method == 'POST' else None)
        # The emulator is on loopback: never through a proxy named in the environment.
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10) as resp:
            return json.loads(resp.read() or b'{}')

    def reset(self):
        self._call('POST', '/_emulator/reset')

    def counts(self):
        return self._call('GET', '/_emulator/counts')

    def total(self):
        return self._call('GET', '/_emulator/total')['total']

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Workspace(object):
    """Temp dir with the collection link, a vault, inventories and per-scenario output dirs."""

    def __init__(self, root, emulator, token, collection=REPO):
        self.root = root
        self.emulator = emulator
        colls = os.path.join(root, 'collections', 'ansible_collections', 'integrations')
        os.makedirs(colls)
        os.symlink(collection, os.path.join(colls, 'jira'))
        self.collections = os.path.join(root, 'collections')
        self.vault_password_file = os.path.join(root, 'vault-password')
        with open(self.vault_password_file, 'w') as handle:
            handle.write(secrets.token_urlsafe(16) + '\n')
        self.template_path = os.path.join(root, 'jira.yml.j2')
        with open(self.template_path, 'w') as handle:
            handle.write(CONTENT_TEMPLATE)
        self.inventory_dir = os.path.join(root, 'inventory')
        os.makedirs(os.path.join(self.inventory_dir, 'group_vars', 'all'))
        self._write_group_vars(token)
        self.env = self._env()

    def _env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_')}
        env.update(
            ANSIBLE_COLLECTIONS_PATH=self.collections,
            ANSIBLE_CALLBACK_PLUGINS=os.path.join(BENCH_DIR, 'callback_plugins'),
            ANSIBLE_CALLBACKS_ENABLED='bench_timing',
            ANSIBLE_VAULT_PASSWORD_FILE=self.vault_password_file,
            ANSIBLE_LOCAL_TEMP=os.path.join(self.root, 'ansible-local'),
            ANSIBLE_REMOTE_TEMP=os.path.join(self.root, 'ansible-remote'),
            ANSIBLE_RETRY_FILES_ENABLED='false',
            ANSIBLE_HOST_KEY_CHECKING='false',
            ANSIBLE_FORKS=str(FORKS),
            ANSIBLE_NOCOLOR='1',
            ANSIBLE_CONFIG=os.path.join(self.root, 'ansible.cfg'),
        )
        with open(env['ANSIBLE_CONFIG'], 'w') as handle:
            handle.write('[defaults]\n')
        return env

    def _write_group_vars(self, token):
        out = subprocess.run([os.path.join(BIN_DIR, 'ansible-vault'), 'encrypt_string', '--vault-password-file',
                              self.vault_password_file, '--stdin-name', 'bench_vault_token'],
                             input=token.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
        with open(os.path.join(self.inventory_dir, 'group_vars', 'all', 'vault.yml'), 'w') as handle:
            handle.write('---\n' + out.stdout.decode())
        main = dict(
            ansible_connection='local',
            ansible_python_interpreter=sys.executable,
            bench_root=self.root,
            bench_jira_url=self.emulator.url,
            bench_jira_username=USERNAME,
            bench_jira_api_token='{{ bench_vault_token }}',
            bench_template_path=self.template_path,
            bench_config_content=CONTENT_TEMPLATE,
            bench_config_path='{{ bench_root }}/{{ bench_scenario }}/{{ inventory_hostname }}.yml',
            # Scenario A: the role's variables, the way a user sets them (token from the vault).
            jira_integration_url='{{ bench_jira_url }}',
            jira_integration_username='{{ bench_jira_username }}',
            jira_integration_api_token='{{ bench_vault_token }}',
            jira_integration_allow_insecure_http=True,
            jira_integration_deployment='cloud',
            jira_integration_config_path='{{ bench_config_path }}',
            jira_integration_fact_path='{{ bench_root }}/{{ bench_scenario }}/facts/{{ inventory_hostname }}.fact',
        )
        with open(os.path.join(self.inventory_dir, 'group_vars', 'all', 'main.yml'), 'w') as handle:
            handle.write('---\n')
            json.dump(main, handle, indent=2)  # JSON is YAML
            handle.write('\n')

    def inventory(self, n):
        path = os.path.join(self.inventory_dir, 'hosts_%d.yml' % n)
        if not os.path.exists(path):
            hosts = dict(('host%03d' % i, None) for i in range(1, n + 1))
            data = dict(all=dict(children=dict(bench=dict(hosts=hosts), jira_integration=dict(hosts=hosts))))
            with open(path, 'w') as handle:
                json.dump(data, handle, indent=1)
        return path

    def scenario_dir(self, label):
        return os.path.join(self.root, label)

    def clean(self, label):
        path = self.scenario_dir(label)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)


def run_playbook(ws, playbook, n, label, extra_vars=None, log_name=None, profile=None):
    """One ansible-playbook run; returns the measurements."""
    timing_file = os.path.join(ws.root, 'timing-%s.json' % (log_name or label))
    env = dict(ws.env, BENCH_TIMING_FILE=timing_file)
    cmd = [os.path.join(BIN_DIR, 'ansible-playbook'), '-i', ws.inventory(n), '-f', str(FORKS),
           '-e', 'bench_scenario=%s' % label]
    for key, value in (extra_vars or {}).items():
        cmd += ['-e', json.dumps({key: value})]
    cmd.append(playbook)
    if profile:
        cmd = [sys.executable, '-m', 'cProfile', '-o', profile] + cmd
    log_path = os.path.join(ws.root, 'logs', '%s.log' % (log_name or label))
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    ws.emulator.reset()
    load_before = os.getloadavg()[0]
    with open(log_path, 'wb') as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ws.root)
        try:
            dummy_pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.terminate()
            proc.wait()
            raise
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    load = (load_before + os.getloadavg()[0]) / 2.0
    counts = ws.emulator.counts()
    total = ws.emulator.total()
    tasks = []
    if os.path.exists(timing_file):
        with open(timing_file) as handle:
            tasks = json.load(handle)['tasks']
        os.unlink(timing_file)
    changed = sum(t['changed'] for t in tasks)
    result = dict(rc=proc.returncode, wall=wall, cpu=usage.ru_utime + usage.ru_stime, cpu_user=usage.ru_utime,
                  cpu_sys=usage.ru_stime, rss_mib=usage.ru_maxrss / 1024.0, requests=total, counts=counts,
                  changed=changed, tasks=tasks, log=log_path, load=load)
    if proc.returncode != 0:
        with open(log_path, 'rb') as handle:
            tail = handle.read()[-3000:].decode('utf-8', 'replace')
        log('FAILED (rc %d): %s\n%s' % (proc.returncode, ' '.join(cmd[-3:]), tail))
    return result


def scenario_playbook(label):
    return PROVISION if label == 'A' else os.path.join(PLAYBOOKS, 'scenario_%s.yml' % label.lower())


def check_same_content(ws, labels):
    """Every scenario must have written the same bytes (else the comparison is unfair)."""
    seen = {}
    for label in labels:
        path = os.path.join(ws.scenario_dir(label), 'host001.yml')
        if os.path.exists(path):
            with open(path, 'rb') as handle:
                seen[label] = handle.read()
    return len(set(seen.values())) <= 1, sorted(seen)


def median(values):
    return statistics.median(values) if values else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='N = 10, 30, one repetition (harness smoke check)')
    parser.add_argument('--hosts', help='comma-separated host counts (default 10,100,300; quick 10,30)')
    parser.add_argument('--repeat', type=int, help='repetitions of the N <= 100 runs (default 1)')
    parser.add_argument('--repeat-large', type=int, help='repetitions of the N > 100 runs (default 1)')
    parser.add_argument('--scenarios', default='A,B,C')
    parser.add_argument('--out', help='output directory of the report (default docs/, quick build/bench/)')
    parser.add_argument('--no-extra', action='store_true', help='only the A/B/C runs (experiments)')
    parser.add_argument('--no-profile', action='store_true', help='skip the cProfile run of scenario A')
    parser.add_argument('--collection', help='run scenario A from another checkout of the collection (experiments)')
    parser.add_argument('--keep', action='store_true', help='keep the temp dir (logs) for inspection')
    parser.add_argument('--make-snapshot', metavar='DIR',
                        help='copy the collection to DIR and exit (for several concurrent runs on one version)')
    args = parser.parse_args(argv)
    if args.make_snapshot:
        dest = os.path.abspath(args.make_snapshot)
        text = 'snapshot taken %s UTC of %s' % (time.strftime('%H:%M', time.gmtime()), describe(REPO))
        snapshot(REPO, dest)
        with open(os.path.join(dest, 'SNAPSHOT_OF'), 'w') as handle:
            handle.write(text + '\n')
        log(text)
        return 0

    global PROVISION
    collection = os.path.abspath(args.collection or REPO)
    quick = args.quick
    hosts = [int(x) for x in (args.hosts or ('10,30' if quick else '10,100,300')).split(',')]
    repeat = args.repeat or 1
    repeat_large = args.repeat_large or 1
    labels = [s for s in args.scenarios.split(',') if s]
    notes = []
    if 'A' in labels and not os.path.exists(os.path.join(collection, 'playbooks', 'provision.yml')):
        labels.remove('A')
        notes.append('playbooks/provision.yml does not exist (yet): scenario A was skipped.')
        log(notes[-1])
    out_dir = os.path.abspath(args.out or (os.path.join(REPO, 'build', 'bench') if quick else os.path.join(REPO, 'docs')))

    started = time.time()
    runs = []
    extra = {}
    state = dict(failures=0)

    def write_report(partial=False):
        data = dict(
            started=datetime.datetime.fromtimestamp(started, datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC'),
            duration=time.time() - started, quick=quick, hosts=hosts, repeat=repeat, repeat_large=repeat_large,
            labels=labels, forks=FORKS, environment=environment(), runs=runs, extra=extra,
            notes=notes + (['PARTIAL: the run was still going (or was interrupted) when this report was written.']
                           if partial else []),
            failures=state['failures'])
        import report  # noqa: E402  (benchmarks/report.py, same directory)
        report.write(data, out_dir, quiet=partial)
        return data

    signal.signal(signal.SIGTERM, _terminate)
    root = tempfile.mkdtemp(prefix='jira-bench-')
    # A snapshot of the collection: a run takes many minutes in a checkout others keep changing.
    source = collection
    collection = snapshot(collection, os.path.join(root, 'snapshot'))
    PROVISION = os.path.join(collection, 'playbooks', 'provision.yml')
    notes.append('Collection measured: %s.' % describe(source))
    token = secrets.token_urlsafe(24)
    emulator = Emulator(root, token)
    try:
        ws = Workspace(root, emulator, token, collection)
        # Warm-up (page cache, .pyc files) so the first measured run is not penalised.
        for label in ([] if quick else labels):
            ws.clean(label)
            run_playbook(ws, scenario_playbook(label), 2, label, log_name='warmup-%s' % label)
        plan = []
        for rep in range(max(repeat, repeat_large)):
            # N = 100 and 300 first: the targets need them, and an interrupted run keeps them.
            for i, n in enumerate(sorted(hosts, key=lambda n: (n not in (100, 300), n))):
                if rep >= (repeat if n <= 100 else repeat_large):
                    continue
                k = (rep + i) % len(labels)
                plan.append((rep, n, labels[k:] + labels[:k]))
        for rep, n, order in plan:
            for label in order:
                ws.clean(label)
                for phase in ('first', 'rerun'):
                    log('rep %d N=%d %s %s' % (rep + 1, n, label, phase))
                    res = run_playbook(ws, scenario_playbook(label), n, label,
                                       log_name='%s-%d-%s-%d' % (label, n, phase, rep))
                    res.update(scenario=label, n=n, phase=phase, rep=rep)
                    runs.append(res)
                    state['failures'] += res['rc'] != 0
                    log('  wall %.2fs cpu %.2fs rss %.0fMiB requests %d changed %d load %.1f'
                        % (res['wall'], res['cpu'], res['rss_mib'], res['requests'], res['changed'], res['load']))
            same, which = check_same_content(ws, order)
            if not same:
                notes.append('N=%d: scenarios %s wrote different file content.' % (n, ', '.join(which)))
                log(notes[-1])
            # A report after every block, so an interrupted run still leaves its numbers behind.
            write_report(partial=True)

        if 'A' in labels and not (args.no_profile or args.no_extra or quick):
            # A re-run under cProfile (controller process only; workers are forks it does not follow), on
            # the files the last A run left.
            # Every N up to the last A run's is a re-run there.
            last = [r['n'] for r in runs if r['scenario'] == 'A'][-1]
            n = 100 if last >= 100 else last
            prof = os.path.join(root, 'A.prof')
            log('cProfile of A re-run, N=%d' % n)
            res = run_playbook(ws, PROVISION, n, 'A', log_name='profile-rerun', profile=prof)
            extra['profile'] = dict(n=n, phase='rerun', wall=res['wall'], top=profile_top(prof))
        if 'A' in labels and not args.no_extra:
            # Requests per play with one checked project (target: 1 + 1 per project).
            ws.clean('A')
            res = run_playbook(ws, PROVISION, hosts[0], 'A', extra_vars=dict(jira_integration_projects=[PROJECT]),
                               log_name='A-project')
            state['failures'] += res['rc'] != 0
            extra['a_with_project'] = dict(n=hosts[0], requests=res['requests'], counts=res['counts'], rc=res['rc'])
            log('A with one project, N=%d: %d requests' % (hosts[0], res['requests']))

        # jira_credentials_info alone vs uri GET /myself alone, one task on M hosts.
        m = 20
        cred = []
        for rep in range(0 if args.no_extra else 1 if quick else 3):
            for label in (('info', 'uri') if rep % 2 == 0 else ('uri', 'info')):
                book = os.path.join(PLAYBOOKS, 'credentials_info.yml' if label == 'info' else 'uri_myself.yml')
                res = run_playbook(ws, book, m, 'X', log_name='cred-%s-%d' % (label, rep))
                state['failures'] += res['rc'] != 0
                task = res['tasks'][-1]['seconds'] if res['tasks'] else None
                cred.append(dict(which=label, rep=rep, wall=res['wall'], cpu=res['cpu'], task=task,
                                 requests=res['requests'], rc=res['rc']))
                log('cred %s: task %.2fs wall %.2fs cpu %.2fs' % (label, task or 0, res['wall'], res['cpu']))
        if cred:
            extra['credentials'] = dict(hosts=m, runs=cred)

    except BaseException:
        emulator.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        raise
    emulator.stop()

    data = write_report()
    failures = state['failures']
    if args.keep:
        log('kept %s' % root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    log('done in %.0fs; %d failed run(s); report in %s' % (data['duration'], failures, out_dir))
    return 1 if failures else 0


SNAPSHOT_PARTS = ('galaxy.yml', 'meta', 'plugins', 'roles', 'playbooks')


def snapshot(src, dest):
    os.makedirs(dest)
    if os.path.exists(os.path.join(src, 'SNAPSHOT_OF')):
        shutil.copy2(os.path.join(src, 'SNAPSHOT_OF'), dest)
    for part in SNAPSHOT_PARTS:
        path = os.path.join(src, part)
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(dest, part), ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        elif os.path.exists(path):
            shutil.copy2(path, dest)
    return dest


def describe(src):
    """The commit and whether the measured parts differ from it."""
    if os.path.exists(os.path.join(src, 'SNAPSHOT_OF')):  # benchmarks/bench.py --make-snapshot
        with open(os.path.join(src, 'SNAPSHOT_OF')) as handle:
            return handle.read().strip()

    def git(*cmd):
        return subprocess.run(('git', '-C', src) + cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              universal_newlines=True, check=False).stdout.rstrip()
    head = git('log', '-1', '--format=%h %s')
    if not head:
        return src
    dirty = git('status', '--porcelain', '--', *SNAPSHOT_PARTS)
    return 'commit %s%s' % (head, ' plus uncommitted changes in: ' + ', '.join(
        sorted(set(line[3:] for line in dirty.splitlines()))) if dirty else '')


def _terminate(signum, frame):
    raise SystemExit('terminated (signal %d)' % signum)


def profile_top(path, limit=30):
    import io
    import pstats
    if not os.path.exists(path):
        return ''
    buf = io.StringIO()
    stats = pstats.Stats(path, stream=buf)
    stats.sort_stats('cumulative').print_stats(limit)
    text = buf.getvalue()
    return text[text.find('   ncalls'):] if '   ncalls' in text else text


def environment():
    version = subprocess.run([os.path.join(BIN_DIR, 'ansible'), '--version'], stdout=subprocess.PIPE,
                             universal_newlines=True, check=False).stdout.splitlines()[0]
    model = ''
    try:
        with open('/proc/cpuinfo') as handle:
            for line in handle:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return dict(cpus=os.cpu_count(), cpu_model=model, python=platform.python_version(),
                python_path=sys.executable.replace(REPO + os.sep, ''), ansible=version,
                platform=platform.platform(), forks=FORKS)


if __name__ == '__main__':
    sys.path.insert(0, BENCH_DIR)
    sys.exit(main())
