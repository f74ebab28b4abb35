# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: rotation_summary
short_description: The one-line summary of a token rotation - which hosts changed (or would), which failed
version_added: 0.1.0
description:
  - The line the C(integrations.jira.rotate) playbook prints after the
    R(integrations.jira.jira_integration,ansible_collections.integrations.jira.jira_integration_role) role ran, from
    every host's M(integrations.jira.jira_integration_config) result.
  - Counts the hosts whose config changed (with the keys that changed, or C(file attributes) when only the owner,
    group or mode did) among the hosts still in the play, and names the hosts of the play that failed or were
    unreachable. In check mode it says C(would change) and that nothing was written.
author:
  - integrations.jira maintainers (@integrations-jira)
positional: play_hosts, check_mode
options:
  _input:
    description:
      - One mapping per host of the play (C(ansible_play_hosts_all)) with C(host) and C(result), the host's
        M(integrations.jira.jira_integration_config) result or V(null), as P(integrations.jira.host_values#filter)
        returns them.
    type: list
    elements: dict
    required: true
  play_hosts:
    description: The hosts still in the play (C(ansible_play_hosts)); the others count as failed.
    type: list
    elements: str
    required: true
  check_mode:
    description: Whether the play ran in check mode (C(ansible_check_mode)).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: List the hosts whose config changed (or would change, in check mode)
  ansible.builtin.debug:
    msg: >-
      {{ ansible_play_hosts_all | integrations.jira.host_values(hostvars, result='config_result')
         | integrations.jira.rotation_summary(ansible_play_hosts, ansible_check_mode) }}
  run_once: true
'''

RETURN = r'''
_value:
  description: The summary line.
  type: str
  sample: "1 of 2 hosts changed: web01 (api_token). 1 failed: web02"
'''

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence
from ansible.module_utils.parsing.convert_bool import boolean


def summary_line(results, play_hosts, check_mode):
    """``results``: {host: config result or None} for every host of the play, in the play's order
    (a mapping that keeps insertion order); ``play_hosts``: the hosts that did not fail."""
    still_in = set(play_hosts)
    changed = []
    for host in play_hosts:
        result = results.get(host) or {}
        if result.get('changed'):
            changed.append('%s (%s)' % (host, ', '.join(result.get('changed_keys') or []) or 'file attributes'))
    failed = [host for host in results if host not in still_in]
    return ''.join([
        'Check mode: ' if check_mode else '',
        '%d of %d hosts %s: ' % (len(changed), len(results), 'would change' if check_mode else 'changed'),
        '; '.join(changed) if changed else 'none (every host already had this token)',
        '. %d failed: %s' % (len(failed), ', '.join(failed)) if failed else '',
        '. Nothing was written; run it again without --check to rotate.' if check_mode else '',
    ])


def rotation_summary(entries, play_hosts, check_mode=False):
    if not is_sequence(entries) or not all(isinstance(e, Mapping) and 'host' in e for e in entries):
        raise AnsibleFilterError('rotation_summary expects a list of mappings with host and result (see host_values).')
    if not is_sequence(play_hosts):
        raise AnsibleFilterError('rotation_summary expects the hosts still in the play (ansible_play_hosts).')
    results = {}
    for entry in entries:
        result = entry.get('result')
        if result is not None and not isinstance(result, Mapping):
            raise AnsibleFilterError('rotation_summary: the result of %s is not a mapping.' % entry['host'])
        results[str(entry['host'])] = result
    return summary_line(results, [str(h) for h in play_hosts], boolean(check_mode, strict=False))


class FilterModule(object):
    def filters(self):
        return {'rotation_summary': rotation_summary}
