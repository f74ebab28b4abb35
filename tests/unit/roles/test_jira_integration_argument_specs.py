"""meta/argument_specs.yml and defaults/main.yml of the jira_integration role must agree.

- The main entry point documents every variable in defaults/main.yml, and nothing else has a
  default: an option with a default in the spec has the same value in defaults/main.yml, and an
  option without one is absent from defaults/main.yml (url, username, api_token, ...).
- An option shared by several entry points has the same type, default, choices and elements in each.
- Every variable is role-prefixed, and the tasks use no undocumented public jira_integration_ variable.
- The role passes every connection option of the collection's modules (connection_argument_spec()),
  each from its jira_integration_ variable with the module's type, as one dict (vars/main.yml).
"""

import os
import re

import pytest
import yaml

from ansible_collections.integrations.jira.plugins.module_utils._jira_client import connection_argument_spec

ROLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'jira_integration')
SHAPE_KEYS = ('type', 'default', 'choices', 'elements', 'required')


def _load(*parts):
    with open(os.path.join(ROLE, *parts), encoding='utf-8') as f:
        return yaml.safe_load(f)


@pytest.fixture(scope='module')
def specs():
    return _load('meta', 'argument_specs.yml')['argument_specs']


@pytest.fixture(scope='module')
def defaults():
    return _load('defaults', 'main.yml')


def test_entry_points_have_a_task_file_each(specs):
    assert set(specs) == {'main', 'validate', 'remove', 'report'}
    for entry_point in specs:
        assert os.path.exists(os.path.join(ROLE, 'tasks', entry_point + '.yml')), entry_point


def test_defaults_and_main_spec_have_the_same_keys(specs, defaults):
    options = specs['main']['options']
    with_default = {name for name, spec in options.items() if 'default' in spec}
    assert set(defaults) == with_default, (
        'only in defaults/main.yml: %s; only in argument_specs (with a default): %s'
        % (sorted(set(defaults) - with_default), sorted(with_default - set(defaults))))


@pytest.mark.parametrize('entry_point', ['main', 'validate', 'remove', 'report'])
def test_every_default_equals_defaults_main(specs, defaults, entry_point):
    for name, spec in specs[entry_point]['options'].items():
        if 'default' in spec:
            assert name in defaults, '%s: %s has a default but is not in defaults/main.yml' % (entry_point, name)
            assert spec['default'] == defaults[name], '%s: %s' % (entry_point, name)
            assert type(spec['default']) is type(defaults[name]), '%s: %s' % (entry_point, name)
        else:
            assert name not in defaults, '%s: %s is in defaults/main.yml but has no default in the spec' % (
                entry_point, name)


def test_shared_options_have_the_same_shape(specs):
    main = specs['main']['options']
    for entry_point in ('validate', 'remove', 'report'):
        for name, spec in specs[entry_point]['options'].items():
            assert name in main, '%s: %s is not an option of main' % (entry_point, name)
            for key in SHAPE_KEYS:
                assert spec.get(key) == main[name].get(key), '%s: %s.%s differs from main' % (entry_point, name, key)


def test_every_option_is_prefixed_typed_and_described(specs):
    for entry_point, spec in specs.items():
        for name, option in spec['options'].items():
            assert name.startswith('jira_integration_'), name
            assert option.get('type'), '%s: %s has no type' % (entry_point, name)
            assert option.get('description'), '%s: %s has no description' % (entry_point, name)
            # The validation task templates the spec: braces would be evaluated.
            assert '{{' not in str(option), '%s: %s' % (entry_point, name)


def test_tasks_use_only_documented_variables(specs):
    documented = set(specs['main']['options'])
    used = set()
    for folder in ('tasks', 'templates', 'handlers', 'vars'):
        for name in os.listdir(os.path.join(ROLE, folder)):
            with open(os.path.join(ROLE, folder, name), encoding='utf-8') as f:
                used.update(re.findall(r'(?<![.\w])(jira_integration_[a-z0-9_]+)', f.read()))
    assert used - documented == set()


def test_every_connection_option_is_passed_from_its_variable(specs):
    entries = dict(re.findall(r"'([a-z_]+)': *(_*[a-z][a-z0-9_]*)",
                              _load('vars', 'main.yml')['__jira_integration_connection']))
    module_spec = connection_argument_spec()
    assert set(entries) == set(module_spec)
    for entry_point in ('main', 'validate', 'report'):
        options = specs[entry_point]['options']
        for option, variable in entries.items():
            # url, username and api_token go through their environment fallback (vars/main.yml).
            assert variable in ('jira_integration_' + option, '__jira_integration_' + option), option
            name = 'jira_integration_' + option
            assert name in options, '%s: %s is passed but not documented' % (entry_point, name)
            assert options[name]['type'] == module_spec[option]['type'], (entry_point, option)
            assert options[name].get('choices') == module_spec[option].get('choices'), (entry_point, option)


def test_no_task_passes_connection_options_by_hand():
    """Only the connection dict does (module_defaults of the credential check)."""
    connection = set(connection_argument_spec()) - {'url', 'username', 'api_token', 'allow_insecure_http'}
    for name in os.listdir(os.path.join(ROLE, 'tasks')):
        for task in _load('tasks', name) or []:
            args = next((v for k, v in task.items() if k.startswith('integrations.jira.')), None) or {}
            assert not set(args) & connection, '%s: %s' % (name, task['name'])
    check = _load('tasks', 'validate_credentials.yml')[0]
    assert check['module_defaults'] == {
        'integrations.jira.jira_credentials_info': '{{ __jira_integration_connection }}'}
    assert not set(check['integrations.jira.jira_credentials_info']) & set(connection_argument_spec())
