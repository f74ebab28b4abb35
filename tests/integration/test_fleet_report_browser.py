"""report.html rendered by a real headless Chromium: the page parses, the rows of the rendered DOM
are the rows of report.json (same order, same values), no markup from a hostile value became an
element, and a screenshot is produced. The report comes from a real ``ansible-playbook
integrations.jira.report`` run against the Jira emulator.

Chromium reads a local file only; it runs without any network (``unshare -n``) where that is
possible, and with its background networking switched off in any case."""

import json
import os
import shutil
import struct
import subprocess
import tempfile
from html.parser import HTMLParser

import pytest

from test_fleet_report import EXPECTED, fleet_in_every_state

BROWSERS = ('chromium', 'chromium-browser', 'google-chrome')
FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync')


def find_browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def _no_network_prefix():
    """``unshare -n`` (a new, empty network namespace) when this machine allows it."""
    unshare = shutil.which('unshare')
    if not unshare:
        return []
    probe = subprocess.run([unshare, '-n', 'true'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL, check=False)
    return [unshare, '-n'] if probe.returncode == 0 else []


@pytest.fixture
def browser():
    path = find_browser()
    if path is None:
        pytest.skip('no Chromium on PATH (looked for %s); on Debian: apt-get install -y chromium' % ', '.join(BROWSERS))
    return path


def run_browser(browser, *args):
    profile = tempfile.mkdtemp(prefix='chromium-profile-')
    try:
        cmd = _no_network_prefix() + [browser] + list(FLAGS) + ['--user-data-dir=' + profile] + list(args)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              timeout=120, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, (cmd, proc.returncode, proc.stderr.decode('utf-8', 'replace')[-3000:])
    return proc.stdout.decode('utf-8', 'replace')


class RenderedRows(HTMLParser):
    """The report table's body rows from a DOM dump: [{'class': ..., 'cells': {class: text}, 'spans': {class: text}}]."""

    def __init__(self):
        HTMLParser.__init__(self)
        self.rows = []
        self.tags = []
        self._in_body = False
        self._stack = []  # classes of the open elements inside the current row

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == 'tbody':
            self._in_body = True
        elif tag == 'tr' and self._in_body:
            self.rows.append({'class': attrs.get('class'), 'cells': {}, 'spans': {}})
            self._stack = []
        elif self._in_body and self.rows and tag not in ('br', 'col', 'meta'):
            self._stack.append((tag, (attrs.get('class') or '').split()))

    def handle_endtag(self, tag):
        if tag == 'tbody':
            self._in_body = False
        elif self._in_body and self._stack and self._stack[-1][0] == tag:
            self._stack.pop()

    def handle_data(self, data):
        if not (self._in_body and self.rows and self._stack):
            return
        row = self.rows[-1]
        cell = next(c for t, c in self._stack if t == 'td')[0]
        row['cells'][cell] = row['cells'].get(cell, '') + data
        for _tag, classes in self._stack[1:]:
            for cls in classes:
                row['spans'][cls] = row['spans'].get(cls, '') + data


def test_report_html_in_headless_chromium(browser, jira_emulator):  # no browser: skip before the emulator starts
    emu = jira_emulator
    fleet, token = fleet_in_every_state(emu, 'browser')
    report_dir = os.path.join(fleet.base, 'reports')
    result = fleet.run('report', token=token, extra_vars={'jira_integration_report_dir': report_dir})
    assert result.rc == 0, result
    html_path = os.path.join(report_dir, 'report.html')
    with open(os.path.join(report_dir, 'report.json'), encoding='utf-8') as f:
        report = json.load(f)

    dom = run_browser(browser, '--dump-dom', 'file://' + html_path)
    parsed = RenderedRows()
    parsed.feed(dom)
    assert 'table' in parsed.tags and 'script' not in parsed.tags, parsed.tags
    assert 'the current token is valid' in dom and report['generated_at'] in dom
    rendered = parsed.rows
    assert [r['cells']['host'] for r in rendered] == [r['host'] for r in report['rows']]
    assert sorted(r['cells']['host'] for r in rendered) == sorted(EXPECTED)
    for shown, row in zip(rendered, report['rows']):
        where = row['host']
        assert shown['class'] == row['status'], where
        assert shown['spans']['badge'].split()[-1] == row['status'].upper(), where
        assert shown['spans']['status-text'] == row['status_text'], where
        assert shown['spans']['url'] == (row['url'] or '-'), where
        assert shown['spans']['username'] == (row['username'] or '-'), where
        assert shown['spans']['fp'] == (row['token_fingerprint'] or 'no token'), where
        assert shown['spans']['expires'] == (row['expires_on'] or '-'), where
        assert shown['spans']['mode'] == (row['mode'] or '-'), where
        for problem in row['problems']:
            assert problem['label'] in shown['cells']['problems'] and problem['fix'] in shown['cells']['problems'], where
    hostile = [r for r in rendered if r['cells']['host'] == 'host08'][0]
    assert '<script>' in hostile['spans']['url']  # the browser shows it as text: it never became an element

    shot = os.path.join(fleet.base, 'report.png')
    run_browser(browser, '--screenshot=' + shot, '--window-size=1280,800', 'file://' + html_path)
    with open(shot, 'rb') as f:
        png = f.read()
    assert png[:8] == b'\x89PNG\r\n\x1a\n', png[:16]
    assert struct.unpack('>II', png[16:24]) == (1280, 800)
    assert len(png) > 30000, len(png)  # a blank page compresses to a few kB
