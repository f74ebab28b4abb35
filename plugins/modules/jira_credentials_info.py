#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: jira_credentials_info
short_description: Prove that a Jira URL, username and API token work, and say exactly what is wrong when not
version_added: 0.1.0
description:
  - Authenticates against Jira with the given credentials and proves them with C(GET /myself), the one REST
    call that Jira never answers anonymously. A C(2xx) answer that is not an authenticated user (a login or
    single sign-on page, an empty body, C(X-Seraph-LoginReason) V(AUTHENTICATED_FAILED)) is a failure, never a success.
  - Optionally checks group membership, product access (application roles) and project permissions, with
    as few requests as possible (one C(/myself), plus one C(/mypermissions) per project).
  - Every failure has exactly one RV(failure_reason) and a message that says what to do.
  - Never retries HTTP 401 or 403 (each failed login counts towards Jira's CAPTCHA lock).
author:
  - integrations.jira maintainers (@integrations-jira)
extends_documentation_fragment:
  - integrations.jira.connection
  - integrations.jira.attributes
  - integrations.jira.attributes.info_module
  - integrations.jira.attributes.action_group
options:
  expected_account_id:
    description:
      - Jira Cloud. Fail with RV(failure_reason=account_mismatch) unless the token belongs to this account ID.
    type: str
  expected_username:
    description:
      - Fail with RV(failure_reason=account_mismatch) unless the token belongs to this account.
      - Data Center compares it with the login name; Cloud with the email address (when the account's privacy
        settings show it), both case-insensitively.
    type: str
  required_groups:
    description:
      - Groups the account must belong to (directly or through nested groups), compared case-insensitively.
    type: list
    elements: str
    default: []
  required_application_roles:
    description:
      - Application roles (product access) the account must hold, for example V(jira-software) or V(jira-core),
        the setup guide's "product access".
    type: list
    elements: str
    default: []
  gather_membership:
    description:
      - Return RV(groups) and RV(application_roles) even when none are required. It adds C(expand) to the same
        C(/myself) request, not another request.
    type: bool
    default: false
  projects:
    description:
      - Project keys to check O(required_permissions) in; one C(GET /mypermissions) request each.
    type: list
    elements: str
    default: []
  required_permissions:
    description:
      - Project permission keys the account must hold in every one of O(projects), for example
        V(BROWSE_PROJECTS), V(CREATE_ISSUES), V(EDIT_ISSUES), V(ADD_COMMENTS) for "read and write access".
    type: list
    elements: str
    default: [BROWSE_PROJECTS]
  fail_on_invalid:
    description:
      - When V(false), a failed check does not fail the task; it returns RV(valid=false) with RV(failure_reason)
        and RV(msg), so a play can decide what to do.
    type: bool
    default: true
notes:
  - "Failure reasons: V(invalid_url) and V(insecure_url) (the URL option; nothing is sent), V(connection_error)
    (refused, DNS), V(timeout), V(tls_error) (untrusted CA, host name mismatch, expired certificate),
    V(invalid_credentials) (HTTP 401; on Cloud the message mentions scoped tokens; also an empty token or one with
    surrounding whitespace or control characters, refused before anything is sent), V(captcha_required) (HTTP 403
    with C(X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE): log in once in a browser), V(forbidden) (another 403),
    V(account_inactive), V(anonymous_response) (a 2xx that is not an authenticated user: C(X-Seraph-LoginReason)
    failure, empty body, HTML login or SSO page, or a redirect to a login page), V(not_jira) (another HTML page,
    unexpected or malformed JSON, a 404 at the REST path, an oversized answer, another redirect), V(rate_limited)
    (429 after retries), V(server_error) (5xx after retries), V(account_mismatch), V(missing_group),
    V(missing_application_role), V(project_not_found), V(missing_permission)."
  - With O(deployment=auto) and a host that is not C(*.atlassian.net) or C(*.jira.com), the module first asks the
    anonymous C(GET /rest/api/2/serverInfo) to tell Cloud (custom domain) from Data Center; set O(deployment) to
    save that request.
seealso:
  - module: integrations.jira.jira_integration_config
  - name: Basic auth for REST APIs (Jira Cloud)
    description: How Jira Cloud expects the email address and API token.
    link: https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
  - name: Manage API tokens for your Atlassian account
    description: Creating, expiring and revoking API tokens, and scoped tokens.
    link: https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/
'''

EXAMPLES = r'''
- name: Prove the service account's credentials (token from Ansible Vault)
  integrations.jira.jira_credentials_info:
    url: https://example.atlassian.net
    username: jira-integration@example.com
    api_token: "{{ vault_jira_integration_api_token }}"
  delegate_to: localhost
  run_once: true

- name: Require product access, a group and write access to two projects
  integrations.jira.jira_credentials_info:
    url: https://example.atlassian.net
    username: jira-integration@example.com
    api_token: "{{ vault_jira_integration_api_token }}"
    required_application_roles: [jira-software]
    required_groups: [integration-users]
    projects: [OPS, SUP]
    required_permissions: [BROWSE_PROJECTS, CREATE_ISSUES, ADD_COMMENTS]

- name: Data Center under a context path, with a personal access token and a private CA
  integrations.jira.jira_credentials_info:
    url: https://jira.example.com/jira
    auth_type: bearer
    api_token: "{{ vault_jira_pat }}"
    deployment: datacenter
    ca_path: /etc/pki/tls/certs/example-ca.pem
    expected_username: svc-integration

- name: Report instead of failing, for monitoring
  integrations.jira.jira_credentials_info:
    fail_on_invalid: false
  register: jira_check
  # url, username and api_token come from JIRA_URL, JIRA_USERNAME and JIRA_API_TOKEN

- name: Show why the check failed
  ansible.builtin.debug:
    msg: "{{ jira_check.failure_reason }}: {{ jira_check.msg }}"
  when: not jira_check.valid
'''

RETURN = r'''
valid:
  description: Whether the credentials and every requested check passed.
  returned: always
  type: bool
  sample: true
failure_reason:
  description: Why the check failed (one of the values listed in the notes), or V(null) on success.
  returned: always
  type: str
  sample: invalid_credentials
msg:
  description: What was proven, or what is wrong and how to fix it. Never contains the token.
  returned: always
  type: str
  sample: Jira accepted the credentials of Integration Bot (cloud, https://example.atlassian.net/rest/api/3).
url:
  description: The normalised O(url) (no trailing slash), or V(null) when it was refused.
  returned: always
  type: str
  sample: https://example.atlassian.net
api_url:
  description: The REST base the checks used.
  returned: when the deployment was settled
  type: str
  sample: https://example.atlassian.net/rest/api/3
deployment:
  description: V(cloud) or V(datacenter).
  returned: when the deployment was settled
  type: str
  sample: cloud
account:
  description: The authenticated account, as C(/myself) described it.
  returned: when Jira answered with an account
  type: dict
  contains:
    account_id:
      description: Cloud account ID (V(null) on Data Center).
      type: str
      sample: 5b10a2844c20165700ede21g
    name:
      description: Data Center login name (V(null) on Cloud).
      type: str
    key:
      description: Data Center user key (V(null) on Cloud).
      type: str
    display_name:
      description: Display name.
      type: str
      sample: Integration Bot
    email_address:
      description: Email address; V(null) when the account's privacy settings hide it.
      type: str
    active:
      description: Whether the account is active.
      type: bool
    account_type:
      description: Cloud account type (V(atlassian), V(app), V(customer)).
      type: str
    time_zone:
      description: The account's time zone.
      type: str
groups:
  description: Group names of the account (including nested groups).
  returned: when O(required_groups) or O(gather_membership) was given
  type: list
  elements: str
  sample: [integration-users, jira-software-users]
application_roles:
  description: Application role keys (product access) of the account.
  returned: when O(required_application_roles) or O(gather_membership) was given
  type: list
  elements: str
  sample: [jira-software]
permissions:
  description: For each of O(projects), whether the account holds each of O(required_permissions).
  returned: when O(projects) was given and checked
  type: dict
  sample: {OPS: {BROWSE_PROJECTS: true, CREATE_ISSUES: true}}
server:
  description: Server information, when it was fetched to settle O(deployment=auto).
  returned: when fetched
  type: dict
  contains:
    version:
      description: Jira version.
      type: str
      sample: 9.12.4
    deployment_type:
      description: What Jira calls its deployment (V(Cloud), V(Server), V(DataCenter)).
      type: str
      sample: Server
token_fingerprint:
  description:
    - V(pbkdf2-sha256:) and 16 hex digits of a deliberately slow hash of the token (PBKDF2-HMAC-SHA256 with the
      collection's fixed salt). Identifies a token without revealing it and without allowing fast offline guessing
      of a weak secret; M(integrations.jira.jira_integration_config) and the role record the same value.
  returned: always
  type: str
  sample: pbkdf2-sha256:1a2b3c4d5e6f7a8b
'''

import re

from ansible_collections.integrations.jira.plugins.module_utils._jira_admin import connection_module
from ansible_collections.integrations.jira.plugins.module_utils._jira_client import (
    ArgumentSpec,
    JiraError,
    check_credentials,
    client_from_module,
    mask_data,
    secret_values,
    token_fingerprint,
)

PROJECT_KEY_RE = re.compile(r'^[A-Z][A-Z0-9_]{0,254}$')
PERMISSION_KEY_RE = re.compile(r'^[A-Z][A-Z0-9_]{0,127}$')
MAX_NAME_LENGTH = 255


class _OptionError(Exception):
    """An option value the module refuses before sending anything (no failure_reason applies)."""


def check_inputs(params):
    """Refuse, before any request, what would only feed Jira's failed-login counter."""
    check_credentials(params.get('username'), params['api_token'], params['auth_type'])
    for option in ('expected_username', 'expected_account_id'):
        value = params.get(option)
        if value is not None and len(value) > MAX_NAME_LENGTH:
            raise _OptionError('Option %s is longer than %d characters.' % (option, MAX_NAME_LENGTH))
    for option, pattern, example in (('projects', PROJECT_KEY_RE, 'OPS'),
                                     ('required_permissions', PERMISSION_KEY_RE, 'BROWSE_PROJECTS')):
        for value in params[option]:
            if not isinstance(value, str) or not pattern.fullmatch(value):
                raise _OptionError('Option %s has an invalid entry: give upper-case keys such as %s.' % (option, example))
    for option in ('required_groups', 'required_application_roles'):
        for value in params[option]:
            if not value or not value.strip() or len(value) > 255:
                raise _OptionError('Option %s has an empty or over-long entry.' % option)
    if params['projects'] and not params['required_permissions']:
        raise _OptionError('Option required_permissions is empty; give at least one permission to check in projects.')


def account_summary(data):
    """The account fields returned; a field of another JSON type than Jira's is left out (None)."""
    def text(key):
        value = data.get(key)
        return value if isinstance(value, str) else None

    active = data.get('active')
    return dict(
        account_id=text('accountId'),
        name=text('name') or None,
        key=text('key') or None,
        display_name=text('displayName'),
        email_address=text('emailAddress'),
        active=active if isinstance(active, bool) else None,
        account_type=text('accountType'),
        time_zone=text('timeZone'),
    )


def _items(data, field, attr):
    wrapper = data.get(field)
    items = wrapper.get('items') if isinstance(wrapper, dict) else None
    return [item.get(attr) for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and isinstance(item.get(attr), str) and item.get(attr)]


def run_checks(client, params, result):
    """The credential check and the optional requirement checks, filling ``result`` as it goes."""
    want_groups = bool(params['required_groups']) or params['gather_membership']
    want_roles = bool(params['required_application_roles']) or params['gather_membership']
    expand = [name for name, wanted in (('groups', want_groups), ('applicationRoles', want_roles)) if wanted]

    me = client.myself(expand)
    result.update(api_url=client.api_url, deployment=client.deployment, account=account_summary(me))
    if client.server_info:
        result['server'] = dict((field, value if isinstance(value, str) else None) for field, value in (
            ('version', client.server_info.get('version')), ('deployment_type', client.server_info.get('deploymentType'))))
    account = result['account']
    who = account['display_name'] or account['account_id'] or account['name']

    expected_id = params.get('expected_account_id')
    if expected_id and account['account_id'] != expected_id:
        raise JiraError('account_mismatch', 'The token belongs to %s (account ID %s), not to the expected account ID %s. '
                                            'Use the service account\'s own token.' % (who, account['account_id'], expected_id))
    expected_name = params.get('expected_username')
    if expected_name:
        actual = account['name'] if client.deployment == 'datacenter' else account['email_address']
        if actual is not None and actual.lower() != expected_name.lower():
            raise JiraError('account_mismatch', 'The token belongs to %s (%s), not to %s. Use the service account\'s '
                                                'own token.' % (who, actual, expected_name))

    if want_groups:
        result['groups'] = _items(me, 'groups', 'name')
        have = set(g.lower() for g in result['groups'])
        missing = [g for g in params['required_groups'] if g.lower() not in have]
        if missing:
            raise JiraError('missing_group', '%s is not in the required group(s) %s. Add the account to them (Jira '
                                             'administration, User management, Groups).' % (who, ', '.join(missing)))
    if want_roles:
        result['application_roles'] = _items(me, 'applicationRoles', 'key')
        have = set(r.lower() for r in result['application_roles'])
        missing = [r for r in params['required_application_roles'] if r.lower() not in have]
        if missing:
            raise JiraError('missing_application_role', '%s has no product access for %s. Give a group of the account '
                                                        'that product access (Cloud: admin.atlassian.com, Products; '
                                                        'Data Center: Applications, Application access).'
                            % (who, ', '.join(missing)))

    if params['projects']:
        result['permissions'] = {}
        for project in params['projects']:
            result['permissions'][project] = client.my_permissions(project, params['required_permissions'])
        lacking = ['%s: %s' % (project, ', '.join(k for k, held in sorted(perms.items()) if not held))
                   for project, perms in result['permissions'].items() if not all(perms.values())]
        if lacking:
            raise JiraError('missing_permission', '%s lacks project permissions (%s). Grant them through the '
                                                  'projects\' permission schemes or project roles.' % (who, '; '.join(lacking)))
    return who


def argument_spec():
    return ArgumentSpec(dict(
        expected_account_id=dict(type='str'),
        expected_username=dict(type='str'),
        required_groups=dict(type='list', elements='str', default=[]),
        required_application_roles=dict(type='list', elements='str', default=[]),
        gather_membership=dict(type='bool', default=False),
        projects=dict(type='list', elements='str', default=[]),
        required_permissions=dict(type='list', elements='str', default=['BROWSE_PROJECTS']),
        fail_on_invalid=dict(type='bool', default=True),
    ))


def main():
    # Blank values are this module's own checks (check_inputs), with their own messages.
    module = connection_module(argument_spec(), refuse_blank=False)
    params = module.params
    secrets = secret_values(params.get('username'), params['api_token'])
    result = dict(changed=False, valid=False, failure_reason=None, msg='', url=None,
                  token_fingerprint=token_fingerprint(params['api_token']))
    try:
        check_inputs(params)
        client = client_from_module(module, fail_on_error=False)
        result['url'] = client.url
        who = run_checks(client, params, result)
    except _OptionError as e:
        result['msg'] = str(e)
        module.fail_json(**result)
    except JiraError as e:
        result.update(failure_reason=e.failure_reason, msg=e.msg)
        # The result holds what the server sent (account fields): masked like every message.
        result = mask_data(result, secrets)
        if params['fail_on_invalid']:
            module.fail_json(**result)
        module.exit_json(**result)
    result.update(valid=True, msg='Jira accepted the credentials of %s (%s, %s).' % (who, result['deployment'], result['api_url']))
    module.exit_json(**mask_data(result, secrets))


if __name__ == '__main__':
    main()
