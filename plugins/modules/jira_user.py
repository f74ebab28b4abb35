#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: jira_user
short_description: Ensure a Jira (service) user exists or is removed
version_added: 0.1.0
description:
  - Creates the user that an integration's API token will belong to, in Jira Cloud (REST API 3) or
    Data Center (REST API 2). An existing user is left as it is (the module never changes a password).
  - "Jira Cloud: the user is invited by email address with access to O(products). Jira Cloud creates an
    Atlassian account; its password and API tokens are set by whoever owns the mailbox."
  - "Data Center: the user is created with a login name, a password, an email address and a display name."
  - Needs administrator credentials (Cloud, an organization administrator); without them the module
    fails with RV(failure_reason=forbidden).
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
      - The login name. Required on Data Center; ignored on Jira Cloud, which has no login names.
    type: str
  email:
    description:
      - The email address. Required on Jira Cloud (it identifies the user there) and when creating a user on Data Center.
    type: str
  display_name:
    description:
      - The full name shown in Jira. Data Center only (Jira Cloud takes it from the Atlassian account);
        defaults to O(name).
    type: str
  user_password:
    description:
      - The new user's password on Data Center, needed to log in as the service user and create its
        personal access token. Only used when the user is created. Keep it in Ansible Vault.
    type: str
  products:
    description:
      - "Jira Cloud: the products the new user gets access to (for example V(jira-software))."
      - "Data Center: the application keys the user is given (C(applicationKeys))."
      - Only used when the user is created. V([]) creates the user without product access
        (then give a group access with M(integrations.jira.jira_application_role)).
    type: list
    elements: str
    default: [jira-software]
  state:
    description:
      - V(present) creates the user when missing.
      - V(absent) deletes the user. On Data Center this deletes the user. On Jira Cloud it removes the user
        from Jira's user base only; the Atlassian account itself stays and can be deleted or deactivated
        only at U(https://admin.atlassian.com). When Jira Cloud refuses the deletion, the module fails and says so.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The module does not update an existing user's email address, display name or password; it reports the
    user as found.
author:
  - integrations.jira maintainers (@integrations-jira)
'''

EXAMPLES = r'''
- name: Create the service user on Jira Cloud
  integrations.jira.jira_user:
    url: https://your-site.atlassian.net
    username: admin@example.com
    api_token: "{{ jira_admin_api_token }}"
    email: svc-integration@example.com
    products: [jira-software]
  register: svc

- name: Create the service user on Data Center
  integrations.jira.jira_user:
    url: https://jira.example.com
    username: admin
    api_token: "{{ jira_admin_password }}"
    name: svc-integration
    email: svc-integration@example.com
    display_name: Integration service account
    user_password: "{{ vault_svc_integration_password }}"
    products: [jira-software]
'''

RETURN = r'''
user:
  description: The user after the run; V(null) when absent. In check mode a user to be created has no ID yet.
  returned: success
  type: dict
  contains:
    account_id:
      description: The accountId (Jira Cloud); V(null) on Data Center.
      type: str
      sample: 5b10a2844c20165700ede21g
    name:
      description: The login name (Data Center); V(null) on Jira Cloud.
      type: str
      sample: svc-integration
    key:
      description: The user key (Data Center).
      type: str
    display_name:
      description: Display name.
      type: str
    email_address:
      description: Email address; may be V(null) on Cloud when the user hides it.
      type: str
    active:
      description: Whether the account is active.
      type: bool
account_id:
  description: Shortcut for RV(user.account_id).
  returned: success
  type: str
name:
  description: Shortcut for RV(user.name).
  returned: success
  type: str
msg:
  description: What was done, in words. On Cloud removal it says that the Atlassian account remains.
  returned: always
  type: str
deployment:
  description: V(cloud) or V(datacenter).
  returned: always
  type: str
failure_reason:
  description: Why the module failed (V(forbidden) for non-administrator credentials).
  returned: failure
  type: str
'''

from ansible_collections.integrations.jira.plugins.module_utils._jira_admin import (
    AdminError,
    admin_module,
    answer,
    find_user,
    is_cloud,
    jira_says,
    run,
    user_summary,
)

ADMIN_HUB = 'https://admin.atlassian.com'


def _view(user):
    if user is None:
        return {'state': 'absent'}
    view = dict((k, v) for k, v in user.items() if k in ('account_id', 'name', 'email_address', 'display_name', 'active'))
    view['state'] = 'present'
    return view


def _created_user(resp, what, cloud, ident):
    """The user Jira says it created, when the answer really is that user: any other 2xx (a
    proxy's page, another account, a list) must not be reported as "created"."""
    user = user_summary(answer(resp, what))
    if cloud:
        # Cloud may hide the email address of the new account; the accountId must be there.
        same = bool(user['account_id']) and (user['email_address'] is None or user['email_address'].lower() == ident.lower())
    else:
        same = (user['name'] or '').lower() == ident.lower()
    if not same:
        raise AdminError('%s: Jira answered HTTP %d, but not with the user %s, so it is unknown whether the user was '
                         'created. Check the user in Jira, and that url points at the Jira root.'
                         % (what, resp.status, ident), 'not_jira')
    return user


def ensure(module, client):
    p = module.params
    cloud = is_cloud(client)
    ident = p['email'] if cloud else p['name']
    if not ident:
        raise AdminError('Option %s is required on Jira %s.' % (('email', 'Cloud') if cloud else ('name', 'Data Center')))
    user = find_user(client, ident)
    before = user
    result = {'changed': False}

    if p['state'] == 'present':
        if user is not None:
            result['msg'] = 'User %s exists; left as it is.' % ident
        else:
            result['changed'] = True
            if cloud:
                body = {'emailAddress': p['email'], 'products': p['products']}
            else:
                missing = [o for o in ('email', 'user_password') if not p[o]]
                if missing:
                    raise AdminError('Creating user %s on Data Center needs %s.' % (ident, ' and '.join(missing)))
                body = {'name': p['name'], 'password': p['user_password'], 'emailAddress': p['email'],
                        'displayName': p['display_name'] or p['name'], 'applicationKeys': p['products']}
            if module.check_mode:
                user = user_summary({'name': None if cloud else p['name'], 'emailAddress': p['email'],
                                     'displayName': None if cloud else body['displayName'], 'active': True})
                result['msg'] = 'User %s would be created.' % ident
            else:
                what = 'Creating user %s' % ident
                resp = client.request('POST', '/user', json_body=body, what=what, ok=(200, 201))
                if resp.status in (400, 404):
                    hint = ''
                    if cloud:
                        hint = (' On Jira Cloud this also happens when the user exists but has no access to Jira: '
                                'grant it product access at %s.' % ADMIN_HUB)
                    raise AdminError('%s failed (HTTP %d).%s%s' % (what, resp.status, jira_says(resp), hint))
                user = _created_user(resp, what, cloud, ident)
                result['msg'] = 'User %s created.' % ident
    else:
        if user is None:
            result['msg'] = 'User %s does not exist.' % ident
        else:
            result['changed'] = True
            params = {'accountId': user['account_id']} if cloud else {'username': user['name']}
            if not module.check_mode:
                what = 'Deleting user %s' % ident
                resp = client.request('DELETE', '/user', params=params, what=what, ok=(200, 204))
                if resp.status in (400, 404):
                    hint = ''
                    if cloud:
                        hint = (' Jira Cloud cannot remove this user through its REST API; deactivate or delete the '
                                'Atlassian account at %s (Directory, Users).' % ADMIN_HUB)
                    raise AdminError('%s failed (HTTP %d).%s%s' % (what, resp.status, jira_says(resp), hint))
            if cloud:
                result['msg'] = ('User %s %s removed from Jira\'s user base. The Atlassian account itself remains; '
                                 'delete or deactivate it at %s if it is no longer needed.'
                                 % (ident, 'would be' if module.check_mode else 'was', ADMIN_HUB))
            else:
                result['msg'] = 'User %s %s deleted.' % (ident, 'would be' if module.check_mode else 'was')
            user = None
    result['diff'] = {'before': _view(before), 'after': _view(user)}
    result['user'] = user
    result['account_id'] = user['account_id'] if user else None
    result['name'] = user['name'] if user else None
    return result


def main():
    module = admin_module(dict(
        name=dict(type='str'),
        email=dict(type='str'),
        display_name=dict(type='str'),
        user_password=dict(type='str', no_log=True),
        products=dict(type='list', elements='str', default=['jira-software']),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    ), required_one_of=[('name', 'email')])
    run(module, lambda client: ensure(module, client))


if __name__ == '__main__':
    main()
