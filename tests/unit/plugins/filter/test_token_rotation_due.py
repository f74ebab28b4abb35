"""The token_rotation_due filter: the role's age check over every host's record (the rule itself
is unit-tested in tests/unit/plugins/module_utils/test__fleet_report.py; the role's warning is
checked end to end in tests/integration/role/test_jira_integration_role.py)."""

import datetime

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.integrations.jira.plugins.filter.token_rotation_due import FilterModule


def _today(offset=0):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset)).isoformat()


FILTER = FilterModule().filters()['token_rotation_due']


def test_lines_name_the_hosts_per_reason():
    soon = {'rotated_at': _today() + 'T00:00:00Z', 'expires_on': _today(5)}
    assert FILTER([['web01', soon], ['web02', None], ['web03', soon]], '90', 14) == [
        'the token expires on %s, in 5 days (jira_integration_token_warn_days: 14) on web01, web03' % _today(5)]
    assert FILTER([['web01', {'rotated_at': _today(-3) + 'T00:00:00Z'}]], 90, 14) == []


def test_mappings_from_host_values_work_like_pairs():
    soon = {'rotated_at': _today() + 'T00:00:00Z', 'expires_on': _today(5)}
    entries = [{'host': 'web01', 'record': soon}, {'host': 'web02', 'record': None}, {'host': 'web03'}]
    assert FILTER(entries, 90, 14) == FILTER([['web01', soon], ['web02', None], ['web03', None]], 90, 14)


@pytest.mark.parametrize('records, args', [
    ('web01', (90, 14)),
    ([['web01']], (90, 14)),
    ([{'record': {}}], (90, 14)),
    ([['web01', {}]], ('ninety', 14)),
])
def test_bad_input_is_refused_with_a_clear_error(records, args):
    with pytest.raises(AnsibleFilterError, match='token_rotation_due'):
        FILTER(records, *args)
