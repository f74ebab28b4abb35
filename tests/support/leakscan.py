"""The one leak check every reliability scenario goes through (the leak-scan suite of tests/reliability/).

Extends :mod:`support.ansible`: a :class:`~support.ansible.Result` plus the files a run leaves
behind are searched for every spelling of the token. Use :func:`exposure_env` for the run so that
the places worth searching exist (kept remote files, the tree callback's JSON, a private remote
tmp), then :func:`scan_run`.
"""

import base64
import json
import os
import re
import tempfile
from urllib.parse import quote, quote_plus

from support.ansible import CALLBACK_DIR, Result, _scratch_dir, secret_forms

# Files a run's work dir holds on purpose with the token inside: the test's own inputs, and the
# AnsiballZ payloads kept by ANSIBLE_KEEP_REMOTE_FILES (their arguments are the module's input,
# which is Ansible's documented behaviour). Only their names are checked.
INPUT_FILES = ('extra_vars.json', 'play.yml', 'inventory.ini', 'site.yml')
REMOTE_TMP = 'remote-tmp'
TREE_DIR = 'tree'

# The record of the running reliability test (set by tests/reliability/conftest.py).
current_record = None


class LeakFound(AssertionError):
    pass


def new_workdir(prefix='rel'):
    return tempfile.mkdtemp(prefix='%s-' % prefix, dir=_scratch_dir())


def exposure_env(workdir, extra=None):
    """Environment for a run that exposes as much as Ansible can: remote files kept (in the work
    dir, so their names can be listed), the core ``tree`` callback's JSON next to the results
    dump, tracebacks always displayed. ansible-core has no ``json`` stdout callback (that one lives in ansible.posix), so
    ``tree`` is the core JSON output."""
    env = {
        'ANSIBLE_KEEP_REMOTE_FILES': '1',
        'ANSIBLE_REMOTE_TMP': os.path.join(workdir, REMOTE_TMP),
        'ANSIBLE_CALLBACK_PLUGINS': CALLBACK_DIR,
        'ANSIBLE_CALLBACKS_ENABLED': 'result_dump,ansible.builtin.tree',
        'ANSIBLE_CALLBACK_TREE_DIR': os.path.join(workdir, TREE_DIR),
        # ansible-core 2.19+ hides tracebacks unless asked; show them wherever they can occur.
        'ANSIBLE_DISPLAY_TRACEBACK': 'always',
    }
    if extra:
        env.update(extra)
    return env


# Any run of this many characters of a token form counts as a leak (a message cut in the middle
# of a token, or a proxy echoing part of a header, still gives most of it away).
SLICE = 16
_STEP = 8
_PROBE = SLICE - _STEP + 1


def leak_forms(token, username=None):
    """Every spelling of the token that must never appear: those of
    :func:`support.ansible.secret_forms` (the writer's own escapings, re-cased), the URL
    encodings, base64 of ``username:token`` and of the token alone (for bearer). The scan also
    matches any SLICE-character piece of each, in any letter case (:class:`Matcher`)."""
    forms = set(secret_forms(token, username))
    forms.add(quote_plus(token, safe=''))
    forms.add(quote(token, safe='/'))
    forms.add(base64.b64encode(token.encode('utf-8')).decode('ascii'))
    forms.add(json.dumps(token, ensure_ascii=True)[1:-1])
    # Very short strings would match by chance; test tokens are long and random.
    return sorted((f for f in forms if f and len(f) >= 8), key=len, reverse=True)


def _fold(text):
    low = text.lower()
    return low if len(low) == len(text) else ''.join(c if len(c.lower()) != 1 else c.lower() for c in text)


class Matcher:
    """Finds a form, or any SLICE-character slice of one, case-insensitively. The text is probed
    every _STEP characters with a _PROBE-character window (any SLICE-long match contains one such
    window), and each probe hit is confirmed against the slices; a megabyte takes well under a
    second. Written independently of the modules' masking, so a bug there cannot hide here."""

    def __init__(self, forms):
        lows = set(_fold(f) for f in forms)
        self.short = sorted((f for f in lows if len(f) < SLICE), key=len, reverse=True)
        self.slices = set()
        self.probes = set()
        for f in lows:
            self.slices.update(f[i:i + SLICE] for i in range(len(f) - SLICE + 1))
            if len(f) >= SLICE:
                self.probes.update(f[i:i + _PROBE] for i in range(len(f) - _PROBE + 1))

    def find(self, text):
        """(length, position) of the earliest leak in ``text``, or (0, -1)."""
        low = _fold(text)
        best = (0, -1)
        for f in self.short:
            at = low.find(f)
            if at >= 0 and (best[1] < 0 or at < best[1]):
                best = (len(f), at)
        n = len(low)
        for i in range(0, n - _PROBE + 1, _STEP):
            if best[1] >= 0 and i > best[1] + SLICE:
                break
            if low[i:i + _PROBE] in self.probes:
                for start in range(max(0, i - (SLICE - _PROBE)), min(i, n - SLICE) + 1):
                    if low[start:start + SLICE] in self.slices:
                        if best[1] < 0 or start < best[1]:
                            best = (SLICE, start)
                        break
        return best


def _find(forms, text):
    matcher = forms if isinstance(forms, Matcher) else Matcher(forms)
    length, at = matcher.find(text)
    return (length, at) if at >= 0 else (None, -1)


def _walk(path):
    """(path, is_file) for ``path`` and everything below it, symlinks not followed."""
    if not os.path.lexists(path):
        return
    yield path, os.path.isfile(path) and not os.path.islink(path)
    if os.path.isdir(path) and not os.path.islink(path):
        for root, dirs, files in os.walk(path):
            for name in dirs:
                yield os.path.join(root, name), False
            for name in files:
                full = os.path.join(root, name)
                yield full, os.path.isfile(full) and not os.path.islink(full)


def _read(path):
    with open(path, 'rb') as f:
        return f.read().decode('utf-8', 'replace')


class Scan:
    """What one :func:`scan_run` looked at."""

    def __init__(self):
        self.places = []
        self.files_named = 0
        self.files_read = 0

    def check(self, place, text, forms):
        self.places.append(place)
        length, at = _find(forms, text)
        if length is not None:
            # Earliest match: the context before it holds at most SLICE - 1 characters of a form;
            # they are dropped too.
            before = text[max(0, at - 160):max(0, at - SLICE)]
            raise LeakFound('token leaked into %s (%d characters of a form, any case) after: ...%s' % (place, length, before))


def scan_run(result, token, username=None, extra_paths=(), name_only_paths=(), texts=None, label=None):
    """Fail when any form of ``token`` occurs anywhere the run left something.

    ``result``: a :class:`support.ansible.Result` (or None to scan only paths/texts).
    ``extra_paths``: files or directories whose names and contents are scanned (the local fact).
    ``name_only_paths``: files or directories whose names only are scanned (config files and
    their backups hold the token by design). ``texts``: {place: text} of anything else, e.g. an
    exception message from a direct function call. Returns the :class:`Scan`.
    """
    forms = Matcher(leak_forms(token, username))
    scan = Scan()
    try:
        if result is not None:
            _scan_result(scan, result, forms, [os.path.abspath(p) for p in name_only_paths])
        for path in extra_paths:
            for p, is_file in _walk(path):
                scan.check('file name %s' % p, os.path.basename(p), forms)
                scan.files_named += 1
                if is_file:
                    scan.check('file %s' % p, _read(p), forms)
                    scan.files_read += 1
        for path in name_only_paths:
            for p, _is_file in _walk(path):
                scan.check('file name %s' % p, os.path.basename(p), forms)
                scan.files_named += 1
        for place, text in (texts or {}).items():
            scan.check(place, text if isinstance(text, str) else json.dumps(text, default=str), forms)
    except LeakFound:
        _account(scan, leaked=True, label=label)
        raise
    _account(scan, leaked=False, label=label)
    return scan


# ansible-core 2.19+ shows the playbook source around a failing task ("Origin: FILE:LINE:COL",
# then numbered source lines, cut at the terminal width). For the run's own input files that is
# the test's input echoed by Ansible (tokens are literals there), like INPUT_FILES themselves:
# those excerpts are left out of the scan; everything else in the output is scanned.
_ORIGIN_EXCERPT_RE = re.compile(r'^(Origin: (?P<path>[^\n]+?):\d+(?::\d+)?\n\n)((?:\d+ [^\n]*\n)+)', re.M)


def _without_input_excerpts(text):
    def drop(m):
        if os.path.basename(m.group('path')) in INPUT_FILES:
            return m.group(1) + '<source excerpt of a test input file>\n'
        return m.group(0)
    return _ORIGIN_EXCERPT_RE.sub(drop, text)


def _under(path, roots):
    path = os.path.abspath(path)
    return any(path == r or path.startswith(r + os.sep) for r in roots)


def _scan_result(scan, result, forms, name_only=()):
    assert isinstance(result, Result), result
    scan.check('stdout', _without_input_excerpts(result.stdout), forms)
    scan.check('stderr', _without_input_excerpts(result.stderr), forms)
    scan.check('ANSIBLE_LOG_PATH log', _without_input_excerpts(result.log), forms)
    for n, r in enumerate(result.results):
        where = 'result of task %r on %s' % (r.get('task'), r.get('host'))
        payload = r.get('result') or {}
        # Named first, so a leak is reported at the most specific place.
        for field in ('msg', 'exception', 'module_stderr', 'module_stdout', 'stderr', 'stdout', 'diff'):
            if field in payload:
                scan.check('%s (%s)' % (where, field), json.dumps(payload[field], default=str), forms)
        scan.check(where, json.dumps(r, default=str), forms)
    workdir = result.workdir
    if not workdir or not os.path.isdir(workdir):
        return
    for p, is_file in _walk(workdir):
        rel = os.path.relpath(p, workdir)
        scan.check('file name %s in the run dir' % rel, rel, forms)
        scan.files_named += 1
        if not is_file:
            continue
        top = rel.split(os.sep)[0]
        if top == REMOTE_TMP or os.path.basename(p) in INPUT_FILES or _under(p, name_only):
            continue  # names only (see INPUT_FILES; config files and backups hold the token by design)
        scan.check('file %s in the run dir' % rel, _without_input_excerpts(_read(p)), forms)
        scan.files_read += 1
    if os.path.isdir(os.path.join(workdir, TREE_DIR)):
        scan.places.append('tree callback JSON')
    if os.path.isdir(os.path.join(workdir, REMOTE_TMP)):
        scan.places.append('ANSIBLE_KEEP_REMOTE_FILES names')


def _account(scan, leaked, label):
    rec = current_record
    if rec is None:
        return
    rec.leak_scans += 1
    if leaked:
        rec.leaks_found += 1
    for place in scan.places:
        generic = place.split(' (')[0]
        if generic.startswith('result of task'):
            generic = 'task results'
        elif generic.startswith('file name'):
            generic = 'file names'
        elif generic.startswith('file '):
            generic = 'file contents'
        if generic not in rec.places_scanned:
            rec.places_scanned.append(generic)
