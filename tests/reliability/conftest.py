"""Records for docs/reliability.md (format: README.md next to this file).

Every test under tests/reliability gets a :class:`Record` (autouse fixture ``reliability_record``)
written to build/reliability/records/<suite>/ at teardown. The first process of a run clears the
previous records, the last one to finish renders the report.
"""

import contextlib
import fcntl
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import time
import uuid

import pytest

from support import leakscan
from support.collection import REPO_ROOT

STATE_DIR = os.path.join(REPO_ROOT, 'build', 'reliability')
RECORDS_DIR = os.path.join(STATE_DIR, 'records')
RUN_FILE = os.path.join(STATE_DIR, 'run.json')
HERE = os.path.dirname(os.path.abspath(__file__))
SUITE_OF_DIR = {'fs': 'fs-faults', 'concurrency': 'concurrency', 'ssh': 'ssh', 'soak': 'soak'}


def load_report_module():
    path = os.path.join(REPO_ROOT, 'scripts', 'reliability-report')
    loader = importlib.machinery.SourceFileLoader('reliability_report', path)
    spec = importlib.util.spec_from_loader('reliability_report', loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def suite_of(path):
    rel = os.path.relpath(str(path), HERE)
    parts = rel.split(os.sep)
    if len(parts) > 1:
        return SUITE_OF_DIR.get(parts[0], parts[0])
    name = os.path.splitext(parts[0])[0]
    return re.sub(r'^test_', '', name).replace('_', '-')


def first_paragraph(doc):
    if not doc:
        return ''
    return ' '.join(doc.strip().split('\n\n')[0].split())


class Record:
    def __init__(self, item):
        self.nodeid = item.nodeid
        self.suite = suite_of(item.fspath)
        self.suite_doc = first_paragraph(getattr(item.module, '__doc__', '') if hasattr(item, 'module') else '')
        self.scenario = item.name
        self.fault = None
        self.inputs = 0
        self.checks = []
        self.leak_scans = 0
        self.leaks_found = 0
        self.places_scanned = []
        self.no_ansible = False
        self.details = {}
        self.outcome = None
        self.skip_reason = None
        self.started = time.monotonic()
        self.duration_s = None

    def check(self, what):
        if what not in self.checks:
            self.checks.append(what)

    def as_dict(self):
        return dict(schema=1, suite=self.suite, suite_doc=self.suite_doc, nodeid=self.nodeid,
                    scenario=self.scenario, fault=self.fault, inputs=self.inputs, checks=self.checks,
                    leak_scans=self.leak_scans, leaks_found=self.leaks_found, places_scanned=self.places_scanned,
                    no_ansible=self.no_ansible, outcome=self.outcome, skip_reason=self.skip_reason,
                    duration_s=self.duration_s, details=self.details)

    def write(self):
        directory = os.path.join(RECORDS_DIR, self.suite)
        os.makedirs(directory, exist_ok=True)
        name = re.sub(r'[^A-Za-z0-9_.-]+', '_', self.nodeid)[-180:] + '.json'
        tmp = os.path.join(directory, '.%s.%d.tmp' % (name, os.getpid()))
        with open(tmp, 'w') as f:
            json.dump(self.as_dict(), f, indent=1, sort_keys=True, default=str)
        os.replace(tmp, os.path.join(directory, name))


def _run_id(config):
    workerinput = getattr(config, 'workerinput', None)
    if workerinput is not None:
        return workerinput['testrunuid'], int(workerinput.get('workercount', 1))
    if not hasattr(config, '_rel_run_id'):
        config._rel_run_id = uuid.uuid4().hex
    return config._rel_run_id, 1


@contextlib.contextmanager
def _locked():
    os.makedirs(STATE_DIR, exist_ok=True)
    with open(os.path.join(STATE_DIR, '.lock'), 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _state():
    try:
        with open(RUN_FILE) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _save_state(state):
    with open(RUN_FILE + '.tmp', 'w') as f:
        json.dump(state, f)
    os.replace(RUN_FILE + '.tmp', RUN_FILE)


def pytest_configure(config):
    # The first process of a run (xdist worker or plain pytest) clears the previous run's records;
    # the others of the same run (same testrunuid) keep them.
    run_id, _workers = _run_id(config)
    with _locked():
        if _state().get('run_id') != run_id:
            shutil.rmtree(RECORDS_DIR, ignore_errors=True)
            _save_state({'run_id': run_id, 'finished': 0})
        os.makedirs(RECORDS_DIR, exist_ok=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, '_rel_rep_' + rep.when, rep)
    if rep.when == 'setup' and rep.skipped and getattr(item, '_rel_record', None) is None:
        rec = Record(item)
        rec.outcome = 'skipped'
        rec.skip_reason = _skip_reason(rep)
        rec.duration_s = 0.0
        rec.write()


def _skip_reason(rep):
    longrepr = rep.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).replace('Skipped: ', '', 1)
    return str(longrepr)


@pytest.fixture(autouse=True)
def reliability_record(request):
    item = request.node
    rec = Record(item)
    item._rel_record = rec
    leakscan.current_record = rec
    yield rec
    leakscan.current_record = None
    rec.duration_s = round(time.monotonic() - rec.started, 2)
    call = getattr(item, '_rel_rep_call', None)
    setup = getattr(item, '_rel_rep_setup', None)
    if call is None:
        rec.outcome = 'error' if setup is not None and setup.failed else 'skipped'
    elif call.skipped:
        rec.outcome = 'skipped'
        rec.skip_reason = _skip_reason(call)
    else:
        rec.outcome = 'passed' if call.passed else 'failed'
    unscanned = rec.outcome == 'passed' and not rec.no_ansible and rec.leak_scans == 0
    if unscanned:
        rec.outcome = 'error'
        rec.skip_reason = None
        rec.check('ERROR: ran without the leak helper')
    rec.write()
    if unscanned:
        pytest.fail('%s ran without support.leakscan.scan_run (set record.no_ansible = True for a test '
                    'that runs no Ansible)' % item.nodeid)


def _full_run(session):
    """True when this session ran the whole tests/reliability tree (no selection)."""
    opt = session.config.option
    if getattr(opt, 'keyword', '') or getattr(opt, 'markexpr', '') or getattr(opt, 'lf', False) \
            or getattr(opt, 'deselect', None):
        return False
    args = [a.split('::')[0] for a in session.config.args]
    return any(os.path.abspath(a) in (HERE, os.path.dirname(HERE), REPO_ROOT) for a in args)


def pytest_sessionfinish(session, exitstatus):
    # The last process of the run to finish renders the report (no controller hook is needed,
    # so it also works when pytest is started on tests/ and never loads this conftest itself).
    run_id, workers = _run_id(session.config)
    with _locked():
        state = _state()
        if state.get('run_id') != run_id:
            return
        state['finished'] = state.get('finished', 0) + 1
        _save_state(state)
        if state['finished'] < workers:
            return
        if not any(files for _r, _d, files in os.walk(RECORDS_DIR)):
            return
        report = load_report_module()
        full = _full_run(session)
        out = report.DOC_PATH if full else report.PARTIAL_PATH
        report.render_to(out, complete=full)
    reporter = session.config.pluginmanager.get_plugin('terminalreporter')
    if reporter is not None:
        reporter.write_line('reliability report: %s%s' % (
            os.path.relpath(out, REPO_ROOT), '' if full else ' (partial run; docs/reliability.md left alone)'))
