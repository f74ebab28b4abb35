"""meta/argument_specs.yml and defaults/main.yml of the jira_integration role must agree.

- The main entry point documents every variable in defaults/main.yml, and nothing else has a
  default: an option with a default in the spec has the same value in defaults/main.yml, and an
  option without one is absent from defaults/main.yml (url, username, api_token, ...).
- An option shared by several entry points has the same type, default, choices and elements in each.
- Every variable is role-prefixed, and the tasks use no undocumented public jira_integration_ variable.
"""

import os
import re

import pytest
import yaml

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
