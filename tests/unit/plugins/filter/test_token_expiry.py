"""The token_expiry filter: the role's check of jira_integration_token_expires_on, with the config
module's date rule (tests/unit/plugins/module_utils/test__rotation_fact.py has the rule's cases)."""

import datetime

import pytest

from ansible_collections.integrations.jira.plugins.filter import token_expiry as te

TODAY = datetime.date(2026, 12, 2)


@pytest.mark.parametrize('value', [None, ''])
def test_no_date(value):
    assert te.expiry(value, TODAY) == {'given': False, 'valid': False, 'date': None, 'days_left': None}


@pytest.mark.parametrize('value, days_left', [
    ('2026-12-02', 0),
    ('2026-12-07', 5),
    ('2026-11-29', -3),
    (datetime.date(2027, 12, 2), 365),  # an unquoted YAML date
])
def test_days_left_until_a_valid_date(value, days_left):
    assert te.expiry(value, TODAY) == {'given': True, 'valid': True, 'date': str(value), 'days_left': days_left}


@pytest.mark.parametrize('value', ['2027-02-30', '2027-13-01', '27-01-01', '2027-01-01\n', '2027-01-01T00:00:00Z',
                                   20270101, 'tomorrow'])
def test_anything_else_is_given_but_not_valid(value):
    assert te.expiry(value, TODAY) == {'given': True, 'valid': False, 'date': str(value), 'days_left': None}


def test_the_filter_counts_from_today_in_utc():
    today = datetime.datetime.now(datetime.timezone.utc).date()
    soon = (today + datetime.timedelta(days=5)).isoformat()
    assert te.FilterModule().filters()['token_expiry'](soon)['days_left'] == 5
