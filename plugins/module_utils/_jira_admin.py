# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the integrations.jira collection. It may change at any time,
# without notice. Do not use it from other collections or roles.

"""Shared flow for the Jira administration modules (groups, users, roles).

HTTP, URL rules, retries, classification and secret masking stay in ``_jira_client``; this file
only holds what the admin modules have in common: the module skeleton, lookups of groups and
users in both Cloud and Data Center flavours, pagination and Jira's error texts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.integrations.jira.plugins.module_utils._jira_client import (
    CONNECTION_REQUIRED_IF,
    CONNECTION_REQUIRED_TOGETHER,
    JiraError,
    client_from_module,
    connection_argument_spec,
)

PAGE_SIZE = 50
# Jira caps pages (group/member: 50); stop long before a misbehaving server loops us forever.
MAX_PAGES = 200


class AdminError(Exception):
    """A failure the module reports as is. ``failure_reason`` is one of the client's values, or
    None when none fits (a missing user is not a connection or credential problem)."""

    def __init__(self, msg, failure_reason=None):
        super(AdminError, self).__init__(msg)
        self.msg = msg
        self.failure_reason = failure_reason


def admin_module(argument_spec, required_if=None, mutually_exclusive=None, required_one_of=None):
    """An AnsibleModule with the shared connection options added and check mode on."""
    spec = connection_argument_spec()
    spec.update(argument_spec)
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        required_if=list(CONNECTION_REQUIRED_IF) + list(required_if or []),
        required_together=list(CONNECTION_REQUIRED_TOGETHER),
        mutually_exclusive=mutually_exclusive or [],
        required_one_of=required_one_of or [],
    )
    refuse_blank_values(module, argument_spec)
    return module


def refuse_blank_values(module, argument_spec):
    """Fail before any request on a blank value: Jira would look up (or create) "" instead."""
    for option, spec in sorted(argument_spec.items()):
        value = module.params.get(option)
        if value is None or spec.get('no_log'):
            continue
        if spec.get('type') == 'str' and not value.strip():
            module.fail_json(msg='Option %s is empty or blank: give a value%s.'
                             % (option, '' if spec.get('required') else ' or leave the option out'))
        if spec.get('type') == 'list' and spec.get('elements') == 'str':
            for index, item in enumerate(value, 1):
                if not item.strip():
                    module.fail_json(msg='Option %s has an empty or blank entry (item %d): remove it or give a name.'
                                     % (option, index))


def run(module, body):
    """Build the client, run ``body(client)`` (returns the result dict) and exit, mapping every
    failure to ``fail_json(msg=..., failure_reason=...)``. Messages come from the client (masked)
    or from this collection's own texts, which never carry the token."""
    client = client_from_module(module)
    try:
        result = body(client)
    except JiraError as e:
        module.fail_json(msg=e.msg, failure_reason=e.failure_reason, status=e.status)
    except AdminError as e:
        module.fail_json(msg=e.msg, failure_reason=e.failure_reason)
    result.setdefault('changed', False)
    result['deployment'] = client.deployment
    module.exit_json(**result)


def jira_says(resp):
    messages = resp.error_messages()
    return (' Jira says: %s' % '; '.join(messages)) if messages else ''


def expect(resp, what, ok=(200, 201, 204)):
    """Raise AdminError for a 400/404 that ``client.request`` handed back, with Jira's text."""
    if resp.status in ok:
        return resp
    raise AdminError('%s failed (HTTP %d).%s' % (what, resp.status, jira_says(resp)))


def is_cloud(client):
    client.resolve()
    return client.deployment == 'cloud'


def paginate(client, path, params, what):
    """All ``values`` of a Jira PageBean, following startAt until isLast."""
    values = []
    start = 0
    for dummy in range(MAX_PAGES):
        page_params = dict(params)
        page_params.update(startAt=start, maxResults=PAGE_SIZE)
        resp = expect(client.request('GET', path, params=page_params, what=what), what, ok=(200,))
        data = resp.json()
        if not isinstance(data, dict) or not isinstance(data.get('values'), list):
            raise AdminError('%s: the answer is not the paged list Jira returns.' % what, 'not_jira')
        values.extend(data['values'])
        if data.get('isLast', True) or not data['values']:
            break
        start += len(data['values'])
    return values


# ---------------------------------------------------------------------------------------------
# Groups
# ---------------------------------------------------------------------------------------------

def group_params(name, group_id=None):
    return {'groupId': group_id} if group_id else {'groupname': name}


def find_group(client, name):
    """``{'name', 'group_id'}`` of the group called ``name`` (exact, case-insensitive), or None."""
    if is_cloud(client):
        # group/bulk is the non-deprecated lookup on Cloud; GET /group is deprecated there.
        what = 'Looking up group %s' % name
        resp = expect(client.request('GET', '/group/bulk', params={'groupName': name}, what=what), what, ok=(200,))
        data = resp.json() or {}
        for value in data.get('values') or []:
            if str(value.get('name', '')).lower() == name.lower():
                return {'name': value.get('name'), 'group_id': value.get('groupId')}
        return None
    what = 'Looking up group %s' % name
    resp = client.request('GET', '/group', params={'groupname': name}, what=what, ok=(200,))
    if resp.status == 404:
        return None
    data = expect(resp, what, ok=(200,)).json() or {}
    return {'name': data.get('name', name), 'group_id': data.get('groupId')}


def require_group(client, name):
    group = find_group(client, name)
    if group is None:
        raise AdminError('Group %s does not exist in Jira. Create it first (integrations.jira.jira_group).' % name,
                         'missing_group')
    return group


def group_members(client, group):
    """Members of a group as user summaries (inactive users included)."""
    params = group_params(group['name'], group.get('group_id'))
    params['includeInactiveUsers'] = 'true'
    values = paginate(client, '/group/member', params, 'Listing members of group %s' % group['name'])
    return [user_summary(v) for v in values]


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------

def user_summary(data):
    """The user fields these modules return, the same keys on Cloud and Data Center."""
    data = data or {}
    return {
        'account_id': data.get('accountId'),
        'name': data.get('name') or None,
        'key': data.get('key') or None,
        'display_name': data.get('displayName'),
        'email_address': data.get('emailAddress'),
        'active': data.get('active'),
        'account_type': data.get('accountType'),
    }


def user_ident(client, summary):
    """The identifier Jira uses in membership calls: accountId on Cloud, login name on DC."""
    return summary['account_id'] if is_cloud(client) else summary['name']


def same_user(client, ident, summary):
    """Whether a user given by the playbook (email/accountId on Cloud, login on DC) is ``summary``."""
    low = ident.lower()
    if is_cloud(client):
        return ident == summary.get('account_id') or low == (summary.get('email_address') or '').lower()
    return low == (summary.get('name') or '').lower()


def find_user(client, ident, expand=None):
    """A user summary for an email address or accountId (Cloud) or login name (DC), or None."""
    if is_cloud(client):
        if '@' in ident:
            what = 'Searching for user %s' % ident
            resp = expect(client.request('GET', '/user/search', params={'query': ident}, what=what), what, ok=(200,))
            matches = [u for u in (resp.json() or []) if isinstance(u, dict)
                       and (u.get('emailAddress') or '').lower() == ident.lower()]
            if not matches:
                return None
            if not expand:
                return user_summary(matches[0])
            ident = matches[0].get('accountId')
        params = {'accountId': ident}
    else:
        params = {'username': ident}
    if expand:
        params['expand'] = expand
    what = 'Looking up user %s' % ident
    resp = client.request('GET', '/user', params=params, what=what, ok=(200,))
    if resp.status == 404:
        return None
    data = expect(resp, what, ok=(200,)).json()
    summary = user_summary(data)
    if expand and isinstance(data, dict):
        summary['groups'] = sorted(i.get('name') for i in (data.get('groups') or {}).get('items') or [] if i.get('name'))
        summary['application_roles'] = sorted(
            i.get('key') for i in (data.get('applicationRoles') or {}).get('items') or [] if i.get('key'))
    return summary


def require_user(client, ident):
    user = find_user(client, ident)
    if user is None:
        if is_cloud(client):
            hint = ('On Jira Cloud give the email address or the accountId; if the user hides the email address '
                    '(profile visibility), give the accountId.')
        else:
            hint = 'On Data Center give the login name (not the email address).'
        raise AdminError('User %s was not found in Jira. %s' % (ident, hint))
    return user
