"""Unit tests of the fleet report's pure logic: the token-age rule, rows, statuses, fixes, sort
order and the JSON/CSV/HTML/text renderings (the real ansible-playbook runs are in
tests/integration/test_fleet_report.py)."""

import csv
import datetime
import io
import json
from html.parser import HTMLParser

import pytest

from ansible_collections.integrations.jira.plugins.module_utils import _fleet_report as fr

NOW = datetime.datetime(2026, 12, 2, 1, 2, 3)
TODAY = NOW.date()
FP = 'sha256:1111111111111111'
OTHER_FP = 'sha256:2222222222222222'


def day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


def config(**over):
    data = dict(exists=True, path='/etc/app/jira.yml', url='https://x.atlassian.net', username='svc@example.com',
                token_fingerprint=FP, mode='0600', owner='app', group='app', problems=[])
    data.update(over)
    return data


def record(**over):
    data = dict(url='https://x.atlassian.net', username='svc@example.com', token_fingerprint=FP,
                rotated_at=day(-10) + 'T08:00:00Z', expires_on=day(200), config_path='/etc/app/jira.yml')
    data.update(over)
    return data


def row(cfg=None, rec=None, current=FP, **kw):
    return fr.build_row('web01', config() if cfg is None else cfg, record() if rec is None else rec, current,
                        TODAY, kw.get('max_age', 90), kw.get('warn', 14), kw.get('insecure', False))


# -- the token-age rule (shared with the role's check) -----------------------------------------

def test_token_age_counts_days_and_gives_the_reasons_the_role_has_always_printed():
    assert fr.token_age(record(), TODAY, 90, 14) == (10, 200, [])
    assert fr.token_age(record(rotated_at='2020-01-01T00:00:00Z', expires_on=day(5)), TODAY, 90, 14) == (
        (TODAY - datetime.date(2020, 1, 1)).days, 5, [
            'the token was set %d days ago (on 2020-01-01), more than jira_integration_token_max_age_days (90)'
            % (TODAY - datetime.date(2020, 1, 1)).days,
            'the token expires on %s, in 5 days (jira_integration_token_warn_days: 14)' % day(5)])


@pytest.mark.parametrize('age, due', [(90, False), (91, True)])
def test_max_age_is_exclusive(age, due):
    assert bool(fr.token_age(record(rotated_at=day(-age)), TODAY, 90, 14)[2]) is due


@pytest.mark.parametrize('left, due', [(15, False), (14, True), (0, True), (-1, True)])
def test_warn_days_is_inclusive(left, due):
    assert bool(fr.token_age(record(expires_on=day(left)), TODAY, 90, 14)[2]) is due


def test_token_age_without_dates_is_unknown_and_not_due():
    assert fr.token_age({}, TODAY, 90, 14) == (None, None, [])
    assert fr.token_age(record(expires_on=None), TODAY, 90, 14) == (10, None, [])


def test_due_lines_group_hosts_per_reason_in_first_seen_order_and_skip_hosts_without_record():
    soon = record(expires_on=day(5))
    old = record(rotated_at='2020-01-01T00:00:00Z')
    lines = fr.due_lines([('h1', soon), ('h2', None), ('h3', old), ('h4', soon), ('h5', record())], TODAY, 90, 14)
    assert lines == [
        'the token expires on %s, in 5 days (jira_integration_token_warn_days: 14) on h1, h4' % day(5),
        'the token was set %d days ago (on 2020-01-01), more than jira_integration_token_max_age_days (90) on h3'
        % (TODAY - datetime.date(2020, 1, 1)).days,
    ]
    assert fr.due_lines([('h1', record(rotated_at='yesterday'))], TODAY, 90, 14) == [
        'the rotation record of the host holds a date that is not YYYY-MM-DD on h1']


# -- rows and statuses -------------------------------------------------------------------------

def test_a_healthy_host_is_ok_with_no_fix():
    r = row()
    assert (r['status'], r['status_text'], r['problems']) == ('ok', 'ok', [])
    assert (r['age_days'], r['days_left'], r['mode'], r['owner'], r['group']) == (10, 200, '0600', 'app', 'app')


@pytest.mark.parametrize('cfg, rec, current, status, text', [
    (config(exists=False, problems=['not_found'], mode=None), None, FP, 'critical', 'missing'),
    (None, record(expires_on=day(-1)), FP, 'critical', 'expired'),
    (None, record(expires_on=day(3)), FP, 'warning', 'rotate soon'),
    (None, record(rotated_at='2020-01-01T00:00:00Z'), FP, 'warning', 'rotate soon'),
    (config(mode='0644', problems=['mode_too_wide: 0644 is readable by group/others (want 0600)']), None, FP,
     'critical', 'mode too wide'),
    (config(token_fingerprint=OTHER_FP), record(token_fingerprint=OTHER_FP), FP, 'critical', 'differs'),
    (config(token_fingerprint=OTHER_FP), None, None, 'critical', 'differs'),  # against its own record
    (None, {}, FP, 'warning', 'missing metadata'),
    (None, None, FP, 'ok', 'ok'),
    (config(problems=['missing_key: api_token'], token_fingerprint=None), None, None, 'critical',
     'missing_key, differs'),
])
def test_statuses(cfg, rec, current, status, text):
    r = row(cfg, rec, current)
    assert (r['status'], r['status_text']) == (status, text)
    for p in r['problems']:
        assert p['fix'] and p['severity'] in fr.SEVERITIES


def test_problems_are_listed_in_the_order_the_table_has_always_shown_with_one_fix_each():
    r = row(config(token_fingerprint=OTHER_FP, mode='0666', problems=['token_whitespace',
                                                                      'mode_too_wide: 0666 is readable/writable']),
            {}, FP)
    assert [p['code'] for p in r['problems']] == ['missing_metadata', 'mode_too_wide', 'token_whitespace', 'differs']
    assert r['status_text'] == 'missing metadata, mode too wide, token_whitespace, differs'
    assert r['problems'][1]['detail'] == '0666 is readable/writable'
    assert 'chmod 0600' in r['problems'][1]['fix']


def test_insecure_url_is_a_problem_unless_allowed():
    cfg = config(url='http://jira.local', problems=['insecure_url: http:// sends the token in clear text'])
    assert row(cfg)['status_text'] == 'insecure_url'
    assert row(cfg, insecure=True)['status'] == 'ok'


def test_unreachable_host_and_bad_record():
    for result in (None, {'unreachable': True, 'msg': 'Failed to connect'}, {'failed': True, 'msg': 'boom'}):
        r = fr.build_row('gone', result, {}, FP, TODAY, 90, 14)
        assert (r['status'], r['status_text']) == ('unknown', 'unreachable or failed'), result
    r = fr.build_row('web02', config(), None, FP, TODAY, 90, 14)
    assert (r['status'], r['status_text']) == ('warning', 'bad metadata')
    r = row(rec=record(expires_on='soon'))
    assert r['status_text'] == 'bad metadata'


def test_rows_sorted_worst_first_then_by_days_left_then_name():
    hosts = [
        dict(host='ok-b', config=config(), record=record()),
        dict(host='ok-a', config=config(), record=record()),
        dict(host='soon-10', config=config(), record=record(expires_on=day(10))),
        dict(host='soon-2', config=config(), record=record(expires_on=day(2))),
        dict(host='gone', config=None),
        dict(host='expired', config=config(), record=record(expires_on=day(-3))),
        dict(host='two-problems', config=config(token_fingerprint=OTHER_FP, mode='0644',
                                                problems=['mode_too_wide: x']), record=record()),
    ]
    report = fr.build_report(hosts, {'valid': True, 'token_fingerprint': FP}, None, NOW, 90, 14)
    assert [r['host'] for r in report['rows']] == ['two-problems', 'expired', 'gone', 'soon-2', 'soon-10', 'ok-a', 'ok-b']
    assert report['summary'] == {'critical': 2, 'unknown': 1, 'warning': 2, 'ok': 2}


def test_current_token_header():
    assert fr.current_token_summary({'valid': False, 'failure_reason': 'invalid_credentials',
                                     'token_fingerprint': FP}, OTHER_FP) == {
        'checked': True, 'valid': False, 'failure_reason': 'invalid_credentials', 'token_fingerprint': FP,
        'expected_fingerprint': FP}
    unchecked = fr.current_token_summary(None, OTHER_FP)
    assert unchecked == {'checked': False, 'valid': None, 'failure_reason': None, 'token_fingerprint': None,
                         'expected_fingerprint': OTHER_FP}
    assert 'NOT valid (invalid_credentials)' in fr.current_token_text(
        fr.current_token_summary({'valid': False, 'failure_reason': 'invalid_credentials'}, None))


# -- renderings --------------------------------------------------------------------------------

HOSTILE_HOST = '<img src=x onerror=alert(1)>"\'&'
HOSTILE_URL = 'https://x.example/"><script>alert(2)</script>'


def hostile_report():
    hosts = [
        dict(host=HOSTILE_HOST, config=config(url=HOSTILE_URL, problems=['invalid_url: <b>bad</b>']), record=record()),
        dict(host='=HYPERLINK("http://evil")', config=config(username='+cmd|calc', url='-2+3'), record=record()),
        dict(host='@SUM(A1)', config=config(username='\tx'), record=record(expires_on=day(-2))),
        dict(host='web01', config=config(), record=record()),
    ]
    return fr.build_report(hosts, {'valid': True, 'token_fingerprint': FP}, None, NOW, 90, 14)


def test_json_has_the_documented_keys():
    data = json.loads(fr.render_json(hostile_report()))
    assert set(data) == {'schema_version', 'generated_at', 'current_token', 'thresholds', 'summary', 'rows'}
    assert data['schema_version'] == 1 and data['generated_at'] == '2026-12-02T01:02:03Z'
    assert set(data['rows'][0]) == {'host', 'status', 'status_text', 'problems', 'url', 'username',
                                    'token_fingerprint', 'rotated_at', 'age_days', 'expires_on', 'days_left',
                                    'mode', 'owner', 'group', 'config_path'}
    assert set(data['rows'][0]['problems'][0]) == {'code', 'label', 'severity', 'detail', 'fix'}


class _Collect(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_escapes_every_value_so_no_markup_is_injected():
    page = fr.render_html(hostile_report())
    parser = _Collect()
    parser.feed(page)
    tags = [t for t, _a in parser.tags]
    assert 'script' not in tags and 'img' not in tags and 'b' not in tags
    assert not any(name.startswith('on') for _t, attrs in parser.tags for name in attrs)
    text = ''.join(parser.text)
    assert HOSTILE_HOST in text and HOSTILE_URL in text and '<b>bad</b>' in text  # shown as text
    assert '&lt;script&gt;' in page and '&lt;img' in page and '&quot;' in page


def test_html_is_self_contained():
    page = fr.render_html(hostile_report())
    parser = _Collect()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert tag not in ('script', 'link', 'img', 'iframe', 'object')
        assert not ({'src', 'href'} & set(attrs)), (tag, attrs)
    assert "default-src 'none'" in page
    assert 'url(' not in page and '@import' not in page


def test_html_status_is_text_not_only_colour():
    page = fr.render_html(hostile_report())
    for word in ('CRITICAL', 'OK', 'expired', 'invalid_url'):
        assert word in page
    assert 'the current token is valid' in page and '2026-12-02T01:02:03Z' in page


def test_csv_cells_never_start_a_formula():
    rows = list(csv.reader(io.StringIO(fr.render_csv(hostile_report()))))
    assert rows[0][:3] == ['Host', 'Status', 'Problems']
    # Only the numeric columns (age, days left) may start with '-': a negative number, not text.
    numeric = [rows[0].index('Age (days)'), rows[0].index('Days left')]
    cells = [cell for r in rows for i, cell in enumerate(r) if i not in numeric]
    assert not [c for c in cells if c[:1] in ('=', '+', '-', '@', '\t', '\r')], cells
    assert [int(r[numeric[1]]) for r in rows[1:] if r[numeric[1]].startswith('-')] == [-2]
    by_host = dict((r[0], r) for r in rows[1:])
    assert "'=HYPERLINK(\"http://evil\")" in by_host
    assert "'@SUM(A1)" in by_host
    assert by_host["'=HYPERLINK(\"http://evil\")"][3] == "'-2+3"
    assert by_host["'=HYPERLINK(\"http://evil\")"][4] == "'+cmd|calc"
    assert by_host["'@SUM(A1)"][4] == "'\tx"
    assert by_host['web01'][1:3] == ['OK', '']


def test_csv_safe_leaves_numbers_and_plain_text():
    assert fr.csv_safe(-3) == -3 and fr.csv_safe(0) == 0
    assert fr.csv_safe('-3') == "'-3"
    assert fr.csv_safe('web01') == 'web01' and fr.csv_safe(None) == ''


def test_text_table_keeps_its_columns_and_the_status_labels():
    lines = fr.render_text(hostile_report())
    assert lines[0] == 'Jira: the current token is valid, fingerprint %s' % FP
    assert lines[1].split(' | ')[0].strip() == 'HOST'
    assert [c.strip() for c in lines[1].split(' | ')] == list(fr.TEXT_COLUMNS)
    web01 = [line for line in lines if line.startswith('web01')][0]
    assert [c.strip() for c in web01.split(' | ')][-1] == 'ok'
