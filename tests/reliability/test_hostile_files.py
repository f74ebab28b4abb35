"""A hostile existing config file (planted by a local user, or simply odd) never crashes the config writer or
reader: YAML dates and non-string keys are kept by a merge and shown as text; a self-referencing alias, an
alias bomb, nesting thousands of levels deep (YAML and JSON) are answered with a clear error in bounded time and
memory and the file is left alone; an ini token containing U+2028 is read, merged and masked the way
configparser sees it. Every run goes through the leak scan.

Real module runs: jira_integration_config (merge, --diff) and jira_integration_config_info through
ansible-playbook, batched one task per file; the alias bomb also through the module process alone, to
measure its own time and peak memory (os.wait4).
"""

import base64
import configparser
import datetime
import json
import os
import resource
import subprocess
import sys
import time

import yaml

from support.ansible import ansible_env, run_playbook, to_unsafe_yaml
from support.collection import COLLECTIONS_DIR, REPO_ROOT
from support.leakscan import exposure_env, new_workdir, scan_run

TOKEN = 'ATATT3xReliabilityHostile' + base64.urlsafe_b64encode(os.urandom(18)).decode('ascii').rstrip('=')
USER = 'svc-ansible@example.com'
URL = 'https://tenant.atlassian.net'
# A token planted in the existing file; it must not show in any output either.
OLD_TOKEN = 'ATATT3xPlantedOld' + base64.urlsafe_b64encode(os.urandom(18)).decode('ascii').rstrip('=')
# The two halves of an ini token around U+2028 (str.splitlines() splits there, configparser does not).
HALF_A = 'FirstHalf' + base64.b32encode(os.urandom(10)).decode('ascii')
HALF_B = 'SecondHalf' + base64.b32encode(os.urandom(10)).decode('ascii')


def alias_bomb(levels=9, width=10):
    """A few hundred bytes that expand to width**levels values."""
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels):
        lines.append('a%d: &a%d [%s]' % (i, i, ', '.join(['*a%d' % (i - 1)] * width)))
    lines.append('api_token: "%s"' % OLD_TOKEN)
    lines.append('payload: *a%d' % (levels - 1))
    return '\n'.join(lines) + '\n'


TYPED_YAML = (u'url: https://old.example.com\napi_token: "%s"\nexpires_on: 2027-03-01\n'
              u'rotated: 2026-12-01 10:30:00+05:30\n7: seven\n2027-03-01: a date key\nratio: 1.5\nenabled: yes\n'
              u'nothing: null\nnested: {when: 2027-03-02, list: [1, 2.5, false]}\n') % OLD_TOKEN

# (case id, format, file name, content, merge ok?, words the writer's message and the reader's problem name)
FILES = [
    ('yaml dates and integer keys', 'yaml', 'typed.yml', TYPED_YAML, True, ()),
    ('yaml self-referencing alias', 'yaml', 'loop.yml',
     'api_token: "%s"\nloop: &a [1, *a]\n' % OLD_TOKEN, False, ('alias', 'itself')),
    ('yaml alias bomb', 'yaml', 'bomb.yml', alias_bomb(), False, ('alias',)),
    ('yaml nested 20000 levels (flow)', 'yaml', 'deep-flow.yml',
     'api_token: "%s"\nx: %s%s\n' % (OLD_TOKEN, '[' * 20000, ']' * 20000), False, ('deeper',)),
    ('yaml nested 5000 levels (block)', 'yaml', 'deep-block.yml',
     'api_token: "%s"\nx:\n  %sy\n' % (OLD_TOKEN, '- ' * 5000), False, ('deeper',)),
    ('json nested 100000 levels', 'json', 'deep.json',
     '{"api_token": "%s", "x": %s%s}' % (OLD_TOKEN, '[' * 100000, ']' * 100000), False, ('deeper',)),
    ('ini token with U+2028', 'ini', 'ls.ini',
     u'[jira]\nurl = https://old.example.com\napi_token = %s\u2028%s\n' % (HALF_A, HALF_B), True, ()),
]
SECRETS = (OLD_TOKEN, HALF_A, HALF_B)


def _write(path, text):
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)
    os.chmod(path, 0o600)


def _read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def _play(tasks):
    body = ''.join('    - name: %s\n      %s: %s\n      ignore_errors: true\n' % (json.dumps(name), module, to_unsafe_yaml(args, ascii_only=True))
                   for name, module, args in tasks)
    return '- hosts: all\n  gather_facts: false\n  tasks:\n' + body


def _run(workdir, tasks, diff=False):
    pb = os.path.join(workdir, 'play.yml')
    with open(pb, 'w', encoding='ascii') as f:
        f.write(_play(tasks))
    return run_playbook(pb, verbosity=2, diff=diff, env=exposure_env(workdir), workdir=workdir, timeout=600)


def _by_task(result):
    return dict((r['task'], r) for r in result.results)


def _scan_all(result, root):
    scan_run(result, TOKEN, USER, name_only_paths=[root])
    for n, secret in enumerate(SECRETS):
        scan_run(result, secret, name_only_paths=[root], label='planted secret %d' % n)


def test_config_writer_merges_or_refuses_hostile_existing_files(reliability_record):
    rec = reliability_record
    workdir = new_workdir('hostile-config')
    root = os.path.join(workdir, 'files')
    os.makedirs(root)
    tasks, paths = [], {}
    for case_id, fmt, name, content, _ok, _words in FILES:
        path = os.path.join(root, name)
        _write(path, content)
        paths[case_id] = path
        tasks.append(('merge: %s' % case_id, 'integrations.jira.jira_integration_config',
                      dict(path=path, format=fmt, url=URL, username=USER, api_token=TOKEN, merge=True)))
    rec.scenario = 'jira_integration_config merge + --diff into %d hostile existing files (batched)' % len(FILES)
    rec.fault = '; '.join(c[0] for c in FILES)
    rec.inputs = len(FILES)
    before = dict((case_id, _read_bytes(p)) for case_id, p in paths.items())
    started = time.monotonic()
    result = _run(workdir, tasks, diff=True)
    elapsed = time.monotonic() - started
    by_task = _by_task(result)
    problems = []
    for case_id, fmt, _name, content, ok, words in FILES:
        r = by_task.get('merge: %s' % case_id)
        if r is None:
            problems.append('%s: no result (%s)' % (case_id, result.stderr[-500:]))
            continue
        out = r['result']
        if (out.get('module_stderr') or '').strip() or 'MODULE FAILURE' in out.get('msg', ''):
            problems.append('%s: crashed: %s' % (case_id, (out.get('module_stderr') or out.get('msg'))[-800:]))
            continue
        if not ok:
            msg = out.get('msg', '')
            if r['status'] != 'failed' or not all(w in msg for w in words) or paths[case_id] not in msg:
                problems.append('%s: expected a clear refusal naming the file and %s, got %s: %s' % (
                    case_id, words, r['status'], msg[:300]))
            if _read_bytes(paths[case_id]) != before[case_id]:
                problems.append('%s: the refused file was changed' % case_id)
            continue
        if r['status'] != 'ok' or not out.get('changed'):
            problems.append('%s: merge did not succeed: %s %s' % (case_id, r['status'], out.get('msg', '')[:300]))
            continue
        diff = json.dumps(out.get('diff'))
        if fmt == 'yaml':
            with open(paths[case_id], encoding='utf-8') as f:
                data = yaml.safe_load(f)
            old = yaml.safe_load(content)
            want = dict(old, url=URL, username=USER, api_token=TOKEN)
            if data != want or not isinstance(data['expires_on'], datetime.date) or isinstance(data['expires_on'], datetime.datetime) or 7 not in data:
                problems.append('%s: merge changed the kept values: %r' % (case_id, data))
            if 'expires_on: 2027-03-01' not in diff or '7: \\"seven\\"' not in diff:
                problems.append('%s: the diff does not show the dates and keys as text: %s' % (case_id, diff[:500]))
        else:
            parser = configparser.RawConfigParser()
            with open(paths[case_id], encoding='utf-8') as f:
                parser.read_file(f)  # fails on a bare line left behind
            if parser.get('jira', 'api_token') != TOKEN or parser.get('jira', 'url') != URL:
                problems.append('%s: configparser reads %r' % (case_id, dict(parser.items('jira'))))
            if out.get('changed_keys') != ['url', 'username', 'api_token']:
                problems.append('%s: changed_keys %r' % (case_id, out.get('changed_keys')))
    try:
        _scan_all(result, root)
    except AssertionError as e:
        problems.append(str(e))
    assert not problems, '\n'.join(problems)
    # Generous for a loaded CI machine; the unbounded reading took minutes (alias bomb, deep YAML).
    assert elapsed < 120, elapsed
    rec.check('dates, timestamps, integer and date keys survive a yaml merge with their types; the diff shows them as text')
    rec.check('ini token with U+2028: merge rewrites the whole value (configparser reads the file and the new token)')
    rec.check('self-referencing alias, alias bomb, deep YAML/JSON: failed with a message naming the file and the problem; '
              'file unchanged')
    rec.check('leak scan: the new token, the planted token and both halves of the U+2028 token appear nowhere')


def test_config_info_reports_hostile_existing_files(reliability_record):
    rec = reliability_record
    workdir = new_workdir('hostile-info')
    root = os.path.join(workdir, 'files')
    os.makedirs(root)
    tasks, paths = [], {}
    for case_id, fmt, name, content, _ok, _words in FILES:
        path = os.path.join(root, name)
        _write(path, content)
        paths[case_id] = path
        tasks.append(('info: %s' % case_id, 'integrations.jira.jira_integration_config_info', dict(path=path, format=fmt)))
    rec.scenario = 'jira_integration_config_info on %d hostile existing files (batched)' % len(FILES)
    rec.fault = '; '.join(c[0] for c in FILES)
    rec.inputs = len(FILES)
    result = _run(workdir, tasks)
    by_task = _by_task(result)
    problems = []
    for case_id, _fmt, _name, _content, ok, words in FILES:
        r = by_task.get('info: %s' % case_id)
        if r is None:
            problems.append('%s: no result (%s)' % (case_id, result.stderr[-500:]))
            continue
        out = r['result']
        if r['status'] != 'ok':
            problems.append('%s: %s: %s' % (case_id, r['status'], (out.get('msg') or out.get('module_stderr') or '')[-800:]))
            continue
        parse_errors = [p for p in out.get('problems', []) if p.startswith('parse_error')]
        if ok:
            if parse_errors or not out.get('token_fingerprint'):
                problems.append('%s: not read: %r' % (case_id, out.get('problems')))
        elif len(parse_errors) != 1 or not all(w in parse_errors[0] for w in words):
            problems.append('%s: expected a parse_error naming %s, got %r' % (case_id, words, out.get('problems')))
    typed = by_task.get('info: yaml dates and integer keys')
    if typed:
        settings = typed['result'].get('settings', {})
        want = {'expires_on': '2027-03-01', 'rotated': '2026-12-01 10:30:00+05:30', '7': 'seven',
                '2027-03-01': 'a date key', 'ratio': 1.5, 'enabled': True, 'nothing': None,
                'nested': {'when': '2027-03-02', 'list': [1, 2.5, False]}}
        if settings != want:
            problems.append('typed yaml: settings %r' % settings)
    try:
        _scan_all(result, root)
    except AssertionError as e:
        problems.append(str(e))
    assert not problems, '\n'.join(problems)
    rec.check('dates and non-string keys returned as text, other scalars as they are')
    rec.check('self-referencing alias, alias bomb, deep YAML/JSON: a parse_error problem naming the problem, no crash')
    rec.check('leak scan: the planted tokens appear nowhere')


def _peak_rss_kib(module, args, workdir, limit_s=60):
    """Run the module process and measure it with os.wait4 (its own rusage, not the test process's)."""
    args_path = os.path.join(workdir, 'args-%d.json' % len(os.listdir(workdir)))
    with open(args_path, 'w') as f:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, f)
    env = ansible_env({'PYTHONPATH': COLLECTIONS_DIR})
    out_path = args_path + '.out'
    started = time.monotonic()
    with open(out_path, 'wb') as out:
        pid = subprocess.Popen(
            [sys.executable, os.path.join(REPO_ROOT, 'plugins', 'modules', module + '.py'), args_path],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=workdir,
            # The old code took minutes and hundreds of MB here: cap it, so that a regression fails
            # the test instead of starving the machine.
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))).pid
        deadline = started + limit_s
        while True:
            done, _status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                _done, _status, usage = os.wait4(pid, 0)
                break
            time.sleep(0.02)
    elapsed = time.monotonic() - started
    with open(out_path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    try:
        result = json.loads(text)
    except ValueError:
        result = {'unparsed output': text[-2000:]}
    return elapsed, usage.ru_maxrss, result


def test_alias_bomb_costs_the_info_module_neither_time_nor_memory(reliability_record):
    rec = reliability_record
    workdir = new_workdir('hostile-bomb')
    bomb = os.path.join(workdir, 'bomb.yml')
    plain = os.path.join(workdir, 'plain.yml')
    _write(bomb, alias_bomb())
    _write(plain, 'url: "%s"\nusername: "%s"\napi_token: "%s"\n' % (URL, USER, OLD_TOKEN))
    rec.scenario = 'jira_integration_config_info process on a %d-byte YAML alias bomb (10**8 values expanded)' % len(alias_bomb())
    rec.fault = 'YAML alias bomb: 9 levels of 10 aliases each'
    rec.inputs = 1
    base_s, base_kib, base = _peak_rss_kib('jira_integration_config_info', dict(path=plain, format='yaml'), workdir)
    assert base.get('token_fingerprint'), base
    bomb_s, bomb_kib, out = _peak_rss_kib('jira_integration_config_info', dict(path=bomb, format='yaml'), workdir)
    rec.details.update(baseline_s=round(base_s, 2), baseline_peak_rss_kib=base_kib, bomb_s=round(bomb_s, 2),
                       bomb_peak_rss_kib=bomb_kib)
    problems = [p for p in out.get('problems', []) if p.startswith('parse_error') and 'alias' in p]
    assert problems, out
    # A couple of seconds beyond what reading a plain file costs on this machine, and a few MB.
    assert bomb_s < base_s + 3, (bomb_s, base_s)
    assert bomb_kib < base_kib + 20 * 1024, (bomb_kib, base_kib)
    scan_run(None, OLD_TOKEN, texts={'module output': json.dumps(out)}, label='alias bomb module output')
    rec.check('answered with a parse_error naming the aliases, within 3 s and 20 MB of peak RSS more than a plain file')
