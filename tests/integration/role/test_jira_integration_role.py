"""The jira_integration role and its playbooks, run with the real ansible-playbook against the
Jira emulator, on fleets of local hosts (each host writes under its own temp folder)."""

import os
import secrets
import stat

import pytest

from _helpers import Fleet, changed_per_host, config_results, report_rows, today
from support.ansible import assert_no_secret

MYSELF = '/rest/api/3/myself'
MYPERMISSIONS = '/rest/api/3/mypermissions'
FACT_KEYS = {'url', 'username', 'account_id', 'token_fingerprint', 'rotated_at', 'validated_at', 'expires_on',
             'config_path'}


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _new_token(emu):
    token = 'ATATT' + secrets.token_urlsafe(30)
    emu.service_account.tokens.append(token)
    return token


@pytest.mark.slow
def test_fleet_of_20_hosts_check_provision_rerun_rotate_and_revoked_token(jira_emulator):
    emu = jira_emulator
    token = emu.service_token
    fleet = Fleet(emu, 20, group_vars={'jira_integration_projects': ['OPS'],
                                       'jira_integration_required_permissions': ['BROWSE_PROJECTS', 'CREATE_ISSUES']})

    # Check mode first: it reports what the real run then does, and writes nothing.
    check = fleet.run('provision', token=token, check=True)
    assert check.rc == 0, check
    assert fleet.snapshot() == {}
    check_changed = changed_per_host(check)
    assert len(check_changed) == 20 and all(n > 0 for n in check_changed.values()), check_changed
    assert {h: sorted(r['changed_keys']) for h, r in config_results(check).items()} == {
        h: ['api_token', 'url', 'username'] for h in fleet.hosts}

    # First run: 20 files, and Jira is asked exactly once (plus once for the one checked project).
    emu.reset()
    first = fleet.run('provision', token=token)
    assert first.rc == 0, first
    assert emu.count(MYSELF) == 1
    assert emu.count(MYPERMISSIONS) == 1
    assert emu.total_requests() == 2
    assert changed_per_host(first) == check_changed
    account_id = emu.service_account.account_id
    for host in fleet.hosts:
        assert fleet.read_config(host) == {'url': emu.url, 'username': emu.service_username, 'api_token': token}
        assert _mode(fleet.config_path(host)) == 0o600
        fact = fleet.read_fact(host)
        assert set(fact) == FACT_KEYS
        assert fact['account_id'] == account_id
        assert fact['config_path'] == fleet.config_path(host)
        assert fact['rotated_at'] == fact['validated_at']
        assert _mode(fleet.fact_path(host)) == 0o644
    first_fingerprint = fleet.read_fact('host01')['token_fingerprint']
    assert first_fingerprint.startswith('pbkdf2-sha256:')

    # Second run: nothing changes anywhere, not even a timestamp.
    before = fleet.snapshot()
    assert len(before) == 40
    emu.reset()
    second = fleet.run('provision', token=token)
    assert second.rc == 0, second
    assert changed_per_host(second) == {h: 0 for h in fleet.hosts}
    assert fleet.snapshot() == before
    assert emu.count(MYSELF) == 1

    # Rotation, in check mode first (nothing written), then for real: only api_token changes.
    new_token = _new_token(emu)
    for host in fleet.hosts:
        fleet.write_fact(host, rotated_at='2026-01-01T00:00:00Z')
    before = fleet.snapshot()
    rot_check = fleet.run('rotate', token=new_token, check=True)
    assert rot_check.rc == 0, rot_check
    assert fleet.snapshot() == before
    rot = fleet.run('rotate', token=new_token)
    assert rot.rc == 0, rot
    assert changed_per_host(rot) == changed_per_host(rot_check)
    assert {h: r['changed_keys'] for h, r in config_results(rot).items()} == {h: ['api_token'] for h in fleet.hosts}
    assert {h: r['changed_keys'] for h, r in config_results(rot_check).items()} == {
        h: ['api_token'] for h in fleet.hosts}
    assert '20 of 20 hosts changed' in rot.stdout
    assert 'revoke the OLD token' in rot.stdout
    for host in fleet.hosts:
        assert fleet.read_config(host) == {'url': emu.url, 'username': emu.service_username, 'api_token': new_token}
        old, fact = before[fleet.fact_path(host)], fleet.read_fact(host)
        assert fact['rotated_at'] > '2026-01-01T00:00:00Z'
        assert fact['token_fingerprint'] not in (first_fingerprint, None)
        assert fact['account_id'] == account_id and fact['url'] == emu.url
        assert old  # the file was there before

    # The new token is revoked (Jira answers 401): the play stops before any host is touched.
    emu.service_account.tokens.remove(new_token)
    before = fleet.snapshot()
    emu.reset()
    revoked = fleet.run('provision', token=new_token)
    assert revoked.rc != 0, revoked
    assert 'invalid_credentials' in revoked.stdout
    assert 'No host was changed' in revoked.stdout
    assert emu.count(MYSELF) == 1  # a 401 is never retried
    assert config_results(revoked) == {}
    assert fleet.snapshot() == before
    assert all(c.get('changed', 0) == 0 for c in revoked.recap().values())

    for result in (check, first, second, rot_check, rot, revoked):
        assert_no_secret(result, token, emu.service_username)
        assert_no_secret(result, new_token, emu.service_username)


def test_no_token_in_output_at_vvvv_with_diff(jira_emulator):
    emu = jira_emulator
    token, new_token = emu.service_token, _new_token(emu)
    fleet = Fleet(emu, 3, name='leak')
    runs = [
        fleet.run('provision', token=token, verbosity=4, diff=True),
        fleet.run('rotate', token=new_token, verbosity=4, diff=True),
        fleet.run('report', token=new_token, verbosity=4, diff=True),
        fleet.run('validate', token=new_token, verbosity=4, diff=True),
        fleet.run('provision', token=token + 'x', verbosity=4, diff=True),  # refused by Jira
        fleet.run('decommission', verbosity=4, diff=True),
    ]
    assert [r.rc == 0 for r in runs] == [True, True, True, True, False, True], runs
    # The rotation is visible in the diff through the fingerprints, never the token.
    new_fingerprint = list(config_results(runs[1]).values())[0]['token_fingerprint']
    assert new_fingerprint in runs[1].stdout
    for result in runs:
        for secret in (token, new_token, token + 'x'):
            assert_no_secret(result, secret, emu.service_username)


def test_report_flags_expired_near_expiry_old_wide_missing_and_differing(jira_emulator):
    emu = jira_emulator
    token = emu.service_token
    fleet = Fleet(emu, 7, name='report', group_vars={'jira_integration_token_expires_on': today(200)})
    assert fleet.run('provision', token=token).rc == 0
    fleet.write_fact('host02', expires_on=today(-1))
    fleet.write_fact('host03', expires_on=today(5))
    os.chmod(fleet.config_path('host04'), 0o644)
    os.unlink(fleet.config_path('host05'))
    fleet.write_fact('host06', rotated_at='2020-01-01T00:00:00Z')
    with open(fleet.config_path('host07')) as f:
        text = f.read()
    with open(fleet.config_path('host07'), 'w') as f:
        f.write(text.replace(token, 'someone-pasted-another-token'))
    before = fleet.snapshot()

    report = fleet.run('report', token=token)
    assert report.rc == 0, report
    assert fleet.snapshot() == before
    assert changed_per_host(report) == {h: 0 for h in fleet.hosts}
    rows = report_rows(report)
    status = {h: rows[h]['STATUS'] for h in fleet.hosts}
    assert status == {
        'host01': 'ok',
        'host02': 'expired',
        'host03': 'rotate soon',
        'host04': 'mode too wide',
        'host05': 'missing',
        'host06': 'rotate soon',
        'host07': 'differs',
    }, status
    fingerprint = fleet.read_fact('host01')['token_fingerprint']
    assert rows['host01']['FINGERPRINT'] == fingerprint
    assert rows['host01']['URL'] == emu.url and rows['host01']['USERNAME'] == emu.service_username
    assert rows['host06']['AGE (DAYS)'].isdigit() and int(rows['host06']['AGE (DAYS)']) > 90
    assert rows['host02']['EXPIRES'].startswith(today(-1))
    assert 'the current token is valid' in report.stdout
    assert_no_secret(report, token, emu.service_username)

    # Without the token (no vault password at hand) an expected fingerprint can be given instead.
    report = fleet.run('report', extra_vars={'jira_integration_expected_token_fingerprint': fingerprint})
    assert report.rc == 0, report
    assert report_rows(report)['host07']['STATUS'] == 'differs'
    assert report_rows(report)['host01']['STATUS'] == 'ok'


def test_validate_playbook_touches_no_host_and_fails_on_a_bad_token(jira_emulator):
    emu = jira_emulator
    fleet = Fleet(emu, 3, name='validate', group_vars={'jira_integration_projects': ['OPS']})
    ok = fleet.run('validate', token=emu.service_token)
    assert ok.rc == 0, ok
    assert fleet.snapshot() == {}
    assert emu.count(MYSELF) == 1
    assert emu.service_account.display_name in ok.stdout
    assert 'jira-software-users' in ok.stdout  # groups are gathered on the same /myself request
    assert 'Project OPS: BROWSE_PROJECTS=True' in ok.stdout
    assert 'Token fingerprint: pbkdf2-sha256:' in ok.stdout

    emu.reset()
    bad = fleet.run('validate', token='not-' + emu.service_token)
    assert bad.rc != 0
    assert 'invalid_credentials' in bad.stdout
    assert emu.count(MYSELF) == 1
    for result in (ok, bad):
        assert_no_secret(result, emu.service_token, emu.service_username)


def test_decommission_removes_config_and_fact_without_a_token(jira_emulator):
    emu = jira_emulator
    fleet = Fleet(emu, 3, name='decommission')
    assert fleet.run('provision', token=emu.service_token).rc == 0
    assert len(fleet.snapshot()) == 6
    emu.reset()
    gone = fleet.run('decommission')
    assert gone.rc == 0, gone
    assert fleet.snapshot() == {}
    # One module run per host removes both files (the config and the rotation record).
    assert changed_per_host(gone) == {h: 1 for h in fleet.hosts}
    assert emu.total_requests() == 0
    again = fleet.run('decommission')
    assert again.rc == 0 and changed_per_host(again) == {h: 0 for h in fleet.hosts}


def test_wrong_inputs_are_named_and_stop_before_anything_happens(jira_emulator):
    emu = jira_emulator
    fleet = Fleet(emu, 2, name='inputs', group_vars={'jira_integration_config_mode': 384,
                                                     'jira_integration_token_expires_on': today(-3)})
    del fleet.group_vars['jira_integration_url']
    bad = fleet.run('provision', token=emu.service_token)
    assert bad.rc != 0
    for text in ('jira_integration_url is not set', 'jira_integration_config_mode must be a quoted string',
                 'The API token expired on %s (jira_integration_token_expires_on)' % today(-3)):
        assert text in bad.stdout, bad
    assert fleet.snapshot() == {}
    assert emu.total_requests() == 0


def test_token_near_expiry_warns_or_fails_per_token_age_action(jira_emulator):
    emu = jira_emulator
    fleet = Fleet(emu, 2, name='age', group_vars={'jira_integration_token_expires_on': today(5)})
    warn = fleet.run('provision', token=emu.service_token)
    assert warn.rc == 0, warn
    assert ('WARNING: rotate the Jira API token: the token expires on %s, in 5 days (jira_integration_token_warn_days: 14)'
            ' on host01, host02.' % today(5)) in warn.stdout
    fail = fleet.run('provision', token=emu.service_token, extra_vars={'jira_integration_token_age_action': 'fail'})
    assert fail.rc != 0
    assert 'jira_integration_token_age_action is fail' in fail.stdout
    assert changed_per_host(fail) == {h: 0 for h in fleet.hosts}


def test_restart_handlers_run_only_when_the_config_changed(jira_emulator, tmp_path):
    emu = jira_emulator
    fleet = Fleet(emu, 1, name='handler')
    marker = os.path.join(fleet.base, 'handler-ran')
    playbook = os.path.join(fleet.base, 'play.yml')
    with open(playbook, 'w') as f:
        f.write('''- hosts: jira_integration
  gather_facts: false
  roles:
    - role: integrations.jira.jira_integration
      vars:
        jira_integration_notify: [Restart my service]
  handlers:
    - name: Restart my service
      ansible.builtin.lineinfile:
        path: %s
        line: restarted
        create: true
        mode: "0644"
''' % marker)
    from support.ansible import run_playbook
    ev = {'jira_integration_api_token': emu.service_token, 'jira_integration_require_vaulted_token': False}
    first = run_playbook(playbook, inventory=fleet.inventory(), extra_vars=ev)
    assert first.rc == 0, first
    assert 'RUNNING HANDLER [Restart my service]' in first.stdout
    os.unlink(marker)
    second = run_playbook(playbook, inventory=fleet.inventory(), extra_vars=ev)
    assert second.rc == 0, second
    assert 'RUNNING HANDLER [Restart my service]' not in second.stdout
    assert not os.path.exists(marker)


def _ansible_core_version():
    from ansible.release import __version__
    return tuple(int(p) for p in __version__.split('.')[:2])


def _vault_inventory(fleet, password_file, token, layout):
    """An inventory folder whose group_vars hold the token as ``layout`` says."""
    import subprocess
    from support.ansible import ansible_bin, ansible_env
    inv_dir = os.path.join(fleet.base, 'inventory-' + layout)
    gv = os.path.join(inv_dir, 'group_vars', 'jira_integration')
    os.makedirs(gv)
    fleet.inventory(directory=inv_dir)
    name = 'vault_jira_integration_api_token' if layout == 'indirect' else 'jira_integration_api_token'
    if layout == 'plain':
        vault_text = 'jira_integration_api_token: %s\n' % token
    else:
        proc = subprocess.run(
            [ansible_bin('ansible-vault'), 'encrypt_string', '--vault-id', 'test@' + password_file,
             '--stdin-name', name],
            input=token.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ansible_env(), check=True)
        vault_text = proc.stdout.decode()
        assert token not in vault_text and '$ANSIBLE_VAULT;1.2;AES256;test' in vault_text
    with open(os.path.join(gv, 'vault.yml'), 'w') as f:
        f.write(vault_text)
    if layout == 'indirect':
        with open(os.path.join(gv, 'vars.yml'), 'w') as f:
            f.write('jira_integration_api_token: "{{ vault_jira_integration_api_token }}"\n')
    return inv_dir


@pytest.mark.parametrize('layout', ['vaulted', 'indirect', 'plain'])
def test_vaulted_token_and_require_vaulted_token(jira_emulator, layout):
    """A vaulted token works with the real ansible-playbook and a vault password file; a plain one
    is refused on ansible-core >= 2.19 (which can tell) and only warned about on 2.16-2.18."""
    emu = jira_emulator
    fleet = Fleet(emu, 2, name='vault-' + layout)
    password_file = os.path.join(fleet.base, 'vault-password')
    with open(password_file, 'w') as f:
        f.write(secrets.token_urlsafe(24) + '\n')
    os.chmod(password_file, 0o600)
    inv_dir = _vault_inventory(fleet, password_file, emu.service_token, layout)

    result = fleet.run('provision', inventory=os.path.join(inv_dir, 'hosts.yml'),
                       extra_vars={'jira_integration_require_vaulted_token': True},
                       args=['--vault-id', 'test@' + password_file])
    assert_no_secret(result, emu.service_token, emu.service_username)
    core_can_tell = _ansible_core_version() >= (2, 19)
    cannot_tell = 'cannot tell whether jira_integration_api_token came from Ansible Vault'
    refused = 'jira_integration_api_token did not come from Ansible Vault'
    if layout == 'vaulted' or (layout == 'indirect' and core_can_tell):
        assert result.rc == 0, result
        assert cannot_tell not in result.stdout and refused not in result.stdout
    elif layout == 'plain' and core_can_tell:
        assert result.rc != 0, result
        assert refused in result.stdout
        assert fleet.snapshot() == {}
        assert emu.total_requests() == 0
        return
    else:  # 2.16-2.18 with a templated or plain token: a warning, not a failure
        assert result.rc == 0, result
        assert cannot_tell in result.stdout
    for host in fleet.hosts:
        assert fleet.read_config(host)['api_token'] == emu.service_token


def test_records_with_the_older_fingerprint_form_are_reported_ok_and_upgraded_once(jira_emulator):
    """Records written by an earlier version hold sha256:<16 hex> (unsalted). report compares them
    (and an expected fingerprint given in that form) on each host without calling them
    'differs'; the next provision upgrades each record once, keeps rotated_at, then converges."""
    import hashlib
    emu = jira_emulator
    token = emu.service_token
    fleet = Fleet(emu, 2, name='oldform')
    assert fleet.run('provision', token=token).rc == 0
    rotated_at = today(-10) + 'T00:00:00Z'  # young enough to be 'ok'
    legacy = 'sha256:' + hashlib.sha256(token.encode('utf-8')).hexdigest()[:16]
    for host in fleet.hosts:
        fleet.write_fact(host, token_fingerprint=legacy, rotated_at=rotated_at)
    with open(fleet.config_path('host02')) as f:
        text = f.read()
    with open(fleet.config_path('host02'), 'w') as f:
        f.write(text.replace(token, 'someone-pasted-another-token'))

    report = fleet.run('report', extra_vars={'jira_integration_expected_token_fingerprint': legacy})
    assert report.rc == 0, report
    rows = report_rows(report)
    assert {h: rows[h]['STATUS'] for h in fleet.hosts} == {'host01': 'ok', 'host02': 'differs'}, rows
    assert rows['host01']['FINGERPRINT'].startswith('pbkdf2-sha256:')
    assert_no_secret(report, token, emu.service_username)

    with open(fleet.config_path('host02'), 'w') as f:
        f.write(text)
    upgrade = fleet.run('provision', token=token, diff=True)
    assert upgrade.rc == 0, upgrade
    assert changed_per_host(upgrade) == {h: 1 for h in fleet.hosts}
    assert {h: r['config_changed'] for h, r in config_results(upgrade).items()} == {h: False for h in fleet.hosts}
    for host in fleet.hosts:
        fact = fleet.read_fact(host)
        assert fact['token_fingerprint'].startswith('pbkdf2-sha256:') and fact['rotated_at'] == rotated_at
    again = fleet.run('provision', token=token)
    assert changed_per_host(again) == {h: 0 for h in fleet.hosts}
    for result in (upgrade, again):
        assert_no_secret(result, token, emu.service_username)
