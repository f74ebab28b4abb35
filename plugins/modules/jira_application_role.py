#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: jira_application_role
short_description: Report and manage which groups grant Jira product access (application roles)
version_added: 0.1.0
description:
  - Reads a Jira application role (product access, for example V(jira-software) or V(jira-core)) and reports
    the groups that grant it, the setup guide's "Group product access".
  - "Data Center: adds O(groups) to the role's groups (or removes them with O(state=absent)) through
    C(PUT /rest/api/2/applicationrole/{key})."
  - "Jira Cloud: product access is managed in the Atlassian administration hub, not through Jira's REST API.
    The module reports the role, and fails with instructions when O(groups) are not yet granted it or when
    O(user) does not hold it."
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
  key:
    description:
      - The application role key, for example V(jira-software), V(jira-core) or V(jira-servicedesk).
    type: str
    required: true
  groups:
    description:
      - Groups that should (O(state=present)) or should not (O(state=absent)) grant this product access.
      - V([]) only reports.
    type: list
    elements: str
    default: []
  state:
    description:
      - Whether O(groups) are added to or removed from the role. A removed group is also dropped from the
        role's default groups, as Jira requires default groups to be among the role's groups.
    type: str
    choices: [present, absent]
    default: present
  user:
    description:
      - Also check that this user holds the role after the run (Cloud, email address or accountId; Data Center,
        login name), and fail with RV(failure_reason=missing_application_role) and what to do when not.
    type: str
author:
  - integrations.jira maintainers (@integrations-jira)
'''

EXAMPLES = r'''
- name: Give the integration group "User" access to Jira Software (Data Center)
  integrations.jira.jira_application_role:
    url: https://jira.example.com
    username: admin
    api_token: "{{ jira_admin_password }}"
    key: jira-software
    groups: [jira-integration-users]
    user: svc-integration

- name: Check that the Cloud service user has product access
  integrations.jira.jira_application_role:
    url: https://your-site.atlassian.net
    username: admin@example.com
    api_token: "{{ jira_admin_api_token }}"
    key: jira-software
    user: svc-integration@example.com
'''

RETURN = r'''
role:
  description: The application role after the run (in check mode, as it would be).
  returned: success
  type: dict
  contains:
    key:
      description: Role key.
      type: str
      sample: jira-software
    name:
      description: Product name.
      type: str
      sample: Jira Software
    groups:
      description: Groups that grant the role, sorted.
      type: list
      elements: str
      sample: [jira-integration-users, jira-software-users]
    default_groups:
      description: Groups new users of the product are put in.
      type: list
      elements: str
added:
  description: Groups added to the role (or that would be).
  returned: success
  type: list
  elements: str
removed:
  description: Groups removed from the role (or that would be).
  returned: success
  type: list
  elements: str
user_has_role:
  description: Whether O(user) holds the role; V(null) when O(user) is not given. In check mode, predicted from
    the user's groups.
  returned: success
  type: bool
deployment:
  description: V(cloud) or V(datacenter).
  returned: always
  type: str
failure_reason:
  description: Why the module failed (V(forbidden), V(missing_application_role), V(missing_group), ...).
  returned: failure
  type: str
'''

from ansible_collections.integrations.jira.plugins.module_utils._jira_admin import (
    AdminError,
    admin_module,
    answer,
    expect,
    find_user,
    is_cloud,
    mask_data,
    records,
    require_group,
    run,
    text,
)

ADMIN_HUB = 'https://admin.atlassian.com'


def _names(data, field, what):
    names = data.get(field) or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise AdminError('%s: the %s are not the list of group names Jira returns.' % (what, field), 'not_jira')
    return sorted(names)


def _role_view(data, what):
    return {
        'key': text(data.get('key')),
        'name': text(data.get('name')),
        'groups': _names(data, 'groups', what),
        'default_groups': _names(data, 'defaultGroups', what),
    }


def get_role(client, key):
    what = 'Reading application role %s' % key
    resp = client.request('GET', '/applicationrole/%s' % key, what=what, ok=(200,))
    if resp.status == 404:
        listing = 'Listing application roles'
        known = records(answer(expect(client.request('GET', '/applicationrole', what=listing, ok=(200,)),
                                      listing, ok=(200,)), listing, list), listing)
        raise AdminError('Jira has no application role %s. Known roles: %s.'
                         % (key, ', '.join(sorted(text(r.get('key')) or '?' for r in known)) or 'none'),
                         'missing_application_role')
    data = answer(expect(resp, what, ok=(200,)), what)
    if text(data.get('key')) is not None and data['key'] != key:
        raise AdminError('%s: Jira answered with another role (%s).' % (what, data['key']), 'not_jira')
    return data


def ensure(module, client):
    p = module.params
    key = p['key']
    cloud = is_cloud(client)
    data = get_role(client, key)
    before = _role_view(data, 'Reading application role %s' % key)
    current = dict((g.lower(), g) for g in before['groups'])

    added, removed = [], []
    for name in p['groups']:
        if p['state'] == 'present' and name.lower() not in current:
            added.append(require_group(client, name)['name'])
        elif p['state'] == 'absent' and name.lower() in current:
            removed.append(current[name.lower()])

    after = dict(before)
    after['groups'] = sorted(set(before['groups'] + added) - set(removed))
    after['default_groups'] = [g for g in before['default_groups'] if g not in removed]

    if (added or removed) and cloud:
        if added:
            raise AdminError(
                'On Jira Cloud, product access is managed in the Atlassian administration hub, not through Jira\'s '
                'REST API: at %s open Directory, Groups, %s, and add product access to %s ("User"). Group(s) %s '
                'do(es) not grant %s yet.' % (ADMIN_HUB, ', '.join(added), before['name'] or key, ', '.join(added), key),
                'missing_application_role')
        raise AdminError('On Jira Cloud, product access is removed in the Atlassian administration hub (%s, '
                         'Directory, Groups, %s), not through Jira\'s REST API.' % (ADMIN_HUB, ', '.join(removed)))

    if (added or removed) and not module.check_mode:
        body = {'key': key, 'groups': after['groups'], 'defaultGroups': after['default_groups']}
        what = 'Updating application role %s' % key
        resp = expect(client.request('PUT', '/applicationrole/%s' % key, json_body=body, what=what, ok=(200,)),
                      what, ok=(200,))
        after = _role_view(answer(resp, what, empty=data), what)

    result = {
        'changed': bool(added or removed),
        'role': after,
        'added': sorted(added),
        'removed': sorted(removed),
        'user_has_role': None,
        'diff': {'before': before, 'after': after},
    }

    if p['user']:
        user = find_user(client, p['user'], expand='groups,applicationRoles')
        if user is None:
            raise AdminError('User %s was not found in Jira.' % p['user'])
        has_role = key in user['application_roles']
        if module.check_mode and not has_role and not cloud:
            # What the PUT would have granted through the user's groups.
            has_role = bool(set(g.lower() for g in user['groups']) & set(g.lower() for g in after['groups']))
        result['user_has_role'] = has_role
        if not has_role:
            if cloud:
                todo = ('give the user access to %s at %s (Directory, Users, the user, Product access), or add it to '
                        'a group that has that product access' % (before['name'] or key, ADMIN_HUB))
            else:
                todo = ('add the user to one of the groups that grant it (%s) with integrations.jira.jira_group_membership, '
                        'or give one of the user\'s groups the role with this module\'s groups option'
                        % (', '.join(after['groups']) or 'none yet'))
            module.fail_json(msg='User %s does not have %s product access (application role %s): %s.'
                             % (p['user'], before['name'] or key, key, todo),
                             failure_reason='missing_application_role', **mask_data(result, client._secrets))
    return result


def main():
    module = admin_module(dict(
        key=dict(type='str', required=True, no_log=False),
        groups=dict(type='list', elements='str', default=[]),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        user=dict(type='str'),
    ))
    run(module, lambda client: ensure(module, client))


if __name__ == '__main__':
    main()
