"""playbooks/jira_setup.yml (role jira_service_account) run for real against the emulator, with the
administrator's token from Ansible Vault, in Cloud and Data Center mode: check mode first (nothing
changes), set up from nothing, re-run changed=0, the service account then works (jira_setup followed
by provision, after the one manual step: the token), removal, non-admin credentials -> forbidden.
The admin token (and the service user's token) appear in no output."""

import os
import sys

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from jira_emulator import new_secret
from support.ansible import assert_no_secret, run_playbook

from _admin_helpers import REPO_ROOT, SETUP_PLAYBOOK, find, state_snapshot, writes

MODES = ['cloud', 'datacenter']
GROUP = 'jira-integration-users'
SVC_EMAIL = 'svc-integration@example.com'
SVC_NAME = 'svc-integration'
VAULT_PASSWORD = 'test-vault-password'
PROVISION = os.path.join(REPO_ROOT, 'playbooks', 'provision.yml')


@pytest.fixture(params=MODES)
def emu(request, jira_emulator_factory):
    return jira_emulator_factory(mode=request.param)


def _vaulted(value):
    vault = VaultLib([('default', VaultSecret(VAULT_PASSWORD.encode()))])
    return vault.encrypt(value.encode()).decode()


def _write_vars(path, plain, vaulted):
    """A vars file with ``vaulted`` values as inline !vault strings (what encrypt_string prints)."""
    lines = [yaml.safe_dump(plain, default_flow_style=False).rstrip()] if plain else []
    for key, value in vaulted.items():
        body = '\n'.join('  ' + line for line in _vaulted(value).splitlines())
        lines.append('%s: !vault |\n%s' % (key, body))
    with open(path, 'w') as f:
        f.write('---\n' + '\n'.join(lines) + '\n')
    return path


class Setup:
    """Runs jira_setup with the admin's (or someone's) credentials from a vaulted vars file."""

    def __init__(self, tmp_path, emu, username=None, token=None, **settings):
        self.tmp = tmp_path
        self.emu = emu
        self.username = username or emu.admin_username
        self.token = token or emu.admin_token
        self.pw_file = str(tmp_path / 'vault-pass')
        with open(self.pw_file, 'w') as f:
            f.write(VAULT_PASSWORD)
        plain = {
            'jira_service_account_admin_url': emu.url,
            'jira_service_account_admin_username': self.username,
            'jira_service_account_admin_allow_insecure_http': not emu.tls,
            'jira_service_account_email': SVC_EMAIL,
            'jira_service_account_name': SVC_NAME,
            'jira_service_account_projects': ['OPS'],
        }
        plain.update(settings)
        self.vars_file = _write_vars(str(tmp_path / 'jira_setup_vars.yml'), plain, {
            'jira_service_account_admin_api_token': self.token,
            'jira_service_account_password': 'Initial-Password-1',
        })
        self.runs = 0

    def run(self, check=False, verbosity=0, **extra):
        self.runs += 1
        args = ['-e', '@' + self.vars_file]
        if extra:
            extra_file = str(self.tmp / ('extra-%d.yml' % self.runs))
            with open(extra_file, 'w') as f:
                yaml.safe_dump(extra, f)
            args += ['-e', '@' + extra_file]
        r = run_playbook(SETUP_PLAYBOOK, check=check, diff=True, verbosity=verbosity, args=args,
                         vault_password_file=self.pw_file, workdir=str(self.tmp / ('run-%d' % self.runs)))
        assert_no_secret(r, self.token, self.username)
        assert_no_secret(r, 'Initial-Password-1')
        return r


def _changed(r):
    return r.recap()['localhost']['changed']


def _login(emu):
    return SVC_EMAIL if emu.mode == 'cloud' else SVC_NAME


def test_setup_from_nothing_rerun_and_removal(tmp_path, emu):
    setup = Setup(tmp_path, emu)
    before = state_snapshot(emu)

    check = setup.run(check=True)
    assert check.rc == 0, check
    assert _changed(check) >= 2          # the group and the user would be created
    assert state_snapshot(emu) == before and writes(emu) == []

    first = setup.run(verbosity=4)
    assert first.rc == 0, first
    assert _changed(first) >= 4
    user = find(emu, _login(emu))
    assert user is not None and GROUP in user.groups
    assert 'jira-software' in emu.effective_application_roles(user)
    assert GROUP in emu.project_roles['OPS']['10001']['groups']       # Developers
    if emu.mode == 'datacenter':
        assert GROUP in emu.application_roles['jira-software']['groups']
        assert user.password == 'Initial-Password-1'
    # The operator is told the one step left by hand.
    text = first.stdout
    assert 'ansible-vault encrypt_string --stdin-name jira_integration_api_token' in text
    assert 'integrations.jira.provision' in text
    assert ('API token' if emu.mode == 'cloud' else 'personal access token') in text

    again = setup.run()
    assert again.rc == 0, again
    assert _changed(again) == 0, again.stdout

    removed = setup.run(jira_service_account_state='absent')
    assert removed.rc == 0, removed
    assert _changed(removed) >= 3
    assert GROUP not in emu.groups
    assert find(emu, _login(emu)) is None
    assert all(GROUP not in r['groups'] for r in emu.project_roles['OPS'].values())
    if emu.mode == 'cloud':
        assert 'Atlassian account itself remains' in removed.stdout

    removed_again = setup.run(jira_service_account_state='absent')
    assert removed_again.rc == 0, removed_again
    assert _changed(removed_again) == 0


def test_non_admin_credentials_fail_forbidden(tmp_path, emu):
    setup = Setup(tmp_path, emu, username=emu.service_username, token=emu.service_token)
    before = state_snapshot(emu)
    r = setup.run(verbosity=3)
    assert r.rc != 0
    failed = [t for t in r.results if t['status'] == 'failed']
    assert len(failed) == 1, r
    result = failed[0]['result']
    assert result['failure_reason'] == 'forbidden'
    assert 'HTTP 403' in result['msg'] and 'administrator' in result['msg']
    assert state_snapshot(emu) == before


def test_missing_admin_credentials_are_named(tmp_path, emu):
    setup = Setup(tmp_path, emu)
    r = setup.run(jira_service_account_admin_url='')
    assert r.rc != 0
    assert 'jira_service_account_admin_url' in r.stdout
    assert writes(emu) == [] and emu.total_requests() == 0


def test_setup_over_https_with_a_private_ca(tmp_path, jira_emulator_factory):
    emu = jira_emulator_factory(mode='cloud', tls=True)
    setup = Setup(tmp_path, emu, jira_service_account_admin_ca_path=emu.ca_path)
    r = setup.run()
    assert r.rc == 0, r
    assert find(emu, SVC_EMAIL) is not None
    # Without the CA the first request fails TLS verification, and nothing is created.
    emu.accounts.pop(SVC_EMAIL)
    (tmp_path / 'untrusted').mkdir()
    untrusted = Setup(tmp_path / 'untrusted', emu)
    r = untrusted.run()
    assert r.rc != 0
    failed = [t['result'] for t in r.results if t['status'] == 'failed']
    assert failed and failed[0]['failure_reason'] == 'tls_error'
    assert find(emu, SVC_EMAIL) is None


def test_setup_on_datacenter_with_an_admin_personal_access_token(tmp_path, jira_emulator_factory):
    emu = jira_emulator_factory(mode='datacenter')
    pat = emu.admin_account.pats[0]
    setup = Setup(tmp_path, emu, token=pat, jira_service_account_admin_username='',
                  jira_service_account_admin_auth_type='bearer')
    r = setup.run()
    assert r.rc == 0, r
    assert GROUP in find(emu, SVC_NAME).groups
    assert all(req['headers'].get('Authorization', 'Bearer ').startswith('Bearer ')
               for req in emu.requests if req['path'] != '/rest/api/2/serverInfo')


@pytest.mark.skipif(not os.path.exists(PROVISION), reason='playbooks/provision.yml is not in this checkout')
def test_setup_then_provision_end_to_end(tmp_path, emu):
    setup = Setup(tmp_path, emu)
    r = setup.run()
    assert r.rc == 0, r

    # The one manual step: the service user logs in and creates its token (Cloud: API token;
    # Data Center: personal access token). The emulator stands in for the browser.
    account = find(emu, _login(emu))
    token = new_secret('ATATT' if emu.mode == 'cloud' else 'NjE')
    if emu.mode == 'cloud':
        account.tokens.append(token)
    else:
        account.pats.append(token)

    hosts_dir = tmp_path / 'hosts'
    inventory = '[jira_integration]\n' + ''.join(
        'host%d ansible_connection=local ansible_python_interpreter=%s\n' % (i, sys.executable) for i in (1, 2))
    group_vars = {
        'jira_integration_url': emu.url,
        'jira_integration_username': _login(emu),
        'jira_integration_allow_insecure_http': True,
        'jira_integration_auth_type': 'basic' if emu.mode == 'cloud' else 'bearer',
        'jira_integration_required_groups': [GROUP],
        'jira_integration_required_application_roles': ['jira-software'],
        'jira_integration_projects': ['OPS'],
        'jira_integration_required_permissions': ['BROWSE_PROJECTS', 'CREATE_ISSUES', 'EDIT_ISSUES'],
        'jira_integration_config_path': str(hosts_dir) + '/{{ inventory_hostname }}/jira.yml',
        'jira_integration_fact_path': str(hosts_dir) + '/{{ inventory_hostname }}/jira_integration.fact',
    }
    vars_file = _write_vars(str(tmp_path / 'provision_vars.yml'), group_vars, {'jira_integration_api_token': token})
    provision = run_playbook(PROVISION, inventory=inventory, args=['-e', '@' + vars_file],
                             vault_password_file=setup.pw_file, workdir=str(tmp_path / 'provision'))
    assert_no_secret(provision, token, _login(emu))
    assert_no_secret(provision, emu.admin_token)
    assert provision.rc == 0, provision
    for i in (1, 2):
        path = hosts_dir / ('host%d' % i) / 'jira.yml'
        assert path.exists(), provision
        assert token in path.read_text()      # the config carries the new token (never printed)
