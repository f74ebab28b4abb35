# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The token's rotation record: a JSON local fact next to the config file, kept in the config
module's own run (one module execution per host instead of slurp + set_fact + file + copy).

Private to this collection; pure functions, no I/O beyond reading the old record."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import re
import time

from ansible_collections.integrations.jira.plugins.module_utils._config_formats import FormatError, load_json
from ansible_collections.integrations.jira.plugins.module_utils._jira_client import (
    fingerprint_matches,
    is_legacy_fingerprint,
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
