"""meta/runtime.yml's action group and the modules' documentation agree: a module is in the group
exactly when it takes every connection option, so ``module_defaults`` for the group never hands a
member an option it refuses (and never misses one that takes them)."""

import importlib
import os

import yaml

from ansible_collections.integrations.jira.plugins.module_utils import _jira_client as jc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
MODULES = os.path.join(ROOT, 'plugins', 'modules')


def group_members():
    with open(os.path.join(ROOT, 'meta', 'runtime.yml')) as f:
        return set(yaml.safe_load(f)['action_groups']['jira'])


def module_docs():
    docs = {}
    for name in sorted(os.listdir(MODULES)):
        if name.endswith('.py') and not name.startswith('_'):
            mod = importlib.import_module('ansible_collections.integrations.jira.plugins.modules.' + name[:-3])
            docs[name[:-3]] = yaml.safe_load(mod.DOCUMENTATION)
    return docs


def takes_connection_options(doc):
    return 'integrations.jira.connection' in doc.get('extends_documentation_fragment', [])


def test_group_holds_exactly_the_modules_with_the_connection_options():
    docs = module_docs()
    assert len(docs) >= 9
    assert group_members() == set(name for name, doc in docs.items() if takes_connection_options(doc))


def test_every_member_documents_its_membership():
    docs = module_docs()
    for name in group_members():
        fragments = docs[name].get('extends_documentation_fragment', [])
        assert 'integrations.jira.attributes.action_group' in fragments, name


def test_the_connection_fragment_documents_every_connection_option():
    # The fragment is what takes_connection_options() trusts; it must cover the whole spec.
    from ansible_collections.integrations.jira.plugins.doc_fragments import connection
    documented = set(yaml.safe_load(connection.ModuleDocFragment.DOCUMENTATION)['options'])
    assert documented == set(jc.connection_spec().argument_spec)
