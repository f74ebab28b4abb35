# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The token's rotation record: a JSON local fact next to the config file, kept in the config
module's own run (one module execution per host instead of slurp + set_fact + file + copy).

Private to this collection. The record's rules are pure functions; :func:`keep` and
:func:`remove` do the file work through ``_safe_file``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re
import time

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.integrations.jira.plugins.module_utils._config_formats import FormatError, load_json
from ansible_collections.integrations.jira.plugins.module_utils._jira_client import (
    fingerprint_matches,
    is_legacy_fingerprint,
)
from ansible_collections.integrations.jira.plugins.module_utils._safe_file import (
    ReadRefused,
    SafeFileError,
    ensure_parent,
    fix_attributes,
    load_if_exists,
    lock_for,
    remove_dirs,
    remove_file,
    write_file,
)

FACT_MODE = 0o644  # holds no secret; Ansible's setup module reads facts.d as the connecting user
_DATE = re.compile(r'^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\Z')  # \Z: $ would let a trailing newline in
TIMESTAMP_KEYS = ('rotated_at', 'validated_at')


class RotationFactError(Exception):
    def __init__(self, msg):
        super(RotationFactError, self).__init__(msg)
        self.msg = msg


def utc_now():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


def check_date(value, option):
    """``value`` is None or a real calendar date written YYYY-MM-DD; returns it as text."""
    if value is None or value == '':
        return None
    text = str(value)
    valid = bool(_DATE.match(text))
    if valid:
        try:
            datetime.date(int(text[:4]), int(text[5:7]), int(text[8:10]))
        except ValueError:
            valid = False
    if not valid:
        raise RotationFactError('Option %s must be a date written YYYY-MM-DD (as shown on Atlassian\'s API token '
                                'page); got %s.' % (option, text))
    return text


def parse(text):
    """The recorded dict from the fact file's text; {} for a file that is not a JSON object (it is
    then rewritten, as if nothing had been recorded)."""
    try:
        # Bounded like every foreign file: another local user may have planted it (deep nesting).
        data = load_json(text)
    except FormatError:
        return {}
    return data if isinstance(data, dict) else {}


def render(record):
    """The file's text: the layout of Ansible's to_nice_json(sort_keys=true), plus a newline."""
    return json.dumps(record, indent=4, sort_keys=True, separators=(',', ': ')) + '\n'


def next_record(recorded, core, validated, now, token=None):
    """The record to keep, from the old one and this run's ``core`` values.

    rotated_at changes only with the token's fingerprint. validated_at is the time the recorded
    values were validated and written: a run that changes nothing else keeps it (so a re-run
    writes nothing), a validated run that changes something sets it to ``now``, and an
    unvalidated one keeps the old value.

    A record written before fingerprints were slow holds the older ``sha256:`` form. When that
    is the fingerprint of ``token`` (this run's token), the record is only upgraded to the
    current form: the same token, so rotated_at and validated_at are kept.
    """
    core = dict(core)
    if core.get('account_id') is None:
        core['account_id'] = recorded.get('account_id')
    recorded_fingerprint = recorded.get('token_fingerprint')
    same_token = recorded_fingerprint == core.get('token_fingerprint')
    if not same_token and is_legacy_fingerprint(recorded_fingerprint) and fingerprint_matches(token, recorded_fingerprint):
        same_token = True
        recorded_fingerprint = core.get('token_fingerprint')
    others = dict((k, v) for k, v in recorded.items() if k not in TIMESTAMP_KEYS)
    if 'token_fingerprint' in others:
        others['token_fingerprint'] = recorded_fingerprint
    unchanged = others == core
    record = dict(core)
    record['rotated_at'] = recorded.get('rotated_at') if same_token and recorded.get('rotated_at') else now
    if unchanged and recorded.get('validated_at'):
        record['validated_at'] = recorded['validated_at']
    else:
        record['validated_at'] = now if validated else recorded.get('validated_at')
    return record


# ---------------------------------------------------------------------------------------------
# The record's file, in the config module's run
# ---------------------------------------------------------------------------------------------

def add_diff(result, entry):
    """One more entry in the result's diff (a list when there are several, as Ansible allows)."""
    if 'diff' not in result:
        result['diff'] = entry
    elif isinstance(result['diff'], list):
        result['diff'].append(entry)
    else:
        result['diff'] = [result['diff'], entry]


def _read(fact_path, fail):
    """The record's text (bounded, not through a link), or None when there is none."""
    try:
        data = load_if_exists(fact_path, option='rotation_fact.path')
    except ReadRefused as e:
        fail('could not read %s (rotation_fact.path): %s.' % (fact_path, e.reason))
    except SafeFileError as e:
        fail(e.msg)
    return data.decode('utf-8', 'replace') if data is not None else None


def _locked_fail(module, lock, created, result, prefix=''):
    """A fail(msg) that leaves nothing behind: not the lock, not the directories made."""
    def fail(msg):
        lock.release()
        remove_dirs(created)
        module.fail_json(msg='%s%s' % (prefix, msg), **result)
    return fail


def keep(module, fact, core, token, result):
    """Record the token's rotation metadata next to the config (written only when it differs).

    ``fact`` is the rotation_fact option, ``core`` this run's values, ``token`` this run's token
    (it lets a record holding the older fingerprint form be upgraded without a rotation)."""
    fact_path = fact['path']
    b_fact = to_bytes(fact_path, errors='surrogate_or_strict')
    written = 'Wrote %s, but ' % result['path'] if result['changed'] else ''
    if os.path.islink(b_fact) or (os.path.exists(b_fact) and not os.path.isfile(b_fact)):
        module.fail_json(msg='%s%s (rotation_fact.path) is not a regular file; give the path of a file.'
                             % (written, fact_path), **result)
    created = []
    lock = lock_for(fact_path)
    fail = _locked_fail(module, lock, created, result, written)
    if not module.check_mode:
        try:
            created.extend(ensure_parent(os.path.dirname(fact_path) or '.', 0o755))
            lock.acquire()
        except SafeFileError as e:
            fail('could not record the rotation fact: %s' % e.msg)
    old_text = _read(fact_path, fail)
    recorded = parse(old_text) if old_text is not None else {}
    record = next_record(recorded, core, fact['validated'], utc_now(), token=token)
    result['rotation_fact'] = record
    fact_args = module.load_file_common_arguments({'mode': '%04o' % FACT_MODE}, path=fact_path)
    fact_args['mode'] = FACT_MODE
    changed = record != recorded
    if changed and module._diff:
        add_diff(result, dict(before=old_text or '', after=render(record), before_header=fact_path,
                              after_header=fact_path))
    if changed and not module.check_mode:
        try:
            write_file(module, fact_path, to_bytes(render(record)), fact_args)
        except SafeFileError as e:
            fail('could not record the rotation fact: %s' % e.msg)
    if old_text is not None and not changed:
        try:
            changed, attrs_diff = fix_attributes(module, fact_path, fact_args, check_mode=module.check_mode)
        except SafeFileError as e:
            fail('could not record the rotation fact: %s' % e.msg)
        if attrs_diff and module._diff:
            add_diff(result, attrs_diff)
    lock.release()
    result['changed'] = result['changed'] or changed


def remove(module, fact_path, result):
    """Remove the record (state=absent); a link at its path is removed, not followed."""
    if not os.path.lexists(to_bytes(fact_path, errors='surrogate_or_strict')):
        return
    lock = lock_for(fact_path)
    fail = _locked_fail(module, lock, [], result)
    if module._diff:
        if os.path.islink(to_bytes(fact_path, errors='surrogate_or_strict')):
            before = '(a symbolic link: the link is removed)\n'
        else:
            before = _read(fact_path, fail)
        add_diff(result, dict(before=before, after='', before_header=fact_path, after_header=fact_path))
    if not module.check_mode:
        try:
            lock.acquire()
            remove_file(fact_path)
        except SafeFileError as e:
            fail(e.msg)
    lock.release()
    result['changed'] = True
