"""Argument specs come in pairs with their doc fragments, and as bundles with their constraints:
the ArgumentSpec bundle, the connection spec, the config_file spec and the module skeleton."""

import json

import pytest
import yaml

from ansible.module_utils import basic

from ansible_collections.integrations.jira.plugins.doc_fragments import config_file as config_file_fragment
from ansible_collections.integrations.jira.plugins.doc_fragments import connection as connection_fragment
from ansible_collections.integrations.jira.plugins.module_utils import _config_formats as cf
from ansible_collections.integrations.jira.plugins.module_utils import _jira_admin as ja
from ansible_collections.integrations.jira.plugins.module_utils import _jira_client as jc

TOKEN = 'Tok-SECRET-1234'


def module_args(monkeypatch, args):
    """A context in which AnsibleModule() reads ``args`` as the task's arguments."""
    args = dict(args, _ansible_check_mode=False, _ansible_remote_tmp='/tmp', _ansible_keep_remote_files=False)
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core < 2.19
        monkeypatch.setattr(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode())
        import contextlib
        return contextlib.contextmanager(lambda: (yield))()
    return patch_module_args(args)


def fragment_options(fragment):
    return yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)['options']


def assert_documented(spec, options, where):
    """Each option of ``spec`` is documented with its type, default, required flag, aliases and suboptions."""
    assert sorted(spec) == sorted(options), where
    for name, entry in spec.items():
        doc = options[name]
        what = '%s.%s' % (where, name)
        assert doc.get('type', 'str') == entry.get('type', 'str'), what
        assert doc.get('default') == entry.get('default'), what
        assert bool(doc.get('required')) == bool(entry.get('required')), what
        assert doc.get('aliases', []) == entry.get('aliases', []), what
        if 'options' in entry or 'suboptions' in doc:
            assert_documented(entry.get('options', {}), doc.get('suboptions', {}), what)


def test_config_file_spec_is_what_its_fragment_documents():
    assert_documented(cf.config_file_argument_spec(), fragment_options(config_file_fragment), 'config_file')


def test_connection_spec_is_what_its_fragment_documents():
    assert_documented(jc.connection_spec().argument_spec, fragment_options(connection_fragment), 'connection')


def test_secret_look_alike_names_say_no_log_false_and_the_token_no_log_true():
    spec = jc.connection_spec().argument_spec
    assert spec['api_token']['no_log'] is True
    assert spec['client_key']['no_log'] is False
    config = cf.config_file_argument_spec()
    assert config['keys']['no_log'] is False and config['keys']['options']['api_token']['no_log'] is False


def test_connection_spec_carries_its_constraints():
    spec = jc.connection_spec()
    assert spec.required_if == [('auth_type', 'basic', ('username',))]
    assert spec.required_together == [('client_cert', 'client_key')]
    # A fresh bundle each time: merging into one never changes the next.
    spec.update(required_if=[('state', 'present', ('name',))])
    assert jc.connection_spec().required_if == [('auth_type', 'basic', ('username',))]


def test_merge_adds_options_and_constraints_and_the_other_options_win():
    base = jc.ArgumentSpec(dict(a=dict(type='str'), b=dict(type='int')), required_if=[('a', 'x', ('b',))],
                           required_by={'a': ['b']})
    other = jc.ArgumentSpec(dict(b=dict(type='str'), c=dict(type='bool')), required_if=[('c', True, ('a',))],
                            mutually_exclusive=[('a', 'c')], required_together=[('a', 'b')],
                            required_one_of=[('a', 'c')], required_by={'a': ['c'], 'c': ['b']})
    assert base.merge(other) is base
    assert base.argument_spec == dict(a=dict(type='str'), b=dict(type='str'), c=dict(type='bool'))
    assert base.required_if == [('a', 'x', ('b',)), ('c', True, ('a',))]
    assert base.mutually_exclusive == [('a', 'c')]
    assert base.required_together == [('a', 'b')]
    assert base.required_one_of == [('a', 'c')]
    assert base.required_by == {'a': ['b', 'c'], 'c': ['b']}
    assert other.argument_spec == dict(b=dict(type='str'), c=dict(type='bool'))  # other is left alone


def test_the_bundle_copies_what_it_is_given():
    options = dict(a=dict(type='str'))
    required_if = [('a', 'x', ('a',))]
    spec = jc.ArgumentSpec(options, required_if=required_if).update_argspec(b=dict(type='str'))
    spec.update(required_if=[('b', 'y', ('a',))])
    assert options == dict(a=dict(type='str')) and required_if == [('a', 'x', ('a',))]


def test_create_ansible_module_applies_the_constraints(monkeypatch, capsys):
    spec = jc.ArgumentSpec(dict(a=dict(type='str'), b=dict(type='str')), required_together=[('a', 'b')])
    with module_args(monkeypatch, {'a': 'x', 'b': 'y'}):
        assert spec.create_ansible_module(supports_check_mode=True).params['b'] == 'y'
    with module_args(monkeypatch, {'a': 'x'}):
        with pytest.raises(SystemExit):
            spec.create_ansible_module()
    assert 'parameters are required together: a, b' in json.loads(capsys.readouterr().out)['msg']


def connection(**over):
    args = dict(url='https://x.atlassian.net', username='bot@example.com', api_token=TOKEN)
    args.update(over)
    return dict((k, v) for k, v in args.items() if v is not None)  # None: not given


def test_connection_module_registers_every_form_of_the_token(monkeypatch):
    with module_args(monkeypatch, connection(name='n')):
        module = ja.connection_module(jc.ArgumentSpec(dict(name=dict(type='str'))))
    assert jc.secret_values('bot@example.com', TOKEN) <= module.no_log_values
    assert TOKEN.upper() in module.no_log_values
    assert module.check_mode is False and module.supports_check_mode is True


def test_connection_module_adds_the_connection_constraints(monkeypatch, capsys):
    with module_args(monkeypatch, connection(username=None)):
        with pytest.raises(SystemExit):
            ja.connection_module(jc.ArgumentSpec({}))
    assert 'auth_type is basic but all of the following are missing: username' in json.loads(capsys.readouterr().out)['msg']


def test_connection_module_refuses_blank_values_unless_told_not_to(monkeypatch, capsys):
    spec = dict(name=dict(type='str'))
    with module_args(monkeypatch, connection(name=' ')):
        with pytest.raises(SystemExit):
            ja.connection_module(jc.ArgumentSpec(spec))
    assert json.loads(capsys.readouterr().out)['msg'] == 'Option name is empty or blank: give a value or leave the option out.'
    with module_args(monkeypatch, connection(name=' ')):
        assert ja.connection_module(jc.ArgumentSpec(spec), refuse_blank=False).params['name'] == ' '


def test_admin_module_passes_its_constraints_on(monkeypatch, capsys):
    with module_args(monkeypatch, connection()):
        with pytest.raises(SystemExit):
            ja.admin_module(dict(name=dict(type='str'), email=dict(type='str')), required_one_of=[('name', 'email')])
    assert 'one of the following is required: name, email' in json.loads(capsys.readouterr().out)['msg']
