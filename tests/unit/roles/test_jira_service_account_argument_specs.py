"""meta/argument_specs.yml and defaults/main.yml of the jira_service_account role must agree, the
twin of test_jira_integration_argument_specs.py.

- The main entry point documents every variable in defaults/main.yml with the same default, and
  nothing else is in defaults/main.yml.
- Every variable is role-prefixed, typed and described; the tasks use no undocumented public
  jira_service_account_ variable (internal ones, registers and facts too, start with __).
- The role passes every connection option of the collection's modules
  (plugins/module_utils/_jira_client.py connection_argument_spec()), each from its
  jira_service_account_admin_ variable, with the module's type.
"""

import os
import re

import pytest
import yaml

from ansible_collections.integrations.jira.plugins.module_utils._jira_client import connection_argument_spec

ROLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'jira_service_account')
PREFIX = 'jira_service_account_'
ADMIN = PREFIX + 'admin_'


def _load(*parts):
    with open(os.path.join(ROLE, *parts), encoding='utf-8') as f:
        return yaml.safe_load(f)


@pytest.fixture(scope='module')
def specs():
    return _load('meta', 'argument_specs.yml')['argument_specs']


@pytest.fixture(scope='module')
def defaults():
    return _load('defaults', 'main.yml')


def connection_entries(expression):
    """{module option: role variable} of the connection dict in vars/main.yml."""
    return dict(re.findall(r"'([a-z_]+)': *(_*[a-z][a-z0-9_]*)", expression))


def test_entry_points_have_a_task_file_each(specs):
    assert set(specs) == {'main'}
    for entry_point in specs:
        assert os.path.exists(os.path.join(ROLE, 'tasks', entry_point + '.yml')), entry_point


def test_defaults_and_spec_have_the_same_keys_and_values(specs, defaults):
    options = specs['main']['options']
    with_default = {name for name, spec in options.items() if 'default' in spec}
    assert set(defaults) == with_default, (
        'only in defaults/main.yml: %s; only in argument_specs (with a default): %s'
        % (sorted(set(defaults) - with_default), sorted(with_default - set(defaults))))
    for name in with_default:
        assert options[name]['default'] == defaults[name], name
        assert type(options[name]['default']) is type(defaults[name]), name


def test_every_option_is_prefixed_typed_and_described(specs):
    for name, option in specs['main']['options'].items():
        assert name.startswith(PREFIX), name
        assert option.get('type'), '%s has no type' % name
        assert option.get('description'), '%s has no description' % name
        # The validation task templates the spec: braces would be evaluated.
        assert '{{' not in str(option), name


def test_tasks_use_only_documented_variables(specs):
    documented = set(specs['main']['options'])
    used = set()
    for folder in ('tasks', 'vars'):
        for name in os.listdir(os.path.join(ROLE, folder)):
            with open(os.path.join(ROLE, folder, name), encoding='utf-8') as f:
                used.update(re.findall(r'(?<![.\w])(%s[a-z0-9_]+)' % PREFIX, f.read()))
    assert used - documented == set()


def test_facts_and_registers_are_internal():
    for name in os.listdir(os.path.join(ROLE, 'tasks')):
        tasks = _load('tasks', name) or []
        stack = list(tasks)
        while stack:
            task = stack.pop()
            stack.extend(task.get('block', []) + task.get('rescue', []) + task.get('always', []))
            for var in [task.get('register')] + list((task.get('ansible.builtin.set_fact') or {}).keys()):
                assert var is None or var.startswith('__' + PREFIX), '%s: %s' % (name, var)


def test_every_connection_option_is_passed_from_its_admin_variable(specs):
    entries = connection_entries(_load('vars', 'main.yml')['__jira_service_account_connection'])
    module_spec = connection_argument_spec()
    assert set(entries) == set(module_spec)
    options = specs['main']['options']
    for option, variable in entries.items():
        assert variable == ADMIN + option, option
        assert variable in options, '%s is passed but not documented' % variable
        want = module_spec[option]['type']
        # ca_path was documented as a str before the other paths were added; the module expands it anyway.
        got = options[variable]['type']
        assert got == want or (got, want) == ('str', 'path') and option == 'ca_path', (option, got, want)
        if 'choices' in module_spec[option]:
            assert options[variable].get('choices') == module_spec[option]['choices'], option


def test_the_role_gives_the_connection_to_every_module_through_module_defaults():
    main = _load('tasks', 'main.yml')
    assert main[0]['module_defaults'] == {'group/integrations.jira.jira': '{{ __jira_service_account_connection }}'}
    for name in ('present.yml', 'absent.yml'):
        for task in _load('tasks', name):
            args = next((v for k, v in task.items() if k.startswith('integrations.jira.')), None) or {}
            assert not set(args) & set(connection_argument_spec()), '%s: %s passes connection options by hand' % (
                name, task['name'])
