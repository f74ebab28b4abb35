# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the integrations.jira collection. It may change at any time,
# without notice. Do not use it from other collections or roles.

"""The fleet report: the token-age rule, one row per host with its status and fixes, the sort
order, and the JSON, CSV, HTML and text renderings. Pure functions, no I/O.

Nothing here ever sees a token: the inputs are the config reader's result (fingerprint only),
the host's rotation record (no secret) and the credential check's verdict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import csv
import datetime
import io
import json

from html import escape as _html_escape

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.integrations.jira.plugins.module_utils._jira_client import is_legacy_fingerprint

SCHEMA_VERSION = 1

# Severity of a row, worst first; the sort order of the report and the colour of its status.
CRITICAL = 'critical'
UNKNOWN = 'unknown'
WARNING = 'warning'
OK = 'ok'
SEVERITIES = (CRITICAL, UNKNOWN, WARNING, OK)

ROTATE = 'Create a new API token, put it in the vault and run the integrations.jira.rotate playbook.'
PROVISION = 'Run the integrations.jira.provision playbook for this host.'

# Problem code -> (label shown in the status, severity, fix). The labels of the first six are the
# ones the report table has always shown.
PROBLEMS = {
    'missing': ('missing', CRITICAL, 'The config file does not exist. ' + PROVISION),
    'expired': ('expired', CRITICAL, 'The token has expired, so the integration cannot reach Jira. ' + ROTATE),
    'differs': ('differs', CRITICAL, 'The host does not have the current token. Run the integrations.jira.rotate '
                                     'playbook with the current token from the vault.'),
    'mode_too_wide': ('mode too wide', CRITICAL, 'Other users can read the token. Run the integrations.jira.provision '
                                                 'playbook for this host (it writes the file with '
                                                 'jira_integration_config_mode, 0600), or chmod 0600 the file.'),
    'rotate_soon': ('rotate soon', WARNING, ROTATE),
    'missing_metadata': ('missing metadata', WARNING, 'No rotation record at jira_integration_fact_path, so the '
                                                      "token's age is unknown. " + PROVISION),
    'bad_metadata': ('bad metadata', WARNING, 'The rotation record at jira_integration_fact_path is not valid. '
                                              + PROVISION),
    'unreachable': ('unreachable or failed', UNKNOWN, 'The host was unreachable or its tasks failed (see the '
                                                      'play output); fix that and run the report again.'),
    'symlink': ('symlink', CRITICAL, 'The config path is a symbolic link, which the writer refuses. Replace it '
                                     'with a regular file, then ' + PROVISION[0].lower() + PROVISION[1:]),
    'unreadable': ('unreadable', CRITICAL, 'The config file cannot be read; check its owner and permissions.'),
    'insecure_url': ('insecure_url', CRITICAL, 'The URL uses http://, so the token travels in clear text. Set '
                                               'jira_integration_url to https:// and ' + PROVISION[0].lower()
                     + PROVISION[1:]),
    'invalid_url': ('invalid_url', CRITICAL, 'Fix jira_integration_url, then ' + PROVISION[0].lower() + PROVISION[1:]),
}
# Any other problem of the config reader (missing_key, parse_error, token_whitespace, ...).
OTHER_PROBLEM = (CRITICAL, 'The config file is not usable as it is. ' + PROVISION)

# The text table's columns (the role prints it; tests and users parse it).
TEXT_COLUMNS = ('HOST', 'URL', 'USERNAME', 'FINGERPRINT', 'AGE (DAYS)', 'EXPIRES', 'STATUS')

# The CSV's and the HTML's columns: (header, row key).
COLUMNS = (
    ('Host', 'host'),
    ('Status', 'status'),
    ('Problems', 'problems'),
    ('URL', 'url'),
    ('Username', 'username'),
    ('Fingerprint', 'token_fingerprint'),
    ('Age (days)', 'age_days'),
    ('Expires on', 'expires_on'),
    ('Days left', 'days_left'),
    ('Mode', 'mode'),
    ('Owner', 'owner'),
    ('Config file', 'config_path'),
    ('Fix', 'fixes'),
)

CSV_FORMULA_START = ('=', '+', '-', '@', '\t', '\r')


class ReportError(Exception):
    def __init__(self, msg):
        super(ReportError, self).__init__(msg)
        self.msg = msg


def parse_date(text):
    """A date from ``YYYY-MM-DD`` (the first ten characters of a timestamp such as rotated_at)."""
    return datetime.datetime.strptime(str(text)[:10], '%Y-%m-%d').date()


def token_age(record, today, max_age_days, warn_days):
    """The token-age rule of the role, for one rotation record.

    Returns ``(age_days, days_left, reasons)``: days since ``rotated_at`` and until ``expires_on``
    (None when not recorded), and the reasons the token is due for rotation - older than
    ``max_age_days``, or expiring within ``warn_days`` (or already expired). Raises ValueError
    for a recorded date that is not a date.
    """
    age_days = days_left = None
    reasons = []
    rotated_at = record.get('rotated_at')
    if rotated_at:
        age_days = (today - parse_date(rotated_at)).days
        if age_days > int(max_age_days):
            reasons.append('the token was set %d days ago (on %s), more than jira_integration_token_max_age_days (%s)'
                           % (age_days, str(rotated_at)[:10], max_age_days))
    expires_on = record.get('expires_on')
    if expires_on:
        days_left = (parse_date(expires_on) - today).days
        if days_left <= int(warn_days):
            reasons.append('the token expires on %s, in %d days (jira_integration_token_warn_days: %s)'
                           % (expires_on, days_left, warn_days))
    return age_days, days_left, reasons


def due_lines(records, today, max_age_days, warn_days):
    """The role's age check over a play: ``records`` is a list of (host, rotation record or None);
    returns one line per reason, ``"<reason> on host1, host2"``, in the order first seen."""
    by_reason = []
    hosts_of = {}
    for host, record in records:
        if not record:
            continue
        try:
            reasons = token_age(record, today, max_age_days, warn_days)[2]
        except ValueError:
            reasons = ['the rotation record of the host holds a date that is not YYYY-MM-DD']
        for reason in reasons:
            if reason not in hosts_of:
                hosts_of[reason] = []
                by_reason.append(reason)
            hosts_of[reason].append(host)
    return ['%s on %s' % (reason, ', '.join(hosts_of[reason])) for reason in by_reason]


def parse_fact_content(content):
    """The rotation record from the fact file's content as ansible.builtin.slurp returns it
    (base64), or None when that is not a JSON object."""
    try:
        data = json.loads(base64.b64decode(to_bytes(content)).decode('utf-8'))
    except (binascii.Error, TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def fingerprints_to_compare(record, expected=None):
    """What the host must compare with its file's token: the expected fingerprint and a recorded
    one in the older sha256: form (the controller can only compare the current form as text)."""
    candidates = [expected, (record or {}).get('token_fingerprint')]
    return unique(c for i, c in enumerate(candidates)
                  if isinstance(c, str) and c and (i == 0 or is_legacy_fingerprint(c)))


def problem_code(problem):
    """The stable code of a config reader problem ``CODE`` or ``CODE: detail``."""
    return str(problem).split(':', 1)[0].strip()


def _problem(code, detail=None):
    label, severity, fix = PROBLEMS.get(code, (code,) + OTHER_PROBLEM)
    return {'code': code, 'label': label, 'severity': severity, 'detail': detail, 'fix': fix}


def _config_problems(config, allow_insecure_http):
    problems = []
    for problem in config.get('problems') or []:
        code = problem_code(problem)
        if code == 'not_found' or (code == 'insecure_url' and allow_insecure_http):
            continue
        detail = str(problem).split(':', 1)[1].strip() if ':' in str(problem) else None
        problems.append(_problem(code, detail))
    # The wide mode first, as the table has always shown it.
    return sorted(problems, key=lambda p: p['code'] != 'mode_too_wide')


def build_row(host, config, record, current, today, max_age_days, warn_days, allow_insecure_http=False):
    """One row of the report.

    ``config``: the host's jira_integration_config_info result (None when the host never got that
    far; a result with ``unreachable`` or ``failed`` counts as none). ``record``: its rotation record ({} when none; None when it is not valid JSON).
    ``current``: the fingerprint every host should have, or None when unknown.
    """
    row = {
        'host': host, 'config_path': None, 'url': None, 'username': None, 'token_fingerprint': None,
        'rotated_at': None, 'age_days': None, 'expires_on': None, 'days_left': None,
        'mode': None, 'owner': None, 'group': None,
    }
    # An unreachable host's (or a failed read's) registered result is no config.
    if config is None or config.get('unreachable') or config.get('failed'):
        return _finish(row, [_problem('unreachable')])
    bad_record = record is None
    record = record or {}
    exists = bool(config.get('exists'))
    row.update({
        'config_path': config.get('path') or record.get('config_path'),
        'url': config.get('url') or record.get('url'),
        'username': config.get('username') or record.get('username'),
        'token_fingerprint': config.get('token_fingerprint'),
        'rotated_at': record.get('rotated_at'),
        'expires_on': record.get('expires_on'),
        'mode': config.get('mode'), 'owner': config.get('owner'), 'group': config.get('group'),
    })
    problems = []
    if not exists:
        problems.append(_problem('missing'))
    elif bad_record:
        problems.append(_problem('bad_metadata', 'not a JSON object'))
    elif not record:
        problems.append(_problem('missing_metadata'))
    problems.extend(_config_problems(config, allow_insecure_http))
    fingerprint = row['token_fingerprint']
    # The host confirms fingerprints given in the older sha256: form (they cannot be compared as text).
    confirmed = config.get('token_fingerprint_matches') or {}
    if exists:
        if current and fingerprint != current and not confirmed.get(current):
            problems.append(_problem('differs', 'the file holds %s, the current token is %s' % (fingerprint or 'no token', current)))
        elif record and record.get('token_fingerprint') != fingerprint \
                and not confirmed.get(record.get('token_fingerprint') or ''):
            problems.append(_problem('differs', 'the file holds %s, the last rotation recorded %s (edited by hand?)'
                                     % (fingerprint or 'no token', record.get('token_fingerprint') or 'none')))
    try:
        row['age_days'], row['days_left'], reasons = token_age(record, today, max_age_days, warn_days)
    except ValueError:
        reasons = []
        problems.append(_problem('bad_metadata', 'rotated_at or expires_on is not a date'))
    days_left = row['days_left']
    if days_left is not None and days_left < 0:
        problems.append(_problem('expired', 'on %s, %s ago' % (row['expires_on'], _days(abs(days_left)))))
    elif reasons:
        problems.append(_problem('rotate_soon', '; '.join(reasons)))
    return _finish(row, problems)


def _finish(row, problems):
    row['problems'] = problems
    row['status'] = min((p['severity'] for p in problems), key=SEVERITIES.index) if problems else OK
    row['status_text'] = ', '.join(p['label'] for p in problems) if problems else 'ok'
    return row


def sort_rows(rows):
    """Worst first: by severity, then fewest days left, then oldest token, then host name."""
    far = float('inf')

    def key(row):
        days_left = row['days_left'] if row['days_left'] is not None else far
        age = -row['age_days'] if row['age_days'] is not None else 0
        return (SEVERITIES.index(row['status']), -len(row['problems']), days_left, age, row['host'])
    return sorted(rows, key=key)


def current_token_summary(validation, expected_fingerprint):
    """The header's "current token" object from the credential check (None when it did not run)
    and the configured expected fingerprint."""
    validation = validation or {}
    checked = validation.get('valid') is not None
    fingerprint = validation.get('token_fingerprint') if checked else None
    return {
        'checked': checked,
        'valid': bool(validation.get('valid')) if checked else None,
        'failure_reason': validation.get('failure_reason') if checked else None,
        'token_fingerprint': fingerprint,
        'expected_fingerprint': fingerprint or expected_fingerprint or None,
    }


def build_report(hosts, validation, expected_fingerprint, now, max_age_days, warn_days, allow_insecure_http=False):
    """The report object (what report.json holds). ``hosts``: list of dicts with ``host``,
    ``config`` and ``record`` (see build_row). ``now``: a naive UTC datetime."""
    current = current_token_summary(validation, expected_fingerprint)
    today = now.date()
    rows = sort_rows([build_row(h['host'], h.get('config'), h.get('record', {}), current['expected_fingerprint'],
                                today, max_age_days, warn_days, allow_insecure_http) for h in hosts])
    summary = dict((s, 0) for s in SEVERITIES)
    for row in rows:
        summary[row['status']] += 1
    return {
        'schema_version': SCHEMA_VERSION,
        'generated_at': now.strftime('%Y-%m-%dT%H:%M:%SZ'),
        'current_token': current,
        'thresholds': {'token_max_age_days': int(max_age_days), 'token_warn_days': int(warn_days)},
        'summary': summary,
        'rows': rows,
    }


def current_token_text(current):
    if not current['checked']:
        if current['expected_fingerprint']:
            return 'the current token was not checked; expected fingerprint %s' % current['expected_fingerprint']
        return 'the current token was not checked (no token given), hosts are compared with their own records'
    if current['valid']:
        return 'the current token is valid, fingerprint %s' % (current['token_fingerprint'] or '-')
    return 'the current token is NOT valid (%s), fingerprint %s' % (current['failure_reason'],
                                                                    current['token_fingerprint'] or '-')


# -- renderings ------------------------------------------------------------------------------

def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True) + '\n'


def _cell_text(row, key):
    value = row.get(key)
    if key == 'status':
        return row['status'].upper()
    if key == 'problems':
        return '; '.join('%s%s' % (p['label'], ' (%s)' % p['detail'] if p['detail'] else '') for p in value)
    if key == 'fixes':
        return ' '.join(unique(p['fix'] for p in row['problems']))
    if key == 'owner' and row['owner'] is not None:
        return '%s:%s' % (row['owner'], row['group'])
    return '' if value is None else value


def unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def csv_safe(value):
    """A CSV cell that a spreadsheet does not run as a formula: text starting with = + - @ (or a
    tab or carriage return) gets a leading apostrophe. Numbers stay numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        value = '' if value is None else str(value)
        if value.startswith(CSV_FORMULA_START):
            return "'" + value
    return value


def render_csv(report):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\r\n')
    writer.writerow([header for header, _key in COLUMNS])
    for row in report['rows']:
        writer.writerow([csv_safe(_cell_text(row, key)) for _header, key in COLUMNS])
    return out.getvalue()


def h(value):
    """HTML-escaped text of any value (quotes too, so it is safe in attributes)."""
    return _html_escape('' if value is None else str(value), quote=True)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:20px;color:#1b1f24;background:#fff}
h1{font-size:21px;margin:0 0 8px}
.meta{margin:0 0 14px;line-height:1.6;font-size:14px}
.meta .k{display:inline-block;min-width:140px;font-weight:bold}
.summary .n{display:inline-block;margin-right:14px}
table{border-collapse:collapse;width:100%;font-size:13px;table-layout:fixed}
th,td{border:1px solid #c9d1d9;padding:5px 7px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eef1f4}
col.c-host{width:9%}col.c-status{width:12%}col.c-problems{width:34%}col.c-jira{width:16%}col.c-token{width:15%}col.c-file{width:14%}
.mono,.fp,.path,.mode{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.muted{color:#57606a}
.badge{display:inline-block;padding:1px 6px;border-radius:4px;font-weight:bold;white-space:nowrap;border:1px solid}
tr.critical .badge{background:#ffd7d5;color:#82071e;border-color:#cf222e}
tr.unknown .badge{background:#e6e6fa;color:#3b2e8a;border-color:#6e5bd0}
tr.warning .badge{background:#fff1c2;color:#6b4b00;border-color:#bf8700}
tr.ok .badge{background:#d7f5dd;color:#0a4b1e;border-color:#1a7f37}
tr.critical td.host{border-left:6px solid #cf222e}
tr.unknown td.host{border-left:6px solid #6e5bd0}
tr.warning td.host{border-left:6px solid #bf8700}
tr.ok td.host{border-left:6px solid #1a7f37}
ul{margin:0;padding-left:16px}
li+li{margin-top:4px}
.problem{font-weight:bold}
.fix{color:#1f4e79}
.valid{color:#0a4b1e;font-weight:bold}.invalid{color:#82071e;font-weight:bold}.unchecked{color:#6b4b00;font-weight:bold}
footer{margin-top:12px;color:#57606a;font-size:12px}
"""

# Status text carries the meaning; the colour only repeats it.
_STATUS_MARK = {CRITICAL: '\u2716 CRITICAL', UNKNOWN: '? UNKNOWN', WARNING: '\u26a0 WARNING', OK: '\u2714 OK'}
_HTML_COLUMNS = (('host', 'Host'), ('status', 'Status'), ('problems', 'Problems and fixes'), ('jira', 'Jira URL and user'),
                 ('token', 'Token'), ('file', 'Config file'))


def _days(n):
    return '%d day%s' % (n, '' if abs(n) == 1 else 's')


def _span(cls, value, empty='-'):
    if value is None or value == '':
        return '<span class="%s muted">%s</span>' % (cls, empty)
    return '<span class="%s">%s</span>' % (cls, h(value))


def _html_row(row):
    problems = ''.join(
        '<li><span class="problem">%s</span>%s<div class="fix">Fix: %s</div></li>' % (
            h(p['label']), ' &mdash; <span class="detail">%s</span>' % h(p['detail']) if p['detail'] else '', h(p['fix']))
        for p in row['problems'])
    if row['age_days'] is None:
        age = 'age unknown'
    else:
        age = 'set today' if row['age_days'] == 0 else 'set %s ago' % _days(row['age_days'])
    if row['expires_on'] is None:
        expiry = '<div>expires <span class="expires muted">-</span></div>'
    else:
        left = row['days_left']
        expiry = '<div>expires <span class="expires">%s</span> (<span class="days-left">%s</span>)</div>' % (
            h(row['expires_on']), h('expired %s ago' % _days(-left) if left < 0 else _days(left) + ' left'))
    owner = None if row['owner'] is None else '%s:%s' % (row['owner'], row['group'])
    cells = [
        '<td class="host">%s</td>' % h(row['host']),
        '<td class="status"><span class="badge">%s</span><div class="status-text">%s</div></td>' % (
            h(_STATUS_MARK[row['status']]), h(row['status_text'])),
        '<td class="problems">%s</td>' % ('<ul>%s</ul>' % problems if problems else '<span class="muted">none</span>'),
        '<td class="jira"><div>%s</div><div>%s</div></td>' % (_span('url mono', row['url']), _span('username', row['username'])),
        '<td class="token"><div>%s</div><div class="muted">%s</div>%s</td>' % (
            _span('fp', row['token_fingerprint'], 'no token'), h(age), expiry),
        '<td class="file"><div>%s</div><div>%s %s</div></td>' % (
            _span('path', row['config_path']), _span('mode', row['mode']), _span('owner', owner, '')),
    ]
    return '<tr class="%s" data-status="%s">%s</tr>' % (row['status'], row['status'], ''.join(cells))


def render_html(report):
    """A self-contained page: inline CSS, no script, no external resource (the Content Security
    Policy forbids loading any), every value escaped."""
    current = report['current_token']
    state = 'unchecked' if not current['checked'] else ('valid' if current['valid'] else 'invalid')
    summary = ''.join('<span class="n count-%s">%s: %d</span>' % (s, h(s.upper()), report['summary'][s])
                      for s in SEVERITIES)
    parts = [
        '<!DOCTYPE html>',
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<title>Jira integration fleet report %s</title>' % h(report['generated_at']),
        '<style>%s</style></head><body>' % _CSS,
        '<h1>Jira integration fleet report</h1>',
        '<div class="meta">',
        '<div><span class="k">Generated at (UTC)</span> <span id="generated-at">%s</span></div>' % h(report['generated_at']),
        '<div><span class="k">Current token</span> <span id="current-token" class="%s">%s</span></div>' % (
            state, h(current_token_text(current))),
        '<div><span class="k">Thresholds</span> rotate after %s days; warn %s days before expiry</div>' % (
            h(report['thresholds']['token_max_age_days']), h(report['thresholds']['token_warn_days'])),
        '<div class="summary"><span class="k">Hosts</span> %s</div>' % summary,
        '</div>',
        '<table id="report"><colgroup>%s</colgroup><thead><tr>%s</tr></thead><tbody>' % (
            ''.join('<col class="c-%s">' % key for key, _t in _HTML_COLUMNS),
            ''.join('<th>%s</th>' % h(title) for _k, title in _HTML_COLUMNS)),
    ]
    parts.extend(_html_row(row) for row in report['rows'])
    parts.append('</tbody></table>')
    parts.append('<footer>Sorted worst first. Schema version %s; the same rows are in report.json and report.csv. '
                 'Fingerprints only: no token is in this report.</footer>' % h(report['schema_version']))
    parts.append('</body></html>')
    return '\n'.join(parts) + '\n'


def render_text(report):
    """The table the role prints: one header line with the current token (when checked), then
    fixed-width columns separated by `` | ``."""
    table = [list(TEXT_COLUMNS)]
    for row in report['rows']:
        table.append([
            str(row['host']), row['url'] or '-', row['username'] or '-', row['token_fingerprint'] or '-',
            '-' if row['age_days'] is None else str(row['age_days']),
            '-' if row['expires_on'] is None else '%s (%s days)' % (row['expires_on'], row['days_left']),
            row['status_text'],
        ])
    widths = [max(len(line[i]) for line in table) for i in range(len(TEXT_COLUMNS))]
    lines = []
    if report['current_token']['checked']:
        lines.append('Jira: ' + current_token_text(report['current_token']))
    for line in table:
        lines.append(' | '.join('%-*s' % (widths[i], cell) for i, cell in enumerate(line)).rstrip())
    return lines
