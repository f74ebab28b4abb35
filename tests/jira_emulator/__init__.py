"""A small local Jira (Cloud / Data Center) for tests, demos, benchmarks and Molecule.

See README.md in this folder. Test-only code (controller Python 3.9+).
"""
from ._model import Account, Project, PERMISSIONS
from ._server import CLOUD, DATACENTER, FAULT_KINDS, JiraEmulator
from ._fixtures import default_accounts, default_projects, new_secret

__all__ = ["Account", "Project", "JiraEmulator", "CLOUD", "DATACENTER", "FAULT_KINDS", "PERMISSIONS",
           "default_accounts", "default_projects", "new_secret"]
