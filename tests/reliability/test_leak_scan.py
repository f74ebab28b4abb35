"""No form of an API token (the token, its URL encodings, its JSON spelling, base64 of username:token) appears in
anything Ansible produces for any module, the role or the playbooks: stdout and stderr at -vvvv, --diff, check
mode, the core JSON (tree) callback's output, the ANSIBLE_LOG_PATH log, the names of files left by
ANSIBLE_KEEP_REMOTE_FILES, backups' names, the local fact, registered results printed with debug, error
messages and tracebacks; tokens carry URL- and shell-special characters so every encoding differs from the
token.

Kept remote files are AnsiballZ payloads whose arguments contain the token: that is Ansible's
documented behaviour for ANSIBLE_KEEP_REMOTE_FILES, so their names are checked, not their content.
Config files and their backups hold the token by design: names only, content checked by the
config module's own tests. Every other file a run leaves is read in full (tests/support/leakscan.py).
"""

import os
import secrets
import sys

import pytest

from support.ansible import run_playbook
from support.collection import REPO_ROOT
from support.leakscan import REMOTE_TMP, TREE_DIR, exposure_env, new_workdir, scan_run

from test_bad_input import to_yaml  # one flow-YAML writer for hostile values (tests/reliability is on sys.path)


def nasty_token(tag):
    # URL- and shell-special characters: quote(), quote_plus(), JSON and base64 forms all differ.
    return 'ATATT3x%s%s+/=%%&?#:~!$' % (tag, secrets.token_urlsafe(24))


def play(tasks):
    body = []
    for name, module, args, extra in tasks:
        body.append('    - name: %s\n      %s: %s\n%s' % (name, module, args if isinstance(args, str) else to_yaml(args), ''.join(
            '      %s: %s\n' % (k, v) for k, v in extra.items())))
    return '- hosts: all\n  gather_facts: false\n  tasks:\n' + ''.join(body)


def scan_all(result, pairs, **kwargs):
    for token, username in pairs:
        scan_run(result, token, username, **kwargs)


def assert_places_exist(workdir, remote=True):
    """The places scanned by name must hold something, or the scan proves nothing."""
    assert os.listdir(os.path.join(workdir, TREE_DIR)), 'tree callback wrote nothing'
    if remote:
        kept = [f for _r, _d, files in os.walk(os.path.join(workdir, REMOTE_TMP)) for f in files]
        assert any(f.startswith('AnsiballZ_') for f in kept), kept


@pytest.mark.parametrize('mode', ['vvvv-diff', 'check-diff'])
def test_every_module_in_every_output_mode(jira_emulator, reliability_record, mode):
    emu = jira_emulator
    rec = reliability_record
    rec.scenario = 'modules at -vvvv with --diff%s' % (' in check mode' if mode == 'check-diff' else '')
    rec.fault = ('credentials (valid, wrong, token inside the URL), config write + rotation with backup (yaml, env), '
                 'config_info + debug of the registered result, config removal with backup, jira_group (admin)')
    t1, t2, bad = nasty_token('one'), nasty_token('two'), nasty_token('bad')
    emu.service_account.tokens.extend([t1, t2])
    user = emu.service_username
    workdir = new_workdir('leak-modules')
    cfg = os.path.join(workdir, 'etc')
    os.makedirs(cfg)
    yml, env_file = os.path.join(cfg, 'jira.yml'), os.path.join(cfg, 'jira.env')
    conn = dict(url=emu.url, username=user, allow_insecure_http=True, deployment='cloud', retries=0)
    ign = {'ignore_errors': 'true'}
    tasks = [
        ('credentials valid', 'integrations.jira.jira_credentials_info', dict(conn, api_token=t1, gather_membership=True), {}),
        ('credentials wrong token', 'integrations.jira.jira_credentials_info', dict(conn, api_token=bad), ign),
        ('token typed into the url', 'integrations.jira.jira_credentials_info',
         dict(conn, api_token=t1, url=emu.url.replace('://', '://%s:%s@' % ('svc', t1))), ign),
        ('config create', 'integrations.jira.jira_integration_config',
         dict(path=yml, url=emu.url, allow_insecure_http=True, username=user, api_token=t1, backup=True), {}),
        ('config rotate', 'integrations.jira.jira_integration_config',
         dict(path=yml, url=emu.url, allow_insecure_http=True, username=user, api_token=t2, backup=True), {}),
        ('config env', 'integrations.jira.jira_integration_config',
         dict(path=env_file, format='env', url=emu.url, allow_insecure_http=True, username=user, api_token=t2), {}),
        ('config info', 'integrations.jira.jira_integration_config_info', dict(path=yml, allow_insecure_http=True),
         {'register': 'info'}),
        ('print the registered result', 'ansible.builtin.debug', '{var: info}', {}),
        ('config remove', 'integrations.jira.jira_integration_config',
         dict(path=env_file, format='env', state='absent', backup=True), {}),
        ('admin module', 'integrations.jira.jira_group',
         dict(url=emu.url, username=emu.admin_username, api_token=emu.admin_token, allow_insecure_http=True,
              deployment='cloud', name='leak-scan-group'), {}),
    ]
    pb = os.path.join(workdir, 'play.yml')
    with open(pb, 'w') as f:
        f.write(play(tasks))
    result = run_playbook(pb, verbosity=4, diff=True, check=(mode == 'check-diff'), env=exposure_env(workdir),
                          workdir=workdir)
    assert result.rc == 0, result
    scan_all(result, [(t1, user), (t2, user), (bad, user), (emu.admin_token, emu.admin_username)],
             name_only_paths=[cfg])
    rec.inputs = len(tasks)
    rec.check('no form of 4 tokens (2 rotated service tokens, a wrong one, the admin token) in any place')
    wrong = result.task_results(task='credentials wrong token')[0]['result']
    assert wrong['failure_reason'] == 'invalid_credentials'
    in_url = result.task_results(task='token typed into the url')[0]['result']
    assert in_url['failure_reason'] == 'invalid_url'
    assert '"before"' in result.stdout or 'before' in str(result.results), 'no diff was shown'
    assert_places_exist(workdir)
    if mode == 'vvvv-diff':
        backups = [f for f in os.listdir(cfg) if f.endswith('~')]
        assert len(backups) >= 2, os.listdir(cfg)  # the rotation's and the removal's
        rec.check('backups made (%d) and their names scanned' % len(backups))
    else:
        assert os.listdir(cfg) == [], 'check mode wrote something: %s' % os.listdir(cfg)
        rec.check('check mode wrote nothing')
    rec.check('error messages (401, invalid_url) and the registered result printed by debug scanned')


ROLE_PLAY = """\
- name: Provision the Jira integration
  hosts: jira_integration
  gather_facts: false
  roles:
    - role: integrations.jira.jira_integration
"""


def role_inventory(workdir):
    hosts = {}
    lines = ['[jira_integration]']
    for host in ('host-a', 'host-b'):
        base = os.path.join(workdir, 'hosts', host)
        os.makedirs(base)
        hosts[host] = base
        lines.append('%s ansible_connection=local ansible_python_interpreter=%s jira_integration_config_path=%s '
                     'jira_integration_fact_path=%s' % (host, sys.executable, os.path.join(base, 'etc', 'jira.yml'),
                                                        os.path.join(base, 'facts', 'jira_integration.fact')))
    return '\n'.join(lines) + '\n', hosts


def test_role_provision_rotate_check(jira_emulator, reliability_record):
    emu = jira_emulator
    rec = reliability_record
    rec.scenario = 'role jira_integration: provision, rotate with backup, check-mode rotation (-vvvv --diff)'
    rec.fault = 'three runs on two hosts, each token with URL-special characters'
    user = emu.service_username
    tokens = [nasty_token('r%d' % n) for n in range(3)]
    emu.service_account.tokens.extend(tokens)
    workdir = new_workdir('leak-role')
    inventory, hosts = role_inventory(workdir)
    pb = os.path.join(workdir, 'site.yml')
    with open(pb, 'w') as f:
        f.write(ROLE_PLAY)
    seen = []
    for n, (token, check) in enumerate(zip(tokens, (False, False, True))):
        run_dir = os.path.join(workdir, 'run%d' % n)
        os.makedirs(run_dir)
        extra = dict(jira_integration_url=emu.url, jira_integration_username=user, jira_integration_api_token=token,
                     jira_integration_allow_insecure_http=True, jira_integration_deployment='cloud',
                     jira_integration_require_vaulted_token=False, jira_integration_config_backup=True)
        result = run_playbook(pb, inventory=inventory, extra_vars=extra, verbosity=4, diff=True, check=check,
                              env=exposure_env(run_dir), workdir=run_dir)
        assert result.rc == 0, result
        seen.append(token)
        facts = [os.path.join(b, 'facts') for b in hosts.values()]
        scan_all(result, [(t, user) for t in seen], extra_paths=facts,
                 name_only_paths=[os.path.join(b, 'etc') for b in hosts.values()])
        assert_places_exist(run_dir)
        rec.inputs += 1
    for base in hosts.values():
        assert os.path.exists(os.path.join(base, 'facts', 'jira_integration.fact'))
        with open(os.path.join(base, 'etc', 'jira.yml')) as f:
            assert tokens[1] in f.read()  # the check-mode run changed nothing
        backups = [f for f in os.listdir(os.path.join(base, 'etc')) if f.endswith('~')]
        assert backups, os.listdir(os.path.join(base, 'etc'))
    rec.check('local fact (content), config and backup names, every output of every run: no token form')
    rec.check('check mode left the rotated config as it was')


@pytest.mark.parametrize('playbook', ['validate', 'report'])
def test_shipped_playbooks(jira_emulator, reliability_record, playbook):
    emu = jira_emulator
    rec = reliability_record
    rec.scenario = 'playbook integrations.jira.%s at -vvvv' % playbook
    rec.fault = 'token with URL-special characters; hosts provisioned by the role first' if playbook == 'report' \
        else 'token with URL-special characters'
    user = emu.service_username
    token = nasty_token('pb')
    emu.service_account.tokens.append(token)
    workdir = new_workdir('leak-pb')
    inventory, hosts = role_inventory(workdir)
    extra = dict(jira_integration_url=emu.url, jira_integration_username=user, jira_integration_api_token=token,
                 jira_integration_allow_insecure_http=True, jira_integration_deployment='cloud',
                 jira_integration_require_vaulted_token=False)
    if playbook == 'report':
        first = os.path.join(workdir, 'provision')
        os.makedirs(first)
        pb = os.path.join(workdir, 'site.yml')
        with open(pb, 'w') as f:
            f.write(ROLE_PLAY)
        result = run_playbook(pb, inventory=inventory, extra_vars=extra, env=exposure_env(first), workdir=first)
        assert result.rc == 0, result
        scan_run(result, token, user, extra_paths=[os.path.join(b, 'facts') for b in hosts.values()],
                 name_only_paths=[os.path.join(b, 'etc') for b in hosts.values()])
    run_dir = os.path.join(workdir, 'run')
    os.makedirs(run_dir)
    result = run_playbook(os.path.join(REPO_ROOT, 'playbooks', '%s.yml' % playbook), inventory=inventory,
                          extra_vars=extra, verbosity=4, diff=True, env=exposure_env(run_dir), workdir=run_dir)
    assert result.rc == 0, result
    scan_run(result, token, user, extra_paths=[os.path.join(b, 'facts') for b in hosts.values()],
             name_only_paths=[os.path.join(b, 'etc') for b in hosts.values()])
    assert_places_exist(run_dir, remote=True)
    rec.inputs = 1
    rec.check('stdout/stderr/log/results/tree/kept-file names/facts: no token form')


def test_traceback_of_a_failing_module(jira_emulator, reliability_record):
    """A module that fails with a Python traceback (requests missing on the target) shows it at
    -vvvv: the traceback and the error must not carry the token."""
    emu = jira_emulator
    rec = reliability_record
    rec.scenario = 'traceback at -vvvv: jira_credentials_info on a Python without requests'
    rec.fault = 'a requests.py that raises ImportError shadows the real one on the module\'s sys.path'
    workdir = new_workdir('leak-tb')
    shadow = os.path.join(workdir, 'shadow')
    os.makedirs(shadow)
    with open(os.path.join(shadow, 'requests.py'), 'w') as f:
        f.write("raise ImportError('requests is hidden by the leak-scan test')\n")
    wrapper = os.path.join(workdir, 'python-without-requests')
    with open(wrapper, 'w') as f:
        f.write('#!/bin/sh\nPYTHONPATH=%s exec %s "$@"\n' % (shadow, sys.executable))
    os.chmod(wrapper, 0o755)
    token = nasty_token('tb')
    args = dict(url=emu.url, username=emu.service_username, api_token=token, allow_insecure_http=True)
    pb = os.path.join(workdir, 'play.yml')
    with open(pb, 'w') as f:
        f.write(play([('module under test', 'integrations.jira.jira_credentials_info', args, {})]))
    result = run_playbook(pb, inventory='localhost ansible_connection=local ansible_python_interpreter=%s\n' % wrapper,
                          verbosity=4, env=exposure_env(workdir), workdir=workdir)
    out = result.last()
    assert result.rc != 0 and 'requests' in out['msg'], out
    assert 'Traceback' in str(out.get('exception', '')) or 'Traceback' in result.stdout, out
    scan_run(result, token, emu.service_username)
    assert emu.total_requests() == 0
    rec.inputs = 1
    rec.check('module failed with a traceback shown at -vvvv; no token form in it, nothing sent')
