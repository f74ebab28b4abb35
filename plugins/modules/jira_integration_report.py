#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: jira_integration_report
short_description: Build the fleet report of the Jira integration and write it as JSON, CSV and HTML
version_added: 0.1.0
description:
  - Takes what the C(report) entry point of the R(integrations.jira.jira_integration,ansible_collections.integrations.jira.jira_integration_role)
    role gathers on every host - the result of M(integrations.jira.jira_integration_config_info) and the rotation
    record - and the verdict of M(integrations.jira.jira_credentials_info) on the current token, and computes one
    row per host with its status, its problems and the fix for each, sorted worst first.
  - With O(dest) it writes C(report.json), C(report.csv) and C(report.html) into that directory, each with mode
    C(0600), atomically (a temporary file renamed over the old one). The HTML page is self-contained (inline CSS,
    no script, no external resource). See C(docs/report.md) for the JSON keys.
  - Meant to run once per play on the controller (C(run_once) and C(delegate_to=localhost)). It never sees a
    token, only fingerprints, and talks to no server.
author:
  - integrations.jira maintainers (@integrations-jira)
extends_documentation_fragment:
  - integrations.jira.attributes
attributes:
  check_mode:
    support: full
    details: In check mode nothing is written; RV(report) and RV(table) are returned as in a real run.
  diff_mode:
    support: none
options:
  hosts:
    description:
      - One entry per host of the play. A host whose entry has no O(hosts[].config) is reported as unreachable
        or failed.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: The host's inventory name.
        type: str
        required: true
      config:
        description:
          - The host's M(integrations.jira.jira_integration_config_info) result (C(exists), C(path), C(url),
            C(username), C(token_fingerprint), C(mode), C(owner), C(group), C(problems); other keys are ignored).
        type: dict
      record:
        description:
          - The host's rotation record (the local fact C(jira_integration_config) keeps), or V({}) when there is none.
          - Ignored when O(hosts[].fact_content) is given.
        type: dict
      fact_content:
        description:
          - The rotation record file's content, base64-encoded, as M(ansible.builtin.slurp) returns it. A file that
            is not a JSON object is reported as C(bad metadata).
        type: str
  current_token:
    description:
      - The M(integrations.jira.jira_credentials_info) result for the current token (C(valid), C(failure_reason)
        and C(token_fingerprint) are used), or omitted when the token was not checked.
      - Its fingerprint is the one every host should have.
    type: dict
  expected_token_fingerprint:
    description:
      - The fingerprint every host should have, when O(current_token) is not given (for example without the vault
        password). Without either, each host is only compared with its own rotation record.
    type: str
  token_max_age_days:
    description: A token set more than this many days ago is due for rotation (status C(rotate soon)).
    type: int
    default: 90
  token_warn_days:
    description: A token expiring within this many days is due for rotation; after its expiry it is C(expired).
    type: int
    default: 14
  allow_insecure_http:
    description: Do not report an C(http://) URL as a problem.
    type: bool
    default: false
  dest:
    description:
      - The directory to write C(report.json), C(report.csv) and C(report.html) into, as an absolute path. Missing
        directories are created with mode C(0700).
      - When omitted nothing is written; the report is only returned.
    type: path
seealso:
  - module: integrations.jira.jira_integration_config_info
  - module: integrations.jira.jira_credentials_info
notes:
  - The role's C(report) entry point and the C(integrations.jira.report) playbook run this module; set
    C(jira_integration_report_dir) to write the files.
'''

EXAMPLES = r'''
- name: Read the config file on every host
  integrations.jira.jira_integration_config_info:
    path: /etc/myapp/jira.yml
  register: config_info

- name: Write the fleet report on the controller
  integrations.jira.jira_integration_report:
    dest: /var/lib/jira-reports/latest
    # One entry per host; a host that failed before the read has no config_info.
    hosts: >-
      [{% for name in ansible_play_hosts_all %}
      {{ {'host': name, 'config': hostvars[name].config_info | default(none)} }},
      {% endfor %}]
    expected_token_fingerprint: sha256:1a2b3c4d5e6f7a8b
  run_once: true
  delegate_to: localhost

- name: Build one row from known values
  integrations.jira.jira_integration_report:
    hosts:
      - host: web01
        config: "{{ web01_config_info }}"
        record: "{{ web01_rotation_record }}"
  delegate_to: localhost
  register: fleet

- name: Fail when any host is not ok
  ansible.builtin.assert:
    that: fleet.report.summary.ok == fleet.report.rows | length
    fail_msg: "{{ fleet.table | join('\n') }}"
'''

RETURN = r'''
report:
  description:
    - The report, as C(report.json) holds it (schema described in C(docs/report.md)).
    - C(schema_version), C(generated_at) (UTC, C(YYYY-MM-DDTHH:MM:SSZ)), C(current_token) (C(checked), C(valid),
      C(failure_reason), C(token_fingerprint), C(expected_fingerprint)), C(thresholds), C(summary) (rows per status)
      and C(rows), worst first.
    - Each row has C(host), C(status) (V(critical), V(unknown), V(warning) or V(ok)), C(status_text), C(problems)
      (each with C(code), C(label), C(severity), C(detail), C(fix)), C(url), C(username), C(token_fingerprint),
      C(rotated_at), C(age_days), C(expires_on), C(days_left), C(mode), C(owner), C(group) and C(config_path).
  returned: always
  type: dict
table:
  description: The report as a fixed-width text table, one line per list item (what the role prints).
  returned: always
  type: list
  elements: str
files:
  description: The files written (none in check mode or without O(dest)).
  returned: always
  type: list
  elements: path
  sample: [/var/lib/jira-reports/latest/report.json, /var/lib/jira-reports/latest/report.csv]
'''

import datetime
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.integrations.jira.plugins.module_utils import _fleet_report as fr
from ansible_collections.integrations.jira.plugins.module_utils._safe_file import (
    SafeFileError,
    check_path,
    ensure_parent,
    write_file,
)

FILES = (
    ('report.json', fr.render_json),
    ('report.csv', fr.render_csv),
    ('report.html', fr.render_html),
)


def _record(entry):
    """The host's rotation record: {} when none, None when the fact file is not a JSON object."""
    content = entry.get('fact_content')
    if content is None:
        return entry.get('record') or {}
    return fr.parse_fact_content(content)


def _write(module, dest, report):
    check_path(dest, 'dest')
    ensure_parent(dest, 0o700)
    written = []
    for name, render in FILES:
        path = os.path.join(dest, name)
        write_file(module, path, to_bytes(render(report)), {'path': path, 'mode': 0o600})
        written.append(path)
    return written


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hosts=dict(type='list', elements='dict', required=True, options=dict(
                host=dict(type='str', required=True),
                config=dict(type='dict'),
                record=dict(type='dict'),
                fact_content=dict(type='str'),
            )),
            current_token=dict(type='dict', no_log=False),
            expected_token_fingerprint=dict(type='str', no_log=False),
            token_max_age_days=dict(type='int', default=90, no_log=False),
            token_warn_days=dict(type='int', default=14, no_log=False),
            allow_insecure_http=dict(type='bool', default=False),
            dest=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    hosts = [dict(host=to_text(e['host']), config=e['config'], record=_record(e)) for e in p['hosts']]
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    report = fr.build_report(hosts, p['current_token'], p['expected_token_fingerprint'], now,
                             p['token_max_age_days'], p['token_warn_days'], p['allow_insecure_http'])
    result = dict(changed=False, report=report, table=fr.render_text(report), files=[])
    if p['dest'] is not None:
        result['changed'] = True
        if not module.check_mode:
            try:
                result['files'] = _write(module, p['dest'], report)
            except SafeFileError as e:
                module.fail_json(msg=e.msg, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
