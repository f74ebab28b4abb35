"""What the README, the docs, the demo and the emulator's --help print runs as printed.

The Markdown blocks marked ``<!-- try-it: NAME -->`` (the line right before the fence) are run as
they are written, one bash script per NAME and file, against the bundled Jira emulator. Console
blocks lose their ``$ `` prompts; nothing else changes except these placeholders, in this one way:

==================================  ===========================================================
``https://example.atlassian.net``   the emulator's URL (HTTPS; its CA comes in REQUESTS_CA_BUNDLE)
``jira-integration@example.com``    the emulator's service account
``/path/to/clone``                  this repository
``--ask-vault-pass``                ``--vault-password-file vault-pass`` (no terminal in a test)
==================================  ===========================================================

The operator's own files (``inventory.ini`` with local hosts) and the token typed on stdin come
from the test, and every output is scanned for the token.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from support.ansible import BIN_DIR, assert_no_secret, ansible_env
from support.collection import REPO_ROOT

TRY_IT = re.compile(r'^[ \t]*<!-- try-it: ([\w-]+) -->[ \t]*\n[ \t]*```(\w*)[ \t]*\n(.*?)\n[ \t]*```', re.M | re.S)


def try_it_blocks(relpath, name):
    """The bash text of the blocks marked ``<!-- try-it: name -->`` in ``relpath``, in order."""
    with open(os.path.join(REPO_ROOT, relpath), encoding='utf-8') as f:
        text = f.read()
    blocks = []
    for found, lang, body in TRY_IT.findall(text):
        if found != name:
            continue
        lines = body.split('\n')
        indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
        lines = [line[indent:] for line in lines]
        if lang == 'console':
            lines = [line[2:] if line.startswith('$ ') else line for line in lines]
        blocks.append('\n'.join(lines) + '\n')
    assert blocks, 'no <!-- try-it: %s --> block in %s' % (name, relpath)
    return blocks


def _env(**extra):
    """The environment of an operator's shell: the venv's commands on PATH, the collection findable,
    and none of the test suite's own interpreter setting (the docs must say what to set)."""
    env = ansible_env()
    for name in ('ANSIBLE_PYTHON_INTERPRETER', 'ANSIBLE_CALLBACKS_ENABLED', 'ANSIBLE_CALLBACK_PLUGINS'):
        env.pop(name, None)
    env['PATH'] = BIN_DIR + os.pathsep + env.get('PATH', '')
    env.update(extra)
    return env


def _bash(script, cwd, env, stdin=None, timeout=300):
    proc = subprocess.Popen(['bash', '-euo', 'pipefail', '-c', script], cwd=str(cwd), env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out = proc.communicate(stdin.encode() if stdin is not None else b'', timeout=timeout)[0]
    finally:
        try:  # whatever the script left running in the background (an emulator)
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    return proc.returncode, out.decode('utf-8', 'replace')


def _substitute(script, emu):
    for placeholder, value in (('https://example.atlassian.net', emu.url if emu else None),
                               ('jira-integration@example.com', emu.service_username if emu else None),
                               ('/path/to/clone', REPO_ROOT),
                               ('--ask-vault-pass', '--vault-password-file vault-pass')):
        if value is not None:
            script = script.replace(placeholder, value)
    return script


def test_readme_quickstart_runs_as_written(jira_emulator_tls, tmp_path):
    emu = jira_emulator_tls
    (tmp_path / 'vault-pass').write_text('quickstart-vault-password\n')
    out_dir = tmp_path / 'out'
    hosts = ''.join('%s ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}" '
                    'jira_integration_config_path=%s/%s/jira.yml jira_integration_fact_path=%s/%s/jira_integration.fact\n'
                    % (h, out_dir, h, out_dir, h) for h in ('web01', 'web02'))
    (tmp_path / 'inventory.ini').write_text('[jira_integration]\n' + hosts)
    env = _env(REQUESTS_CA_BUNDLE=emu.ca_path)
    outputs = []
    for number, block in enumerate(try_it_blocks('README.md', 'quickstart'), 1):
        script = _substitute(block, emu)
        # Step 2 reads the token from stdin, as the operator pastes it.
        rc, out = _bash(script, tmp_path, env, stdin=emu.service_token if 'encrypt_string' in script else None)
        outputs.append(out)
        assert rc == 0, 'quickstart block %d failed:\n%s\n---\n%s' % (number, script, out)
    assert 'valid' in outputs[1] and 'No inventory was parsed' not in '\n'.join(outputs)
    assert 'changed=1' in outputs[2]
    for host in ('web01', 'web02'):
        assert emu.service_token in (out_dir / host / 'jira.yml').read_text()
    assert_no_secret(outputs, emu.service_token, emu.service_username)


def test_jira_setup_try_it_runs_as_written(tmp_path):
    script = _substitute(''.join(try_it_blocks('docs/jira-setup.md', 'jira-setup')), None)
    rc, out = _bash(script, tmp_path, _env())
    assert rc == 0, out
    assert 'No inventory was parsed' not in out and 'provided hosts list is empty' not in out
    # The closing step names the inventory, so it runs as printed.
    assert re.search(r'ansible-playbook integrations\.jira\.provision -i \S', out), out
    assert 'svc-demo-token' in (tmp_path / 'out' / 'host1' / 'jira.yml').read_text()
    assert_no_secret(out, 'svc-demo-token')
    assert_no_secret(out, 'admin-demo-token')


def _demo_env(work):
    env = _env(DEMO_VENV=os.path.dirname(BIN_DIR), DEMO_WORK=str(work), ANSIBLE_NOCOLOR='1')
    env.pop('ANSIBLE_COLLECTIONS_PATH', None)
    return env


@pytest.mark.slow
def test_demo_shell_prints_commands_that_run_as_printed(tmp_path):
    work = tmp_path / 'work'
    proc = subprocess.Popen([os.path.join(REPO_ROOT, 'scripts', 'demo'), '--shell'], cwd=REPO_ROOT,
                            env=_demo_env(work), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    lines = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = proc.stdout.readline().decode('utf-8', 'replace')
            if not line:
                break
            lines.append(line)
            if line.startswith('Press Ctrl-C'):
                break
        text = ''.join(lines)
        assert 'Press Ctrl-C' in text, text
        commands = text.split('---- commands')[1].split('\n', 1)[1].split('---- end of commands ----')[0]
        assert 'integrations.jira.validate' in commands and 'export ANSIBLE_COLLECTIONS_PATH=' in commands
        # Pasted into another terminal: a fresh shell somewhere else, no collections path set.
        shell_env = _env()
        shell_env.pop('ANSIBLE_COLLECTIONS_PATH', None)
        rc, out = _bash(commands, tmp_path, shell_env)
        assert rc == 0, commands + '\n---\n' + out
        assert out.count('PLAY RECAP') == commands.count('ansible-playbook')
        assert os.path.exists(str(work / 'web01' / 'etc' / 'jira-integration' / 'jira.yml'))
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[0].decode('utf-8', 'replace')
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, rest
    assert 'Stopped the Jira emulator' in rest
    # The announcement with the demo token in clear is gone with the emulator.
    assert not os.path.exists(str(work / 'emulator.json'))


@pytest.mark.slow
def test_make_demo_closing_text_points_at_demo_shell(tmp_path):
    proc = subprocess.run([os.path.join(REPO_ROOT, 'scripts', 'demo')], cwd=REPO_ROOT, env=_demo_env(tmp_path / 'work'),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600,
                          check=False)
    out = proc.stdout.decode('utf-8', 'replace')
    assert proc.returncode == 0, out
    closing = out.split('==> Done')[1]
    assert 'make demo-shell' in closing
    # No command that cannot run as printed once the emulator is gone.
    assert 'ansible-playbook' not in closing


def test_emulator_help_documents_the_control_api_and_it_does_what_it_says(jira_emulator):
    help_text = subprocess.run([sys.executable, '-m', 'jira_emulator', '--help'], cwd=REPO_ROOT,
                               env=dict(os.environ, PYTHONPATH=os.path.join(REPO_ROOT, 'tests')),
                               stdout=subprocess.PIPE, check=True).stdout.decode()
    for endpoint in ('PATCH  /_emulator/accounts/<login>', 'DELETE /_emulator/accounts/<login>/tokens',
                     'POST   /_emulator/faults', 'POST   /_emulator/reset', 'GET    /_emulator/requests'):
        assert endpoint in help_text, endpoint
    assert 'REPLACES' in help_text
    import json
    import urllib.request
    emu = jira_emulator
    old = emu.service_token
    login = emu.service_username.replace('@', '%40')

    def patch(tokens):
        req = urllib.request.Request('%s/_emulator/accounts/%s' % (emu.url, login), method='PATCH',
                                     data=json.dumps({'tokens': tokens}).encode(),
                                     headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200

    def accepted(token):
        import requests
        return requests.get(emu.url + '/rest/api/3/myself', auth=(emu.service_username, token), timeout=10).status_code == 200

    patch([old, 'new-token-from-help'])        # the help's rotation example: both stay valid
    assert accepted(old) and accepted('new-token-from-help')
    patch(['new-token-from-help'])             # "tokens" replaces the list
    assert not accepted(old) and accepted('new-token-from-help')


USER_DOCS = ['README.md', 'tests/jira_emulator/README.md', 'demo/README.md', 'roles/jira_integration/README.md',
             'roles/jira_service_account/README.md']
# Generated by their own scripts (regenerated by the maintainers, not edited): docs/reliability.md,
# docs/performance.md; docs/plugins/ comes from the modules' documentation.
GENERATED = {'docs/reliability.md', 'docs/performance.md'}
OUTSIDE = re.compile(r'\.\./shared|shared/(?:setup-guide|research|specs)|jira-facts|facts §|\bissue [0-9]', re.I)


def _user_docs():
    docs = [os.path.join('docs', n) for n in sorted(os.listdir(os.path.join(REPO_ROOT, 'docs'))) if n.endswith('.md')]
    return [d for d in USER_DOCS + docs if d not in GENERATED and os.path.exists(os.path.join(REPO_ROOT, d))]


@pytest.mark.parametrize('doc', _user_docs())
def test_user_docs_point_only_inside_the_repository(doc):
    with open(os.path.join(REPO_ROOT, doc), encoding='utf-8') as f:
        text = f.read()
    assert OUTSIDE.findall(text) == []
    for target in re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)', text):
        if re.match(r'^[a-z]+:', target):
            continue
        assert os.path.exists(os.path.normpath(os.path.join(REPO_ROOT, os.path.dirname(doc), target))), target


def test_readme_says_make_test_installs_from_the_package_index_and_where_the_contract_data_lives():
    with open(os.path.join(REPO_ROOT, 'README.md'), encoding='utf-8') as f:
        text = ' '.join(f.read().split())
    assert 'package index' in text
    assert 'tests/contract/data/' in text and os.path.isdir(os.path.join(REPO_ROOT, 'tests', 'contract', 'data'))
    # The contract test reads only the vendored excerpt; no variable points it elsewhere.
    assert 'JIRA_OPENAPI_SPEC' not in text


def test_a_test_run_leaves_the_committed_reliability_report_alone(tmp_path):
    """A clean run of a reliability suite renders its report under build/; docs/reliability.md, which is
    committed, is written only by scripts/reliability-report. Run in a copy of the test tree."""
    root = tmp_path / 'repo'
    for rel in ('tests/conftest.py', 'tests/support', 'tests/jira_emulator', 'tests/reliability/conftest.py',
                'tests/reliability/callback_plugins', 'scripts/reliability-report', 'docs/reliability.md', 'pytest.ini'):
        src, dest = os.path.join(REPO_ROOT, rel), root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if os.path.isdir(src):
            shutil.copytree(src, str(dest), ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copy2(src, str(dest))
    (root / 'tests' / 'reliability' / 'test_leak_scan.py').write_text(
        '"""A stand-in suite."""\n\n\ndef test_stand_in(reliability_record):\n    reliability_record.no_ansible = True\n')
    doc = root / 'docs' / 'reliability.md'
    before = doc.read_bytes()
    env = dict(os.environ)
    env.pop('ANSIBLE_COLLECTIONS_PATH', None)
    proc = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/reliability/test_leak_scan.py'],
                          cwd=str(root), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300, check=False)
    out = proc.stdout.decode('utf-8', 'replace')
    assert proc.returncode == 0, out
    assert doc.read_bytes() == before, out
    report = root / 'build' / 'reliability' / 'report.md'
    assert 'test_stand_in' in report.read_text() or 'stand-in' in report.read_text(), out
    # The script still renders the committed document when asked.
    subprocess.run([sys.executable, str(root / 'scripts' / 'reliability-report')], cwd=str(root), check=True,
                   stdout=subprocess.PIPE)
    assert doc.read_bytes() != before
