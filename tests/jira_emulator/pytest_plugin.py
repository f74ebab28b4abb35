"""pytest fixtures for the Jira emulator (loaded by tests/conftest.py).

Fixtures (all function-scoped, started, stopped at teardown):
  jira_emulator_factory(**kwargs) -> started JiraEmulator; standard accounts/project unless given
  jira_emulator       Cloud, service account + admin, project OPS
  jira_emulator_dc    Data Center, same accounts (login names), project OPS
  jira_emulator_tls   Cloud over HTTPS with a trusted-by-CA-file certificate (emu.ca_path)
Each emulator built with the standard accounts carries: service_account, service_token,
service_scoped_token (Cloud) / service_pat (DC), admin_account, admin_token, project_key.
"""
import pytest

from ._fixtures import PROJECT_KEY, default_accounts, default_projects
from ._server import JiraEmulator


def make_emulator(**kwargs):
    """JiraEmulator with the standard fixture accounts (unless `accounts` is given); not started."""
    mode = kwargs.get("mode", "cloud")
    defaults = None
    if "accounts" not in kwargs:
        defaults = default_accounts(mode)
        kwargs["accounts"] = defaults
    kwargs.setdefault("projects", default_projects())
    emu = JiraEmulator(**kwargs)
    emu.project_key = PROJECT_KEY
    emu.service_account = emu.admin_account = None
    emu.service_token = emu.admin_token = emu.service_scoped_token = emu.service_pat = None
    if defaults:
        service, admin = defaults
        emu.service_account, emu.admin_account = service, admin
        emu.service_token, emu.admin_token = service.tokens[0], admin.tokens[0]
        emu.service_scoped_token = service.scoped_tokens[0] if service.scoped_tokens else None
        emu.service_pat = service.pats[0] if service.pats else None
        # The login the client must send: email on Cloud, login name on DC (docs/jira-behaviour.md §2).
        emu.service_username = service.email if mode == "cloud" else service.name
        emu.admin_username = admin.email if mode == "cloud" else admin.name
    return emu


@pytest.fixture
def jira_emulator_factory():
    started = []

    def factory(**kwargs):
        emu = make_emulator(**kwargs).start()
        started.append(emu)
        return emu

    yield factory
    for emu in started:
        emu.stop()


@pytest.fixture
def jira_emulator(jira_emulator_factory):
    return jira_emulator_factory(mode="cloud")


@pytest.fixture
def jira_emulator_dc(jira_emulator_factory):
    return jira_emulator_factory(mode="datacenter")


@pytest.fixture
def jira_emulator_tls(jira_emulator_factory):
    return jira_emulator_factory(mode="cloud", tls=True)
