#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: jira_group_membership
short_description: Ensure users are (or are not) members of a Jira group
version_added: 0.1.0
description:
  - Adds users to a Jira group or removes them, for Jira Cloud (REST API 3) and Data Center (REST API 2).
  - Needs administrator credentials; without them the module fails with RV(failure_reason=forbidden).
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
  group:
    description:
      - Name of the group. It must exist (see M(integrations.jira.jira_group)).
    type: str
    required: true
  users:
    description:
      - The users. On Jira Cloud, an email address or an accountId each (give the accountId when the user
        hides the email address); on Data Center, the login name.
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) adds the O(users) that are not members; V(absent) removes those that are.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(state=present), also remove every member not listed in O(users).
    type: bool
    default: false
author:
  - integrations.jira maintainers (@integrations-jira)
'''

EXAMPLES = r'''
- name: Put the service user in the integration group (Cloud, by email)
  integrations.jira.jira_group_membership:
    url: https://your-site.atlassian.net
    username: admin@example.com
    api_token: "{{ jira_admin_api_token }}"
    group: jira-integration-users
    users:
      - svc-integration@example.com

- name: Make the service user the only member (Data Center, by login name)
  integrations.jira.jira_group_membership:
    url: https://jira.example.com
    username: admin
    api_token: "{{ jira_admin_password }}"
    group: jira-integration-users
    users: [svc-integration]
    exclusive: true
'''

RETURN = r'''
members:
  description: Members of the group after the run (in check mode, as they would be), sorted.
    Cloud lists accountIds, Data Center login names.
  returned: success
  type: list
  elements: str
  sample: [5b10a2844c20165700ede21g]
added:
  description: Users added (or that would be added), as in RV(members).
  returned: success
  type: list
  elements: str
removed:
  description: Users removed (or that would be removed), as in RV(members).
  returned: success
  type: list
  elements: str
deployment:
  description: V(cloud) or V(datacenter).
  returned: always
  type: str
failure_reason:
  description: Why the module failed (V(forbidden), V(missing_group), ...); V(null) when no category fits,
    for example an unknown user.
  returned: failure
  type: str
'''

from ansible_collections.integrations.jira.plugins.module_utils._jira_admin import (
    admin_module,
    expect,
    group_members,
    group_params,
    is_cloud,
    require_group,
    require_user,
    run,
    same_user,
    user_ident,
)


def ensure(module, client):
    p = module.params
    group = require_group(client, p['group'])
    members = group_members(client, group)
    cloud = is_cloud(client)
    current = [user_ident(client, m) for m in members]

    to_add, to_remove = [], []
    wanted = []
    for ident in p['users']:
        match = [m for m in members if same_user(client, ident, m)]
        if match:
            wanted.append(user_ident(client, match[0]))
            if p['state'] == 'absent':
                to_remove.append(user_ident(client, match[0]))
        elif p['state'] == 'present':
            user = require_user(client, ident)
            wanted.append(user_ident(client, user))
            if user_ident(client, user) not in current:
                to_add.append(user_ident(client, user))
    if p['state'] == 'present' and p['exclusive']:
        to_remove.extend(m for m in current if m not in wanted)
    to_add = sorted(set(to_add))
    to_remove = sorted(set(to_remove))

    if not module.check_mode:
        for ident in to_add:
            what = 'Adding %s to group %s' % (ident, group['name'])
            body = {'accountId': ident} if cloud else {'name': ident}
            expect(client.request('POST', '/group/user', params=group_params(group['name'], group.get('group_id')),
                                  json_body=body, what=what, ok=(200, 201)), what, ok=(200, 201))
        for ident in to_remove:
            what = 'Removing %s from group %s' % (ident, group['name'])
            params = group_params(group['name'], group.get('group_id'))
            params['accountId' if cloud else 'username'] = ident
            expect(client.request('DELETE', '/group/user', params=params, what=what, ok=(200, 204)), what, ok=(200, 204))

    after = sorted((set(current) | set(to_add)) - set(to_remove))
    return {
        'changed': bool(to_add or to_remove),
        'members': after,
        'added': to_add,
        'removed': to_remove,
        'diff': {'before': {'group': group['name'], 'members': sorted(current)},
                 'after': {'group': group['name'], 'members': after}},
    }


def main():
    module = admin_module(dict(
        group=dict(type='str', required=True),
        users=dict(type='list', elements='str', default=[]),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        exclusive=dict(type='bool', default=False),
    ))
    run(module, lambda client: ensure(module, client))


if __name__ == '__main__':
    main()
