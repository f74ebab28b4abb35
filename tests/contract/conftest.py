# Until/unless tests/conftest.py (lead) puts tests/ on sys.path and loads the plugin, do it here.
import os
import sys

_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from jira_emulator.pytest_plugin import (  # noqa: E402,F401
    jira_emulator, jira_emulator_dc, jira_emulator_factory, jira_emulator_tls)
