# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: token_rotation_due
short_description: Why the Jira API token is due for rotation, per reason with the hosts it applies to
version_added: 0.1.0
description:
  - Applies the token-age rule of the R(integrations.jira.jira_integration,ansible_collections.integrations.jira.jira_integration_role)
    role to every host's rotation record - the token is due when it was set more than O(max_age_days) days ago, or
    expires within O(warn_days) days (or has expired) - and returns one line per reason naming the hosts.
  - The same rule gives the C(rotate soon) and C(expired) statuses of M(integrations.jira.jira_integration_report).
  - Days are counted in UTC.
author:
  - integrations.jira maintainers (@integrations-jira)
positional: max_age_days, warn_days
options:
  _input:
    description:
      - One entry per host, either a mapping with C(host) and C(record) (as P(integrations.jira.host_values#filter)
        returns them) or a C([host, record]) pair; C(record) is the host's rotation record (C(rotated_at),
        C(expires_on)), or V(null) for a host without one (it is skipped).
    type: list
    elements: raw
    required: true
  max_age_days:
    description: A token set more than this many days ago is due.
    type: int
    required: true
  warn_days:
    description: A token expiring within this many days is due.
    type: int
    required: true
'''

EXAMPLES = r'''
- name: Warn about tokens due for rotation
  ansible.builtin.debug:
    msg: "Rotate the Jira API token: {{ due | join('; ') }}"
  when: due | length > 0
  vars:
    due: >-
      {{ [['web01', {'rotated_at': '2020-01-01T00:00:00Z', 'expires_on': none}]]
         | integrations.jira.token_rotation_due(90, 14) }}

- name: The same over the records every host of the play registered
  ansible.builtin.debug:
    msg: "{{ item }}"
  loop: >-
    {{ ansible_play_hosts | integrations.jira.host_values(hostvars, record='config_result.rotation_fact')
       | integrations.jira.token_rotation_due(90, 14) }}
  run_once: true
'''

RETURN = r'''
_value:
  description:
    - One line per reason, C(<reason> on <host>, <host>), in the order first seen; empty when no token is due.
  type: list
  elements: str
  sample:
    - the token expires on 2027-01-05, in 5 days (jira_integration_token_warn_days: 14) on web01, web02
'''

import datetime

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence

from ansible_collections.integrations.jira.plugins.module_utils._fleet_report import due_lines


def _pair(entry):
    if isinstance(entry, Mapping) and 'host' in entry:
        return entry['host'], entry.get('record')
    if is_sequence(entry) and len(entry) == 2:
        return entry[0], entry[1]
    return None


def token_rotation_due(records, max_age_days, warn_days):
    pairs = [_pair(r) for r in records] if is_sequence(records) else [None]
    if None in pairs:
        raise AnsibleFilterError('token_rotation_due expects a list of [host, record] pairs or of mappings with host '
                                 'and record.')
    try:
        max_age_days, warn_days = int(max_age_days), int(warn_days)
    except (TypeError, ValueError):
        raise AnsibleFilterError('token_rotation_due: max_age_days and warn_days must be whole numbers.')
    today = datetime.datetime.now(datetime.timezone.utc).date()
    return due_lines([(str(host), record) for host, record in pairs], today, max_age_days, warn_days)


class FilterModule(object):
    def filters(self):
        return {'token_rotation_due': token_rotation_due}
