"""The operator playbooks as an operator runs them: ``rotate --check`` claims nothing it did not do,
and ``decommission`` needs no vault secret with the documented vault layout (real ansible-playbook
against the Jira emulator, on local "hosts" under a temp folder)."""

import os
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'role'))

from _helpers import Fleet, changed_per_host  # noqa: E402  (needs the sys.path line)
from support.ansible import ansible_bin, ansible_env, assert_no_secret  # noqa: E402

REVOKE = 'revoke the OLD token'


def _new_token(emu):
    token = 'ATATT' + secrets.token_urlsafe(30)
    emu.service_account.tokens.append(token)
    return token


def test_rotate_check_mode_says_would_and_gives_no_revoke_reminder(jira_emulator):
    emu = jira_emulator
    fleet = Fleet(emu, 3, name='rotate-check')
    assert fleet.run('provision', token=emu.service_token).rc == 0
    before = fleet.snapshot()
    new = _new_token(emu)

    dry = fleet.run('rotate', token=new, check=True)
    assert dry.rc == 0, dry
    assert fleet.snapshot() == before
    assert REVOKE not in dry.stdout and 'now has' not in dry.stdout
    assert 'Check mode: 3 of 3 hosts would change' in dry.stdout, dry
    assert 'Nothing was written' in dry.stdout

    real = fleet.run('rotate', token=new)
    assert real.rc == 0, real
    assert '3 of 3 hosts changed' in real.stdout
    assert REVOKE in real.stdout and 'Every host now has the token pbkdf2-sha256:' in real.stdout
    for host in fleet.hosts:
        assert fleet.read_config(host)['api_token'] == new
    for result in (dry, real):
        assert_no_secret(result, new, emu.service_username)
        assert_no_secret(result, emu.service_token, emu.service_username)


def test_rotate_gives_no_revoke_reminder_when_a_host_failed(jira_emulator):
    """The reminder needs every host confirmed: one host that cannot be written withholds it."""
    emu = jira_emulator
    fleet = Fleet(emu, 2, name='rotate-partial')
    assert fleet.run('provision', token=emu.service_token).rc == 0
    new = _new_token(emu)
    # host02's config goes under a regular file: its write fails whoever runs the test (root too).
    not_a_dir = os.path.join(fleet.base, 'not-a-directory')
    with open(not_a_dir, 'w') as f:
        f.write('a file\n')
    inventory = fleet.inventory(host_vars={'host02': {'jira_integration_config_path': not_a_dir + '/etc/jira.yml'}})
    result = fleet.run('rotate', token=new, inventory=inventory)
    assert result.rc != 0
    assert REVOKE not in result.stdout and 'now has' not in result.stdout
    assert '1 of 2 hosts changed: host01 (api_token). 1 failed: host02' in result.stdout, result
    assert_no_secret(result, new, emu.service_username)


def _vaulted_layout(fleet, token):
    """The layout of docs/vault-workflow.md: group_vars/jira_integration/vault.yml holding the token
    as an inline !vault value; returns (hosts.yml, vault password file)."""
    inv_dir = os.path.join(fleet.base, 'inventory')
    gv = os.path.join(inv_dir, 'group_vars', 'jira_integration')
    os.makedirs(gv)
    hosts = fleet.inventory(directory=inv_dir)
    password_file = os.path.join(fleet.base, 'vault-password')
    with open(password_file, 'w') as f:
        f.write(secrets.token_urlsafe(24) + '\n')
    os.chmod(password_file, 0o600)
    proc = subprocess.run(
        [ansible_bin('ansible-vault'), 'encrypt_string', '--vault-id', 'prod@' + password_file,
         '--stdin-name', 'jira_integration_api_token'],
        input=token.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ansible_env(), check=True)
    with open(os.path.join(gv, 'vault.yml'), 'wb') as f:
        f.write(proc.stdout)
    return hosts, password_file


def test_decommission_runs_without_any_vault_secret(jira_emulator):
    emu = jira_emulator
    fleet = Fleet(emu, 2, name='decommission-vault')
    hosts, password_file = _vaulted_layout(fleet, emu.service_token)
    provisioned = fleet.run('provision', inventory=hosts, extra_vars={'jira_integration_require_vaulted_token': True},
                            args=['--vault-id', 'prod@' + password_file])
    assert provisioned.rc == 0, provisioned
    assert len(fleet.snapshot()) == 4
    emu.reset()

    # No --vault-id and no vault password anywhere (the test's environment has none either).
    assert not [k for k in os.environ if k.startswith('ANSIBLE_VAULT')]
    gone = fleet.run('decommission', inventory=hosts)
    assert gone.rc == 0, gone
    assert 'no vault secrets' not in gone.all_text()
    assert fleet.snapshot() == {}
    assert changed_per_host(gone) == {h: 1 for h in fleet.hosts}
    assert 'Remove the Jira settings' in gone.stdout
    assert 'Validate' not in gone.stdout and 'write' not in gone.stdout.lower().split('play recap')[0]
    assert emu.total_requests() == 0
    assert_no_secret([provisioned, gone], emu.service_token, emu.service_username)
