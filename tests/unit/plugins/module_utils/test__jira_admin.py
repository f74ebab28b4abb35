"""Unit tests of the admin helpers' pure logic: pagination, user matching, error texts. A fake
client stands in for HTTP (the real runs are in tests/integration/test_jira_setup_*.py)."""

import json

import pytest
from requests.structures import CaseInsensitiveDict

from ansible_collections.integrations.jira.plugins.module_utils import _jira_admin as ja
from ansible_collections.integrations.jira.plugins.module_utils._jira_client import JiraResponse


def response(status, data):
    body = json.dumps(data).encode() if data is not None else b''
    return JiraResponse(status, CaseInsensitiveDict({'Content-Type': 'application/json'}), body, 'http://x/rest')


class FakeClient:
    def __init__(self, deployment, answers):
        self.deployment = deployment
        self.answers = list(answers)
        self.calls = []

    def resolve(self):
        pass

    def request(self, method, path, params=None, json_body=None, what=None, ok=(200, 201, 204)):
        self.calls.append((method, path, dict(params or {})))
        return self.answers.pop(0)


def page(values, start, last):
    return response(200, {'values': values, 'startAt': start, 'maxResults': 2, 'isLast': last})


def test_paginate_follows_start_at_until_is_last():
    client = FakeClient('cloud', [page([1, 2], 0, False), page([3, 4], 2, False), page([5], 4, True)])
    assert ja.paginate(client, '/group/member', {'groupname': 'g'}, 'listing') == [1, 2, 3, 4, 5]
    assert [c[2]['startAt'] for c in client.calls] == [0, 2, 4]
    assert all(c[2]['groupname'] == 'g' for c in client.calls)


def test_paginate_stops_on_an_empty_page_even_without_is_last():
    client = FakeClient('cloud', [page([1], 0, False), page([], 1, False)])
    assert ja.paginate(client, '/group/member', {}, 'listing') == [1]
    assert len(client.calls) == 2


def test_paginate_refuses_an_answer_that_is_not_a_page():
    client = FakeClient('cloud', [response(200, [1, 2])])
    with pytest.raises(ja.AdminError) as e:
        ja.paginate(client, '/group/member', {}, 'Listing members')
    assert e.value.failure_reason == 'not_jira'


def test_expect_carries_jiras_error_messages():
    resp = response(400, {'errorMessages': ['A group with that name already exists.'], 'errors': {}})
    with pytest.raises(ja.AdminError) as e:
        ja.expect(resp, 'Creating group g')
    assert e.value.msg == 'Creating group g failed (HTTP 400). Jira says: A group with that name already exists.'
    assert ja.expect(response(201, {}), 'x', ok=(201,)).status == 201


@pytest.mark.parametrize('deployment, ident, summary, same', [
    ('cloud', 'Svc@Example.com', {'account_id': 'a1', 'email_address': 'svc@example.com'}, True),
    ('cloud', 'a1', {'account_id': 'a1', 'email_address': None}, True),
    ('cloud', 'svc@example.com', {'account_id': 'a1', 'email_address': None}, False),  # hidden email
    ('datacenter', 'SVC', {'name': 'svc'}, True),
    ('datacenter', 'svc@example.com', {'name': 'svc', 'email_address': 'svc@example.com'}, False),
])
def test_same_user(deployment, ident, summary, same):
    assert ja.same_user(FakeClient(deployment, []), ident, summary) is same


def test_find_user_on_cloud_matches_the_email_exactly():
    client = FakeClient('cloud', [response(200, [
        {'accountId': 'a0', 'emailAddress': 'svc@example.com.evil'},
        {'accountId': 'a1', 'emailAddress': 'SVC@example.com', 'active': True},
    ])])
    assert ja.find_user(client, 'svc@example.com')['account_id'] == 'a1'
    client = FakeClient('cloud', [response(200, [{'accountId': 'a0', 'emailAddress': 'other@example.com'}])])
    assert ja.find_user(client, 'svc@example.com') is None


def test_find_user_on_datacenter_treats_404_as_missing():
    client = FakeClient('datacenter', [response(404, {'errorMessages': ['no such user'], 'errors': {}})])
    assert ja.find_user(client, 'svc') is None
    assert client.calls == [('GET', '/user', {'username': 'svc'})]


def test_user_summary_has_the_same_keys_on_both_deployments():
    cloud = ja.user_summary({'accountId': 'a1', 'displayName': 'Svc', 'active': True, 'name': '', 'key': ''})
    dc = ja.user_summary({'name': 'svc', 'key': 'JIRAUSER1', 'emailAddress': 's@x'})
    assert set(cloud) == set(dc)
    assert cloud['name'] is None and cloud['key'] is None   # Cloud's GDPR empty strings become null
    assert dc['account_id'] is None
