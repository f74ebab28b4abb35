"""Run real Ansible (``ansible-playbook``) from tests, and check that no secret leaked.

Every run gets its own log file (``ANSIBLE_LOG_PATH``) and a results file written by the
``result_dump`` callback, so a test can read each task's result as the callbacks saw it, and
the leak check can scan every place a token could reach: stdout, stderr, the log, the results.
"""

import base64
import json
import math
import os
import subprocess
import sys
import tempfile
from urllib.parse import quote

from support.collection import COLLECTIONS_DIR, REPO_ROOT, ensure_collection_link

BIN_DIR = os.path.dirname(sys.executable)
CALLBACK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'callback_plugins')
FQCN_PREFIX = 'integrations.jira.'


def ansible_bin(name):
    """The Ansible command next to the running interpreter (the test venv's)."""
    path = os.path.join(BIN_DIR, name)
    return path if os.path.exists(path) else name


def secret_forms(token, username=None):
    """The forms of a token that must never appear in output: the token, its URL encoding,
    base64 of ``username:token``, and every spelling the config writer produces for it (YAML
    double-quoted, JSON with and without ensure_ascii, env quoting; ini holds it raw), made by
    the writer's own escaping functions so this list cannot drift from the writer; each also
    upper- and lower-cased (server text may echo a header re-cased)."""
    from ansible_collections.integrations.jira.plugins.module_utils._config_formats import _yaml_quote, env_quote
    forms = {token, quote(token, safe='')}
    if username is not None:
        # base64 of username:token from the first group that encodes a token byte (the groups
        # before it are the username's, no secret).
        prefix = ('%s:' % username).encode('utf-8')
        forms.add(base64.b64encode(prefix + token.encode('utf-8')).decode('ascii')[len(prefix) // 3 * 4:])
    forms.add(json.dumps(token)[1:-1])
    forms.add(json.dumps(token, ensure_ascii=False)[1:-1])
    forms.add(_yaml_quote(token)[1:-1])
    forms.add(env_quote(token)[1:-1])
    forms.update([f.upper() for f in forms] + [f.lower() for f in forms])
    return {f for f in forms if f}


def assert_no_secret(where, token, username=None):
    """Fail when the token (or base64 of username:token, or its URL encoding) occurs in
    ``where``: a string, a Result, a dict/list (JSON-dumped), or a list of those."""
    if isinstance(where, (list, tuple)):
        texts = [_as_text(w) for w in where]
    else:
        texts = [_as_text(where)]
    for form in secret_forms(token, username):
        for text in texts:
            if form in text:
                at = text.index(form)
                context = text[max(0, at - 120):at].replace(form, '<TOKEN>')
                raise AssertionError('secret leaked (form of length %d) after: ...%s' % (len(form), context))


def _as_text(obj):
    if isinstance(obj, Result):
        return obj.all_text()
    if isinstance(obj, bytes):
        return obj.decode('utf-8', 'replace')
    if isinstance(obj, str):
        return obj
    return json.dumps(obj, default=str)


class Result:
    def __init__(self, rc, stdout, stderr, log, results, workdir, cmd):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.log = log
        self.results = results  # list of {host, task, action, status, result}
        self.workdir = workdir
        self.cmd = cmd

    def all_text(self):
        return '\n'.join([self.stdout, self.stderr, self.log, json.dumps(self.results, default=str)])

    def task_results(self, host=None, task=None, action=None):
        return [r for r in self.results
                if (host is None or r['host'] == host) and (task is None or r['task'] == task)
                and (action is None or r['action'] in (action, FQCN_PREFIX + action))]

    def last(self, host='localhost'):
        """The result of the last task that ran on ``host``."""
        found = [r for r in self.results if r['host'] == host]
        assert found, 'no task result for %s; rc=%s\nstdout:\n%s\nstderr:\n%s' % (host, self.rc, self.stdout[-3000:], self.stderr[-3000:])
        return found[-1]['result']

    def recap(self):
        """{host: {'ok': n, 'changed': n, 'failed': n, 'unreachable': n, ...}} from PLAY RECAP."""
        recap = {}
        in_recap = False
        for line in self.stdout.splitlines():
            if line.startswith('PLAY RECAP'):
                in_recap = True
                continue
            if in_recap and ':' in line and '=' in line:
                host, dummy, rest = line.partition(':')
                counts = {}
                for item in rest.split():
                    if '=' in item:
                        k, dummy, v = item.partition('=')
                        counts[k] = int(v)
                recap[host.strip()] = counts
        return recap

    def __repr__(self):
        return '<Result rc=%s>\n--- stdout (tail)\n%s\n--- stderr (tail)\n%s' % (self.rc, self.stdout[-4000:], self.stderr[-4000:])


def ansible_env(extra=None):
    ensure_collection_link()
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_DIR,
        'ANSIBLE_CALLBACK_PLUGINS': CALLBACK_DIR,
        'ANSIBLE_CALLBACKS_ENABLED': 'result_dump',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_HOST_KEY_CHECKING': 'False',
        'ANSIBLE_RETRY_FILES_ENABLED': 'False',
        'ANSIBLE_DEPRECATION_WARNINGS': 'False',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'PYTHONDONTWRITEBYTECODE': '1',
    })
    env.pop('ANSIBLE_CONFIG', None)
    if extra:
        env.update(extra)
    return env


def run_playbook(playbook, inventory=None, extra_vars=None, check=False, diff=False, verbosity=0, env=None,
                 vault_password_file=None, limit=None, forks=None, args=(), workdir=None, timeout=600, cwd=None):
    """Run ``ansible-playbook`` and return a :class:`Result`. ``inventory`` is a path or an
    inventory text (written to a file). ``extra_vars`` is a dict (passed as a JSON file)."""
    workdir = workdir or tempfile.mkdtemp(prefix='ansible-run-', dir=_scratch_dir())
    os.makedirs(workdir, exist_ok=True)
    log_path = os.path.join(workdir, 'ansible.log')
    results_path = os.path.join(workdir, 'results.jsonl')
    for p in (log_path, results_path):
        if os.path.exists(p):
            os.unlink(p)
    cmd = [ansible_bin('ansible-playbook'), str(playbook)]
    if inventory is None:
        inventory = 'localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable
    if '\n' in str(inventory) or not os.path.exists(str(inventory)):
        inv_path = os.path.join(workdir, 'inventory.ini')
        with open(inv_path, 'w') as f:
            f.write(str(inventory))
        inventory = inv_path
    cmd += ['-i', str(inventory)]
    if extra_vars:
        ev_path = os.path.join(workdir, 'extra_vars.json')
        with open(ev_path, 'w') as f:
            json.dump(extra_vars, f)
        cmd += ['-e', '@' + ev_path]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    if verbosity:
        cmd.append('-' + 'v' * verbosity)
    if vault_password_file:
        cmd += ['--vault-password-file', str(vault_password_file)]
    if limit:
        cmd += ['--limit', limit]
    if forks:
        cmd += ['--forks', str(forks)]
    cmd += list(args)
    run_env = ansible_env({'ANSIBLE_LOG_PATH': log_path, 'JIRA_TEST_RESULTS_FILE': results_path,
                           'ANSIBLE_LOCAL_TEMP': os.path.join(workdir, 'local-tmp')})
    if env:
        run_env.update(env)
    proc = subprocess.run(cmd, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          cwd=cwd or workdir, stdin=subprocess.DEVNULL, check=False)
    log = _read(log_path)
    # JSON Lines end at \n only (str.splitlines() would also split inside a string at U+2028).
    results = [json.loads(line) for line in _read(results_path).split('\n') if line.strip()]
    return Result(proc.returncode, proc.stdout.decode('utf-8', 'replace'), proc.stderr.decode('utf-8', 'replace'),
                  log, results, workdir, cmd)


def run_module(module, module_args, check=False, diff=False, verbosity=0, env=None, task_vars=None, **kwargs):
    """Run one module (short name = this collection's) on localhost through ``ansible-playbook``.
    String arguments are passed ``!unsafe`` so tokens with ``{{`` are not templated."""
    name = module if '.' in module else FQCN_PREFIX + module
    task = {'name': 'module under test', name: module_args}
    if task_vars:
        task['vars'] = task_vars
    play = '- hosts: all\n  gather_facts: false\n  tasks:\n    - %s\n' % to_unsafe_yaml(task)
    workdir = kwargs.pop('workdir', None) or tempfile.mkdtemp(prefix='ansible-mod-', dir=_scratch_dir())
    pb = os.path.join(workdir, 'play.yml')
    with open(pb, 'w', encoding='utf-8') as f:
        f.write(play)
    return run_playbook(pb, check=check, diff=diff, verbosity=verbosity, env=env, workdir=workdir, **kwargs)


def to_unsafe_yaml(obj, ascii_only=False):
    """Flow-style YAML where every string is ``!unsafe`` (never templated by Ansible).

    ``ascii_only`` writes every non-ASCII or control character as an escape, so NUL, newlines
    and look-alikes arrive as given (the bad-input tests' hostile values)."""
    if isinstance(obj, dict):
        return '{' + ', '.join('%s: %s' % (json.dumps(str(k)), to_unsafe_yaml(v, ascii_only))
                               for k, v in obj.items()) + '}'
    if isinstance(obj, (list, tuple)):
        return '[' + ', '.join(to_unsafe_yaml(v, ascii_only) for v in obj) + ']'
    if isinstance(obj, str):
        return '!unsafe ' + json.dumps(obj, ensure_ascii=ascii_only)
    if isinstance(obj, float) and math.isnan(obj):
        return '.nan'
    return json.dumps(obj)


def _scratch_dir():
    path = os.path.join(REPO_ROOT, 'build', 'test-runs')
    os.makedirs(path, exist_ok=True)
    return path


def _read(path):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')
    except FileNotFoundError:
        return ''
