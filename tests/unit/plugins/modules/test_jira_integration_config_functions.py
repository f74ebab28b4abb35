"""Pure-logic tests of the config modules' helpers (no Ansible run; the integration tests do that).

Named *_functions so it does not clash with tests/integration/test_jira_integration_config.py
(pytest imports test files by basename here: no __init__.py)."""

import pytest

from ansible_collections.integrations.jira.plugins.module_utils import _config_formats as cf
from ansible_collections.integrations.jira.plugins.modules import jira_integration_config as m
from ansible_collections.integrations.jira.plugins.modules import jira_integration_config_info as info


def test_key_names_default_per_format_and_overrides():
    assert m.key_names('env', None)['api_token'] == 'JIRA_API_TOKEN'
    assert m.key_names('yaml', {'api_token': 'secret', 'url': None})['api_token'] == 'secret'
    assert m.key_names('yaml', {'api_token': 'secret', 'url': None})['url'] == 'url'


def test_plan_items_refuses_duplicates_case_insensitively_for_ini():
    names = m.key_names('ini', None)
    values = {'url': 'https://x', 'username': 'u', 'api_token': 't'}
    with pytest.raises(cf.FormatError) as e:
        m.plan_items('ini', names, values, {'URL': 'y'})
    assert 'URL' in e.value.msg and 'case' in e.value.msg
    assert [i[0] for i in m.plan_items('yaml', names, values, {'URL': 'y'})] == ['url', 'username', 'api_token', 'URL']


@pytest.mark.parametrize('fmt', cf.FORMATS)
def test_plan_items_refuses_empty_key_names_in_every_format(fmt):
    """Empty setting names: YAML and JSON could hold "", but no reader looks a setting up by an empty name."""
    values = {'url': 'https://x', 'username': 'u', 'api_token': 't'}
    with pytest.raises(cf.FormatError) as e:
        m.plan_items(fmt, m.key_names(fmt, None), values, {'': 'x'})
    assert 'setting' in e.value.msg
    with pytest.raises(cf.FormatError) as e:
        m.plan_items(fmt, m.key_names(fmt, {'url': ''}), values, {})
    assert e.value.msg.startswith('Option keys.url')


def test_compare_tells_types_apart_in_yaml_and_text_in_env():
    items = [('timeout', 'timeout', 30), ('verify', 'verify', True)]
    assert m.compare('yaml', {'timeout': 30, 'verify': True}, items) == []
    assert m.compare('yaml', {'timeout': '30', 'verify': 1}, items) == ['timeout', 'verify']
    assert m.compare('yaml', None, items) == ['timeout', 'verify']
    assert m.compare('env', {'timeout': '30', 'verify': 'true'}, items) == []


@pytest.mark.parametrize('mode, expected', [
    (0o600, None), (0o400, None), (0o700, None),
    (0o644, 'mode_too_wide: 0644 is readable by group/others (want 0600)'),
    (0o640, 'mode_too_wide: 0640 is readable by group (want 0600)'),
    (0o602, 'mode_too_wide: 0602 is writable by others (want 0600)'),
    (0o610, 'mode_too_wide: 0610 is executable by group (want 0600)'),
])
def test_describe_mode(mode, expected):
    assert info.describe_mode(mode) == expected


def test_check_fields_codes():
    assert info.check_fields({'url': 'https://x.atlassian.net', 'username': 'u', 'api_token': 't'}, False) == []
    got = info.check_fields({'url': 'http://x.example.com', 'username': '', 'api_token': ' t'}, False)
    assert [p.split(':')[0] for p in got] == ['empty_value', 'token_whitespace', 'insecure_url']
    assert info.check_fields({}, False) == ['missing_key: url', 'missing_key: username', 'missing_key: api_token']


def test_a_bad_key_name_is_reported_as_the_option_key_or_as_a_setting():
    values = {'url': 'https://x', 'username': 'u', 'api_token': 't'}
    with pytest.raises(cf.FormatError) as e:
        m.plan_items('ini', m.key_names('ini', {'api_token': 'a=b'}), values, {})
    assert 'key for api_token' in e.value.msg and 'setting' not in e.value.msg
    with pytest.raises(cf.FormatError) as e:
        m.plan_items('ini', m.key_names('ini', None), values, {'c=d': 'x'})
    assert 'setting' in e.value.msg and 'key for' not in e.value.msg


def test_a_value_the_format_cannot_hold_names_the_logical_field_not_its_file_key():
    """env keys are JIRA_*; the message names the field the user gave (username)."""
    values = {'url': 'https://x', 'username': 'two\nlines', 'api_token': 't'}
    with pytest.raises(cf.FormatError) as e:
        m.plan_items('env', m.key_names('env', None), values, {})
    assert 'The value of username ' in e.value.msg


def test_the_diff_marker_of_a_non_string_secret_is_that_of_its_file_text():
    assert m.marker_for('api_token', 12345) == m.marker_for('api_token', '12345')
    assert m.marker_for('api_token', True) == m.marker_for('api_token', 'true')
    assert m.marker_for('api_token', 'a') != m.marker_for('api_token', 'b')
