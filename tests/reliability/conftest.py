"""Records for the reliability report (format: README.md next to this file).

Every test under tests/reliability gets a :class:`Record` (autouse fixture ``reliability_record``)
written to build/reliability/runs/<run id>/records/<suite>/ at teardown; the last process of a run
to finish renders the report to build/reliability/report.md. A test run never rewrites the committed
docs/reliability.md: only scripts/reliability-report does, when asked to.
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
RUNS_DIR = os.path.join(STATE_DIR, 'runs')
KEEP_RUNS_S = 24 * 3600
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
        directory = os.path.join(_records_dir(), self.suite)
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


_CURRENT = {}


def _xdist_controller(config):
    return not hasattr(config, 'workerinput') and bool(getattr(config.option, 'numprocesses', None))


def _records_dir():
    return os.path.join(RUNS_DIR, _CURRENT['run_id'], 'records')


@contextlib.contextmanager
def _locked():
    os.makedirs(STATE_DIR, exist_ok=True)
    with open(os.path.join(STATE_DIR, '.lock'), 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _state_path(run_id):
    return os.path.join(RUNS_DIR, run_id, 'run.json')


def _state(run_id):
    try:
        with open(_state_path(run_id)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _save_state(run_id, state):
    path = _state_path(run_id)
    with open(path + '.tmp', 'w') as f:
        json.dump(state, f, sort_keys=True)
    os.replace(path + '.tmp', path)


def pytest_configure(config):
    # Each run (all xdist workers of one session share the testrunuid) writes into its own
    # directory, so runs side by side never mix; runs older than a day are pruned.
    if _xdist_controller(config):
        return  # runs no test; its workers write the records
    run_id, workers = _run_id(config)
    _CURRENT['run_id'] = run_id
    with _locked():
        os.makedirs(os.path.join(RUNS_DIR, run_id, 'records'), exist_ok=True)
        if not _state(run_id):
            _save_state(run_id, {'run_id': run_id, 'workers': workers, 'finished': 0, 'complete': False,
                                 'started': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())})
        for other in os.listdir(RUNS_DIR):
            path = os.path.join(RUNS_DIR, other)
            if other != run_id and time.time() - os.path.getmtime(path) > KEEP_RUNS_S:
                shutil.rmtree(path, ignore_errors=True)


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


def _clean_run(session):
    """True when this session ran whole suite files or directories (no -k/-m, no single tests):
    its records then stand for those suites in the report (and in docs/reliability.md when
    scripts/reliability-report renders it)."""
    opt = session.config.option
    if getattr(opt, 'keyword', '') or getattr(opt, 'markexpr', '') or getattr(opt, 'lf', False) \
            or getattr(opt, 'deselect', None):
        return False
    return not any('::' in str(a) for a in session.config.args)


def pytest_sessionfinish(session, exitstatus):
    # The last process of the run to finish renders the report (no controller hook is needed,
    # so it also works when pytest is started on tests/ and never loads this conftest itself).
    if _xdist_controller(session.config):
        return
    run_id, workers = _run_id(session.config)
    with _locked():
        state = _state(run_id)
        if not state:
            return
        state['finished'] = state.get('finished', 0) + 1
        if state['finished'] < workers:
            _save_state(run_id, state)
            return
        records = os.path.join(RUNS_DIR, run_id, 'records')
        if not any(files for _r, _d, files in os.walk(records)):
            _save_state(run_id, state)
            return
        state['complete'] = _clean_run(session)
        state['finished_at'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        _save_state(run_id, state)
        report = load_report_module()
        if state['complete']:
            out = report.render_to(report.BUILD_PATH)
        else:
            out = report.render_to(report.BUILD_PATH, runs=[run_id])
    reporter = session.config.pluginmanager.get_plugin('terminalreporter')
    if reporter is not None:
        reporter.write_line('reliability report: %s (%s; docs/reliability.md is rendered only by scripts/reliability-report)' % (
            os.path.relpath(out, REPO_ROOT), 'newest complete run of each suite' if state['complete'] else 'this selection only'))
