#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: jira_group
short_description: Ensure a Jira group exists or is absent
version_added: 0.1.0
description:
  - Creates or deletes a group in Jira Cloud (REST API 3) or Jira Data Center (REST API 2), the first
    step of the service-account setup guide (C(docs/jira-setup.md)).
  - Needs administrator credentials (Cloud, site administration; Data Center, Jira Administrators
    global permission). Without them the module fails with RV(failure_reason=forbidden).
  - On Data Center group names are compared case-insensitively, as Jira does. On Jira Cloud give the exact
    name; a name that differs from an existing group's only in case fails with Jira's "already exists" error.
extends_documentation_fragment:
  - integrations.jira.connection
  - integrations.jira.attributes
  - integrations.jira.attributes.action_group
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
options:
  name:
    description:
      - Name of the group, for example V(jira-integration-users).
    type: str
    required: true
  state:
    description:
      - V(present) creates the group when it is missing; V(absent) deletes it when it exists.
      - Deleting a group removes it from every role and permission scheme that mentions it.
    type: str
    choices: [present, absent]
    default: present
author:
  - integrations.jira maintainers (@integrations-jira)
'''

EXAMPLES = r'''
- name: Create the group for the integration's service account
  integrations.jira.jira_group:
    url: https://your-site.atlassian.net
    username: admin@example.com
    api_token: "{{ jira_admin_api_token }}"
    name: jira-integration-users

- name: Remove it again
  integrations.jira.jira_group:
    url: https://jira.example.com/jira
    username: admin
    api_token: "{{ jira_admin_password }}"
    name: jira-integration-users
    state: absent
'''

RETURN = r'''
group:
  description: The group after the run (in check mode, as it would be). V(null) when it is absent.
  returned: always
  type: dict
  contains:
    name:
      description: Group name as Jira spells it.
      type: str
      sample: jira-integration-users
    group_id:
      description: The group's ID. Jira Cloud only; V(null) on older Data Center versions and in check mode for a new group.
      type: str
      sample: 276f955c-63d7-42c8-9520-92d01dca0625
deployment:
  description: V(cloud) or V(datacenter).
  returned: always
  type: str
  sample: cloud
failure_reason:
  description: Why the module failed, for example V(forbidden) when the credentials are not an administrator's.
  returned: failure
  type: str
  sample: forbidden
'''

from ansible_collections.integrations.jira.plugins.module_utils._jira_admin import (
    AdminError,
    admin_module,
    answer,
    expect,
    find_group,
    group_params,
    jira_says,
    run,
    text,
)


def ensure(module, client):
    name = module.params['name']
    state = module.params['state']
    group = find_group(client, name)
    before = {'name': group['name'], 'state': 'present'} if group else {'name': name, 'state': 'absent'}
    after = {'name': group['name'] if group else name, 'state': state}
    result = {'changed': before['state'] != state, 'diff': {'before': before, 'after': after}}

    if state == 'present' and group is None:
        group = {'name': name, 'group_id': None}
        if not module.check_mode:
            what = 'Creating group %s' % name
            resp = client.request('POST', '/group', json_body={'name': name}, what=what, ok=(200, 201))
            if resp.status == 400:
                hint = ''
                if 'already exists' in jira_says(resp):
                    # Cloud's group lookup matches the exact name; Jira refuses names that differ only in case.
                    hint = ' A group whose name differs only in upper/lower case exists: give its exact name.'
                raise AdminError('%s failed (HTTP 400).%s%s' % (what, jira_says(resp), hint))
            data = answer(resp, what, empty={})
            created = text(data.get('name'))
            if created is not None and created.lower() != name.lower():
                raise AdminError('%s: Jira answered HTTP %d with another group (%s), so it is unknown whether %s was '
                                 'created.' % (what, resp.status, created, name), 'not_jira')
            group = {'name': created or name, 'group_id': text(data.get('groupId'))}
    elif state == 'absent' and group is not None:
        if not module.check_mode:
            what = 'Deleting group %s' % group['name']
            expect(client.request('DELETE', '/group', params=group_params(group['name'], group.get('group_id')),
                                  what=what, ok=(200, 204)), what, ok=(200, 204))
        group = None
    result['group'] = group
    return result


def main():
    module = admin_module(dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    ))
    run(module, lambda client: ensure(module, client))


if __name__ == '__main__':
    main()
