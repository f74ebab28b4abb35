# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the integrations.jira collection. It may change at any time,
# without notice. Do not use it from other collections or roles.

"""Shared flow for the modules that talk to Jira, and for the administration modules (groups,
users, roles) in particular.

HTTP, URL rules, retries, classification and secret masking stay in ``_jira_client``; this file
holds the module skeleton every API module is built with (:func:`connection_module`) and what the
admin modules have in common: lookups of groups and users in both Cloud and Data Center
flavours, pagination and Jira's error texts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.integrations.jira.plugins.module_utils._jira_client import (
    ArgumentSpec,
    JiraError,
    client_from_module,
    connection_spec,
    mask_data,
    mask_secrets,
    register_secrets,
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


def connection_module(spec, refuse_blank=True):
    """An AnsibleModule with check mode on, built from the shared connection options and
    constraints merged with the module's own ``spec`` (an ArgumentSpec).

    With ``refuse_blank``, blank values of the module's own options fail first. Then every form
    of the token is registered with Ansible, once, so anything the module reports from here on
    (a refused option, the client's messages, the result) is scrubbed of it."""
    module = connection_spec().merge(spec).create_ansible_module(supports_check_mode=True)
    if refuse_blank:
        refuse_blank_values(module, spec.argument_spec)
    register_secrets(module, module.params.get('username'), module.params.get('api_token'))
    return module


def admin_module(argument_spec, required_if=None, mutually_exclusive=None, required_one_of=None):
    """The skeleton of an admin module: :func:`connection_module` with blank values refused."""
    return connection_module(ArgumentSpec(argument_spec, required_if=required_if, mutually_exclusive=mutually_exclusive,
                                          required_one_of=required_one_of))


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
        # Admin messages quote names the server sent (roles, groups): masked like the client's.
        module.fail_json(msg=mask_secrets(e.msg, client._secrets), failure_reason=e.failure_reason)
    result.setdefault('changed', False)
    result['deployment'] = client.deployment
    # Results carry fields the server chose (names, display names): no token form may ride along.
    module.exit_json(**mask_data(result, client._secrets))


def answer(resp, what, shape=dict, empty=None):
    """The JSON of a 2xx answer when it has the ``shape`` Jira gives (dict or list); ``empty``
    stands in for an empty body when given. Anything else is AdminError ``not_jira``: a proxy or
    another service answered, and acting on its data would be wrong."""
    if empty is not None and not resp.body.strip():
        return empty
    data = resp.json()
    if not isinstance(data, shape):
        raise AdminError('%s: the answer (HTTP %d) is not the JSON %s Jira returns; check that url points at the '
                         'Jira root.' % (what, resp.status, 'object' if shape is dict else 'list'), 'not_jira')
    return data


def records(values, what):
    """``values`` when it is a list of JSON objects (Jira's lists of users, groups, roles)."""
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise AdminError('%s: the answer holds something other than the list of objects Jira returns; check '
                         'that url points at the Jira root.' % what, 'not_jira')
    return values


def text(value):
    """A string field of Jira's JSON, or None when the server sent anything else."""
    return value if isinstance(value, str) else None


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
        data = answer(resp, what)
        for value in records(data.get('values') or [], what):
            if (text(value.get('name')) or '').lower() == name.lower():
                return {'name': value['name'], 'group_id': text(value.get('groupId'))}
        return None
    what = 'Looking up group %s' % name
    resp = client.request('GET', '/group', params={'groupname': name}, what=what, ok=(200,))
    if resp.status == 404:
        return None
    data = answer(expect(resp, what, ok=(200,)), what)
    found = text(data.get('name'))
    if found is not None and found.lower() != name.lower():
        raise AdminError('%s: Jira answered with another group (%s).' % (what, found), 'not_jira')
    return {'name': found or name, 'group_id': text(data.get('groupId'))}


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
    what = 'Listing members of group %s' % group['name']
    members = [user_summary(v) for v in records(paginate(client, '/group/member', params, what), what)]
    if not all(user_ident(client, m) for m in members):
        raise AdminError('%s: a member has no %s, as every Jira user has.' % (what, 'accountId' if is_cloud(client) else 'name'),
                         'not_jira')
    return members


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------

def user_summary(data):
    """The user fields these modules return, the same keys on Cloud and Data Center."""
    data = data if isinstance(data, dict) else {}
    active = data.get('active')
    return {
        'account_id': text(data.get('accountId')),
        'name': text(data.get('name')) or None,
        'key': text(data.get('key')) or None,
        'display_name': text(data.get('displayName')),
        'email_address': text(data.get('emailAddress')),
        'active': active if isinstance(active, bool) else None,
        'account_type': text(data.get('accountType')),
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


def is_user(client, ident, summary, by_account_id=False):
    """Whether a user summary Jira sent back is the user that was asked for: same accountId
    (Cloud, when asked by accountId) or email address (Cloud), same login name (Data Center)."""
    if is_cloud(client):
        if by_account_id:
            return bool(summary.get('account_id')) and summary['account_id'] == ident
        return bool(summary.get('account_id')) and ident.lower() == (summary.get('email_address') or '').lower()
    return ident.lower() == (summary.get('name') or '').lower()


def find_user(client, ident, expand=None):
    """A user summary for an email address or accountId (Cloud) or login name (DC), or None."""
    if is_cloud(client):
        if '@' in ident:
            what = 'Searching for user %s' % ident
            resp = expect(client.request('GET', '/user/search', params={'query': ident}, what=what), what, ok=(200,))
            matches = [u for u in records(answer(resp, what, list), what)
                       if (text(u.get('emailAddress')) or '').lower() == ident.lower()]
            if not matches:
                return None
            if not expand:
                return user_summary(matches[0])
            ident = text(matches[0].get('accountId'))
            if not ident:
                raise AdminError('%s: the matching user has no accountId.' % what, 'not_jira')
        params = {'accountId': ident}
    else:
        params = {'username': ident}
    if expand:
        params['expand'] = expand
    what = 'Looking up user %s' % ident
    resp = client.request('GET', '/user', params=params, what=what, ok=(200,))
    if resp.status == 404:
        return None
    data = answer(expect(resp, what, ok=(200,)), what)
    summary = user_summary(data)
    if not is_user(client, ident, summary, by_account_id=is_cloud(client)):
        raise AdminError('%s: Jira answered with something other than this user.' % what, 'not_jira')
    if expand:
        summary['groups'] = _item_names(data, 'groups', 'name', what)
        summary['application_roles'] = _item_names(data, 'applicationRoles', 'key', what)
    return summary


def _item_names(data, field, attr, what):
    wrapper = data.get(field) or {}
    if not isinstance(wrapper, dict):
        raise AdminError('%s: the %s of the user are not in the form Jira returns.' % (what, field), 'not_jira')
    return sorted(text(i.get(attr)) for i in records(wrapper.get('items') or [], what) if text(i.get(attr)))


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
