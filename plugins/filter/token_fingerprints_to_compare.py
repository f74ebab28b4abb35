# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: token_fingerprints_to_compare
short_description: The fingerprints a host must compare with the token in its config file for the fleet report
version_added: 0.1.0
description:
  - The controller can compare fingerprints in the current form (C(pbkdf2-sha256:)) as text, but not one in the older
    C(sha256:) form that earlier versions recorded or that an operator gives as the expected fingerprint; the host
    holding the token has to.
  - Returns the expected fingerprint (when given) and the fingerprint of the host's rotation record when it is in the
    older form, without duplicates, for the C(compare_token_fingerprints) option of
    M(integrations.jira.jira_integration_config_info).
author:
  - integrations.jira maintainers (@integrations-jira)
positional: expected
options:
  _input:
    description:
      - The host's rotation record file as M(ansible.builtin.slurp) returns its content (base64), or V(null) when the
        host has none. A file that is not a JSON object adds nothing.
    type: str
    required: true
  expected:
    description: The fingerprint every host should have (C(jira_integration_expected_token_fingerprint)), if any.
    type: str
'''

EXAMPLES = r'''
- name: Read the config file, confirming the fingerprints only the host can
  integrations.jira.jira_integration_config_info:
    path: /etc/myapp/jira.yml
    compare_token_fingerprints: >-
      {{ fact_file.content | default(none) | integrations.jira.token_fingerprints_to_compare(expected_fingerprint) }}
'''

RETURN = r'''
_value:
  description: The fingerprints, the expected one first.
  type: list
  elements: str
  sample: [sha256:1a2b3c4d5e6f7a8b]
'''

from ansible_collections.integrations.jira.plugins.module_utils._fleet_report import fingerprints_to_compare, parse_fact_content


def token_fingerprints_to_compare(fact_content, expected=None):
    record = parse_fact_content(fact_content) if fact_content is not None else {}
    return fingerprints_to_compare(record, expected)


class FilterModule(object):
    def filters(self):
        return {'token_fingerprints_to_compare': token_fingerprints_to_compare}
