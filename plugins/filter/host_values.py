# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: host_values
short_description: Named values of each host's variables, one mapping per host, null where a host has none
version_added: 0.1.0
description:
  - For each host of the input list, looks up the named variables in O(hostvars) and returns one mapping per host
    with C(host) and one key per keyword argument. A dotted name (V(result.rotation_fact)) goes into the variable's
    mapping; a host without the variable (or the key) gets V(null).
  - Only the named variables are templated, never the whole of O(hostvars), so a vaulted variable of the host that is
    not named is not decrypted.
  - The R(integrations.jira.jira_integration,ansible_collections.integrations.jira.jira_integration_role) role uses it
    to hand every host's registered results to a controller-side step in one expression.
author:
  - integrations.jira maintainers (@integrations-jira)
positional: hostvars
options:
  _input:
    description: The hosts, for example C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Name the hosts whose config changed
  ansible.builtin.debug:
    msg: "{{ changed | map(attribute='host') | list }}"
  vars:
    changed: >-
      {{ ansible_play_hosts_all | integrations.jira.host_values(hostvars, result='config_result')
         | selectattr('result') | selectattr('result.changed') | list }}
'''

RETURN = r'''
_value:
  description: One mapping per host, in the input's order, with C(host) and one key per keyword argument.
  type: list
  elements: dict
  sample:
    - host: web01
      record: {rotated_at: '2026-12-01T06:47:55Z', expires_on: null}
    - host: web02
      record: null
'''

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence

try:
    from jinja2 import Undefined
except ImportError:  # pragma: no cover - Ansible always has Jinja
    Undefined = ()


def _lookup(variables, path):
    value = variables
    for key in path.split('.'):
        if not isinstance(value, Mapping):
            return None
        try:
            value = value[key]
        except KeyError:
            return None
        if isinstance(value, Undefined):
            return None
    return value


def host_values(hosts, hostvars, **names):
    if not is_sequence(hosts):
        raise AnsibleFilterError('host_values expects a list of hosts, for example ansible_play_hosts_all.')
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError('host_values expects the hostvars magic variable as its argument.')
    if not names or 'host' in names:
        raise AnsibleFilterError('host_values expects keyword arguments naming the variables (and none named host).')
    rows = []
    for host in hosts:
        host = str(host)
        try:
            variables = hostvars[host]
        except KeyError:
            variables = None
        if isinstance(variables, Undefined):
            variables = None
        row = {'host': host}
        for key, path in names.items():
            row[key] = _lookup(variables, str(path))
        rows.append(row)
    return rows


class FilterModule(object):
    def filters(self):
        return {'host_values': host_values}
