#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: jira_project_role
short_description: Give groups a project role in Jira projects
version_added: 0.1.0
description:
  - Ensures that groups are (or are not) actors of a project role, for example V(Developers), in each of the
    named projects (the setup guide's "read and write access to specific projects"). What a role allows
    is set by each project's permission scheme.
  - Works with Jira Cloud (REST API 3) and Data Center (REST API 2), through
    C(/project/{key}/role/{id}).
  - Needs Jira administrator or project administrator credentials; otherwise Jira answers as if the project
    did not exist and the module fails with RV(failure_reason=project_not_found), or with V(forbidden).
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
  projects:
    description:
      - Keys of the projects, for example V([OPS, SEC]).
    type: list
    elements: str
    required: true
  role:
    description:
      - Name of the project role, for example V(Developers) (read and write) or V(Users) (read and comment).
        Compared case-insensitively.
    type: str
    required: true
  groups:
    description:
      - Groups to give (or take away) the role.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(present) adds the O(groups) to the role where missing; V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
author:
  - integrations.jira maintainers (@integrations-jira)
'''

EXAMPLES = r'''
- name: Give the integration group read and write access to two projects
  integrations.jira.jira_project_role:
    url: https://your-site.atlassian.net
    username: admin@example.com
    api_token: "{{ jira_admin_api_token }}"
    projects: [OPS, SEC]
    role: Developers
    groups: [jira-integration-users]
'''

RETURN = r'''
projects:
  description: Per project key, the role and the groups that hold it after the run (in check mode, as they would be).
  returned: success
  type: dict
  sample:
    OPS:
      role_id: 10001
      role: Developers
      groups: [jira-integration-users]
      added: [jira-integration-users]
      removed: []
deployment:
  description: V(cloud) or V(datacenter).
  returned: always
  type: str
failure_reason:
  description: Why the module failed (V(forbidden), V(project_not_found), V(missing_group), ...).
  returned: failure
  type: str
'''

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # type: ignore

from ansible_collections.integrations.jira.plugins.module_utils._jira_admin import (
    AdminError,
    admin_module,
    answer,
    expect,
    jira_says,
    records,
    require_group,
    run,
    text,
)

GROUP_ACTOR = 'atlassian-group-role-actor'


def role_id(client, project, role):
    what = 'Listing the roles of project %s' % project
    resp = client.request('GET', '/project/%s/role' % quote(project, safe=''), what=what, ok=(200,))
    if resp.status == 404:
        raise AdminError('Project %s does not exist, or these credentials may not administer it (HTTP 404).%s'
                         % (project, jira_says(resp)), 'project_not_found')
    roles = answer(expect(resp, what, ok=(200,)), what)
    for name, url in roles.items():
        if name.lower() == role.lower():
            rid = str(url).rstrip('/').rsplit('/', 1)[-1] if isinstance(url, str) else ''
            if not rid.isdigit() or len(rid) > 18:
                raise AdminError('%s: the address of role %s does not end in its numeric id, as Jira\'s does.'
                                 % (what, name), 'not_jira')
            return name, int(rid)
    raise AdminError('Project %s has no role %s. Its roles: %s.' % (project, role, ', '.join(sorted(roles)) or 'none'))


def role_groups(client, project, rid):
    what = 'Reading role %s of project %s' % (rid, project)
    data = answer(expect(client.request('GET', '/project/%s/role/%d' % (quote(project, safe=''), rid), what=what,
                                        ok=(200,)), what, ok=(200,)), what)
    groups = []
    for actor in records(data.get('actors') or [], what):
        if actor.get('type') == GROUP_ACTOR:
            group = actor.get('actorGroup')
            groups.append((text(group.get('name')) if isinstance(group, dict) else None) or text(actor.get('name')))
    return sorted(g for g in groups if g)


def ensure(module, client):
    p = module.params
    checked = {}
    out, before_all, after_all = {}, {}, {}
    changed = False
    for project in p['projects']:
        name, rid = role_id(client, project, p['role'])
        current = role_groups(client, project, rid)
        low = dict((g.lower(), g) for g in current)
        added, removed = [], []
        for group in p['groups']:
            if p['state'] == 'present' and group.lower() not in low:
                if group.lower() not in checked:
                    checked[group.lower()] = require_group(client, group)['name']
                added.append(checked[group.lower()])
            elif p['state'] == 'absent' and group.lower() in low:
                removed.append(low[group.lower()])
        path = '/project/%s/role/%d' % (quote(project, safe=''), rid)
        if not module.check_mode:
            if added:
                what = 'Adding %s to role %s of project %s' % (', '.join(added), name, project)
                expect(client.request('POST', path, json_body={'group': added}, what=what, ok=(200,)), what, ok=(200,))
            for group in removed:
                what = 'Removing %s from role %s of project %s' % (group, name, project)
                expect(client.request('DELETE', path, params={'group': group}, what=what, ok=(200, 204)),
                       what, ok=(200, 204))
        after = sorted((set(current) | set(added)) - set(removed))
        changed = changed or bool(added or removed)
        out[project] = {'role_id': rid, 'role': name, 'groups': after, 'added': sorted(added), 'removed': sorted(removed)}
        before_all[project] = {'role': name, 'groups': current}
        after_all[project] = {'role': name, 'groups': after}
    return {'changed': changed, 'projects': out, 'diff': {'before': before_all, 'after': after_all}}


def main():
    module = admin_module(dict(
        projects=dict(type='list', elements='str', required=True),
        role=dict(type='str', required=True),
        groups=dict(type='list', elements='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    ))
    run(module, lambda client: ensure(module, client))


if __name__ == '__main__':
    main()
