"""The rotation_summary filter: the line the rotate playbook prints (the playbook is run end to end
in tests/integration/test_operator_playbooks.py, which checks the same text)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.integrations.jira.plugins.filter.rotation_summary import FilterModule

FILTER = FilterModule().filters()['rotation_summary']


def entries(**results):
    return [{'host': h, 'result': r} for h, r in sorted(results.items())]


def test_changed_hosts_with_their_keys_and_the_failed_ones():
    results = entries(host01={'changed': True, 'changed_keys': ['api_token']}, host02=None)
    assert FILTER(results, ['host01'], False) == '1 of 2 hosts changed: host01 (api_token). 1 failed: host02'


def test_check_mode_says_would_and_that_nothing_was_written():
    results = entries(host01={'changed': True, 'changed_keys': ['api_token', 'url']},
                      host02={'changed': True, 'changed_keys': []}, host03={'changed': False})
    assert FILTER(results, ['host01', 'host02', 'host03'], True) == (
        'Check mode: 2 of 3 hosts would change: host01 (api_token, url); host02 (file attributes). '
        'Nothing was written; run it again without --check to rotate.')


def test_no_change_anywhere():
    assert FILTER(entries(host01={'changed': False}, host02={}), ['host01', 'host02']) == (
        '0 of 2 hosts changed: none (every host already had this token)')


def test_a_failed_host_is_not_counted_as_changed_even_with_a_changed_result():
    results = entries(host01={'changed': True, 'changed_keys': ['api_token']},
                      host02={'changed': True, 'changed_keys': ['api_token']}, host03=None)
    assert FILTER(results, ['host01'], 'no') == (
        '1 of 3 hosts changed: host01 (api_token). 2 failed: host02, host03')


def test_hosts_are_named_in_the_play_order():
    results = [{'host': 'web9', 'result': {'changed': True}}, {'host': 'web10', 'result': {'changed': True}},
               {'host': 'web1', 'result': None}]
    assert FILTER(results, ['web9', 'web10'], False) == (
        '2 of 3 hosts changed: web9 (file attributes); web10 (file attributes). 1 failed: web1')


@pytest.mark.parametrize('results, play_hosts', [
    ('host01', ['host01']),
    ([['host01', {}]], ['host01']),
    ([{'host': 'host01', 'result': 'changed'}], ['host01']),
    ([{'host': 'host01', 'result': {}}], 'host01'),
])
def test_bad_input_is_refused_with_a_clear_error(results, play_hosts):
    with pytest.raises(AnsibleFilterError, match='rotation_summary'):
        FILTER(results, play_hosts)
