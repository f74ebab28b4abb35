"""The fleet report files (report.json, report.csv, report.html) written on the controller by a
real ``ansible-playbook integrations.jira.report -e jira_integration_report_dir=...`` run against
the Jira emulator, on a fleet of local hosts in different states."""

import csv
import datetime
import json
import os
import stat
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'role'))

from _helpers import Fleet, changed_per_host, report_rows, today  # noqa: E402  (needs the sys.path line)
from support.leakscan import scan_run  # noqa: E402

FILES = ('report.csv', 'report.html', 'report.json')
PASTED_TOKEN = 'ATATT-someone-pasted-another-token-0123456789'
HOSTILE_URL = 'https://jira.example/"><script>alert(1)</script>{{ 7 * 7 }}'  # markup, and Jinja never evaluated
FORMULA_USERNAME = '=HYPERLINK("http://evil.example","x")'

# host -> (severity, status text) after fleet_in_every_state.
EXPECTED = {
    'host01': ('ok', 'ok'),
    'host02': ('critical', 'mode too wide'),
    'host03': ('warning', 'rotate soon'),      # set in 2020
    'host04': ('warning', 'rotate soon'),      # expires in 5 days
    'host05': ('critical', 'expired'),
    'host06': ('critical', 'missing'),
    'host07': ('critical', 'differs'),
    'host08': ('critical', 'invalid_url'),     # a hostile URL pasted into the file
}


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _edit_config(fleet, host, **changes):
    data = fleet.read_config(host)
    data.update(changes)
    with open(fleet.config_path(host), 'w', encoding='utf-8') as f:
        yaml.safe_dump(data, f)


def fleet_in_every_state(emu, name):
    """Provision eight hosts with the emulator's token, then put each in another state."""
    token = emu.service_token
    fleet = Fleet(emu, 8, name=name, group_vars={'jira_integration_token_expires_on': today(200)})
    provision = fleet.run('provision', token=token)
    assert provision.rc == 0, provision
    os.chmod(fleet.config_path('host02'), 0o644)
    fleet.write_fact('host03', rotated_at='2020-01-01T00:00:00Z')
    fleet.write_fact('host04', expires_on=today(5))
    fleet.write_fact('host05', expires_on=today(-1))
    os.unlink(fleet.config_path('host06'))
    _edit_config(fleet, 'host07', api_token=PASTED_TOKEN, username=FORMULA_USERNAME)
    _edit_config(fleet, 'host08', url=HOSTILE_URL)
    return fleet, token


def read_report(directory):
    with open(os.path.join(directory, 'report.json'), encoding='utf-8') as f:
        data = json.load(f)
    with open(os.path.join(directory, 'report.csv'), encoding='utf-8', newline='') as f:
        table = list(csv.reader(f))
    with open(os.path.join(directory, 'report.html'), encoding='utf-8') as f:
        page = f.read()
    return data, table, page


def assert_worst_first(rows):
    order = ['critical', 'unknown', 'warning', 'ok']
    ranks = [order.index(r['status']) for r in rows]
    assert ranks == sorted(ranks), [(r['host'], r['status']) for r in rows]


def test_report_files_on_the_controller(jira_emulator):
    emu = jira_emulator
    fleet, token = fleet_in_every_state(emu, 'files')
    report_dir = os.path.join(fleet.base, 'reports', 'latest')  # the parents do not exist yet
    before = fleet.snapshot()
    old_umask = os.umask(0o022)  # what a permissive controller has; the files must still be 0600
    try:
        result = fleet.run('report', token=token, extra_vars={'jira_integration_report_dir': report_dir})
    finally:
        os.umask(old_umask)
    assert result.rc == 0, result
    assert fleet.snapshot() == before  # the hosts are only read
    assert sorted(os.listdir(report_dir)) == list(FILES)  # and no temporary file left behind
    for name in FILES:
        assert _mode(os.path.join(report_dir, name)) == 0o600, name
    assert _mode(report_dir) == 0o700

    data, table, page = read_report(report_dir)
    # JSON: the documented top level, the current token's verdict, one row per host, worst first.
    assert set(data) == {'schema_version', 'generated_at', 'current_token', 'thresholds', 'summary', 'rows'}
    assert data['schema_version'] == 1
    generated = datetime.datetime.strptime(data['generated_at'], '%Y-%m-%dT%H:%M:%SZ')
    assert abs((datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - generated).total_seconds()) < 900
    fingerprint = fleet.read_fact('host01')['token_fingerprint']
    assert data['current_token'] == {'checked': True, 'valid': True, 'failure_reason': None,
                                     'token_fingerprint': fingerprint, 'expected_fingerprint': fingerprint}
    assert data['thresholds'] == {'token_max_age_days': 90, 'token_warn_days': 14}
    rows = data['rows']
    assert {r['host']: (r['status'], r['status_text']) for r in rows} == EXPECTED
    assert_worst_first(rows)
    assert data['summary'] == {'critical': 5, 'unknown': 0, 'warning': 2, 'ok': 1}
    by_host = {r['host']: r for r in rows}
    ok = by_host['host01']
    assert (ok['url'], ok['username'], ok['token_fingerprint'], ok['mode'], ok['owner'], ok['problems']) == (
        emu.url, emu.service_username, fingerprint, '0600', by_host['host01']['owner'], [])
    assert ok['config_path'] == fleet.config_path('host01')
    # Days are counted from the report's own date (a run across midnight UTC stays exact).
    run_day = generated.date()
    for row in rows:
        record = fleet.read_fact(row['host'])
        assert (row['expires_on'], row['rotated_at']) == (record['expires_on'], record['rotated_at']), row['host']
        assert row['days_left'] == (datetime.date.fromisoformat(record['expires_on']) - run_day).days
        assert row['age_days'] == (run_day - datetime.date.fromisoformat(record['rotated_at'][:10])).days
    assert by_host['host02']['mode'] == '0644'
    assert by_host['host03']['age_days'] > 90
    assert by_host['host05']['days_left'] < 0 <= by_host['host04']['days_left'] <= 5
    assert by_host['host07']['token_fingerprint'] not in (None, fingerprint)
    assert by_host['host08']['url'] == HOSTILE_URL
    for row in rows:
        for problem in row['problems']:
            assert problem['fix'], (row['host'], problem)
    assert 'chmod 0600' in by_host['host02']['problems'][0]['fix']
    assert 'integrations.jira.rotate' in by_host['host05']['problems'][0]['fix']

    # CSV: the same rows in the same order; no cell a spreadsheet would run as a formula.
    header, body = table[0], table[1:]
    assert [r[header.index('Host')] for r in body] == [r['host'] for r in rows]
    assert [r[header.index('Status')] for r in body] == [r['status'].upper() for r in rows]
    host07 = body[[r['host'] for r in rows].index('host07')]
    assert host07[header.index('Username')] == "'" + FORMULA_USERNAME
    numeric = {header.index('Age (days)'), header.index('Days left')}
    assert not [c for r in body for i, c in enumerate(r) if i not in numeric and c[:1] and c[0] in '=+-@\t\r']

    # HTML: self-contained, the hostile URL shown as text.
    assert '<script' not in page and '&lt;script&gt;alert(1)&lt;/script&gt;' in page
    assert 'href=' not in page and 'src=' not in page.replace('default-src', '')
    for host in EXPECTED:
        assert '>%s</td>' % host in page

    # The table is printed as before.
    assert {h: r['STATUS'] for h, r in report_rows(result).items()} == {h: s[1] for h, s in EXPECTED.items()}
    # The run changed the report files on the controller only: the delegated task counts for one host.
    assert sum(changed_per_host(result).values()) == 1

    # No form of either token anywhere: output, results, run dir, the report files.
    for secret in (token, PASTED_TOKEN):
        scan_run(result, secret, emu.service_username, extra_paths=[report_dir])


def test_rerun_without_token_replaces_the_files_atomically(jira_emulator):
    emu = jira_emulator
    fleet = Fleet(emu, 2, name='rerun')
    assert fleet.run('provision', token=emu.service_token).rc == 0
    report_dir = os.path.join(fleet.base, 'reports')
    os.makedirs(report_dir, mode=0o755)
    stale = {}
    for name in FILES:  # old files with a wide mode, as if copied there by hand
        path = os.path.join(report_dir, name)
        with open(path, 'w') as f:
            f.write('stale')
        os.chmod(path, 0o644)
        stale[name] = os.stat(path).st_ino
    fingerprint = fleet.read_fact('host01')['token_fingerprint']
    emu.reset()
    result = fleet.run('report', extra_vars={'jira_integration_report_dir': report_dir,
                                             'jira_integration_expected_token_fingerprint': fingerprint})
    assert result.rc == 0, result
    assert emu.total_requests() == 0  # without the token Jira is not asked
    assert sorted(os.listdir(report_dir)) == list(FILES)
    for name in FILES:
        path = os.path.join(report_dir, name)
        assert _mode(path) == 0o600, name
        assert os.stat(path).st_ino != stale[name], name  # a new file renamed over the old one
    data, table, page = read_report(report_dir)
    assert data['current_token'] == {'checked': False, 'valid': None, 'failure_reason': None,
                                     'token_fingerprint': None, 'expected_fingerprint': fingerprint}
    assert [(r['host'], r['status']) for r in data['rows']] == [('host01', 'ok'), ('host02', 'ok')]
    assert 'the current token was not checked; expected fingerprint %s' % fingerprint in page
    assert len(table) == 3
    scan_run(result, emu.service_token, emu.service_username, extra_paths=[report_dir])

    # A host that cannot be reached is in the report as such (not as a missing file); the play
    # fails for it, the files are still written.
    fleet.hosts.append('host03')
    unreachable = {'host03': {'ansible_connection': 'ssh', 'ansible_host': '127.0.0.1', 'ansible_port': 1,
                              'ansible_ssh_common_args': '-o ConnectTimeout=5'}}
    result = fleet.run('report', inventory=fleet.inventory(host_vars=unreachable),
                       extra_vars={'jira_integration_report_dir': report_dir,
                                   'jira_integration_expected_token_fingerprint': fingerprint})
    assert result.recap()['host03']['unreachable'] == 1, result
    data = read_report(report_dir)[0]
    assert [(r['host'], r['status'], r['status_text']) for r in data['rows']] == [
        ('host03', 'unknown', 'unreachable or failed'), ('host01', 'ok', 'ok'), ('host02', 'ok', 'ok')]
    assert report_rows(result)['host03']['STATUS'] == 'unreachable or failed'
    fleet.hosts.remove('host03')

    # A report_dir that is not absolute is refused, naming the option; nothing is written.
    bad = fleet.run('report', extra_vars={'jira_integration_report_dir': 'relative/dir'})
    assert bad.rc != 0
    assert 'jira_integration_report_dir must be an absolute directory' in bad.stdout, bad
    assert not os.path.exists(os.path.join(bad.workdir, 'relative'))
