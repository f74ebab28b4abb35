"""Test-suite wiring shared by every layer.

- Puts ``tests/`` on ``sys.path`` (the emulator and the support helpers live there) and the
  collection under ``build/collections/ansible_collections/integrations/jira`` (a symlink to the
  repository root), so Ansible finds ``integrations.jira`` by FQCN and Python imports its
  module_utils by their collection path.
- Loads the emulator's fixtures.
- Skips tests marked ``pytest_ansible`` where that plugin cannot run (its 26.x releases exclude
  ansible-core 2.17), saying so.
"""

import os
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TESTS_DIR)
sys.path.insert(0, TESTS_DIR)

from support.collection import COLLECTIONS_DIR, ensure_collection_link  # noqa: E402  (needs the sys.path line)

ensure_collection_link()
if COLLECTIONS_DIR not in sys.path:
    sys.path.insert(0, COLLECTIONS_DIR)
os.environ.setdefault('ANSIBLE_COLLECTIONS_PATH', COLLECTIONS_DIR)
# The local connection must not run interpreter discovery (a broken pyenv shim wins it here).
os.environ.setdefault('ANSIBLE_PYTHON_INTERPRETER', sys.executable)
os.environ.setdefault('ANSIBLE_LOCAL_TEMP', os.path.join(REPO_ROOT, 'build', 'ansible-local-tmp'))
os.environ.setdefault('ANSIBLE_HOST_KEY_CHECKING', 'False')
os.environ.setdefault('ANSIBLE_NOCOLOR', '1')
os.environ.setdefault('ANSIBLE_DEPRECATION_WARNINGS', 'False')

# Loaded when present (the emulator lands in its own commits); import errors still surface.
pytest_plugins = ['jira_emulator.pytest_plugin'] if os.path.exists(
    os.path.join(TESTS_DIR, 'jira_emulator', 'pytest_plugin.py')) else []


def _pytest_ansible_usable():
    try:
        import pytest_ansible  # noqa: F401
    except ImportError as e:
        return 'pytest-ansible is not installed (%s); its 26.x releases exclude ansible-core 2.17' % e
    return None


def pytest_configure(config):
    config.addinivalue_line('markers', 'pytest_ansible: uses pytest-ansible fixtures (localhost, ansible_module)')
    config.addinivalue_line('markers', 'slow: longer end-to-end runs (role, soak); part of the default run')


def pytest_collection_modifyitems(config, items):
    reason = _pytest_ansible_usable()
    if reason is None:
        return
    for item in items:
        if 'pytest_ansible' in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))
