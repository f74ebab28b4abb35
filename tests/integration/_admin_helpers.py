"""Helpers for the Jira admin module and jira_setup tests: plays with the connection set once via
module_defaults, credentials passed as extra vars (never on a command line), and emulator state
read-outs. Real runs go through the shared runner in tests/support/ansible.py."""

import os

import yaml

from support.ansible import assert_no_secret, run_playbook

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETUP_PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'jira_setup.yml')

CONNECTION_DEFAULTS = {
    'url': '{{ jira_url }}',
    'username': '{{ jira_username }}',
    'api_token': '{{ jira_token }}',
    'allow_insecure_http': True,
}


def admin_vars(emu, admin=True):
    """Extra vars with the emulator's admin (or, admin=False, the non-admin service) credentials."""
    if admin:
        return {'jira_url': emu.url, 'jira_username': emu.admin_username, 'jira_token': emu.admin_token}
    return {'jira_url': emu.url, 'jira_username': emu.service_username, 'jira_token': emu.service_token}


def write_play(workdir, tasks):
    """A playbook on localhost with the connection options as module_defaults for the action group.
    Each task is a dict; tasks that are expected to fail carry ``ignore_errors: true``."""
    play = [{
        'hosts': 'localhost',
        'gather_facts': False,
        'module_defaults': {'group/integrations.jira.jira': dict(CONNECTION_DEFAULTS)},
        'tasks': tasks,
    }]
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(str(workdir), 'play.yml')
    with open(path, 'w') as f:
        yaml.safe_dump(play, f, sort_keys=False)
    return path


def run_tasks(tmp_path, emu, tasks, admin=True, check=False, diff=True, verbosity=0):
    """Run ``tasks`` against ``emu`` and assert that the credentials used never appear in any output."""
    extra = admin_vars(emu, admin)
    playbook = write_play(str(tmp_path / 'play'), tasks)
    result = run_playbook(playbook, extra_vars=extra, check=check, diff=diff, verbosity=verbosity,
                          workdir=str(tmp_path / 'run'))
    assert_no_secret(result, extra['jira_token'], extra['jira_username'])
    return result


def by_task(result):
    """{task name: module result} for the tasks of a run (last result wins)."""
    return dict((r['task'], r['result']) for r in result.results)


def task(*title_module, **args):
    """task('title', 'jira_group', name=..., ...): module options as keywords (``name`` included)."""
    title, module = title_module
    return {'name': title, 'integrations.jira.' + module: args}


def failing(*title_module, **args):
    t = task(*title_module, **args)
    t['ignore_errors'] = True
    return t


def user_login(emu, account):
    """How the modules name a user: email on Cloud, login name on Data Center."""
    return account.email if emu.mode == 'cloud' else account.name


def state_snapshot(emu):
    """Everything the admin modules can change, for before/after comparisons."""
    with emu.lock:
        return {
            'groups': sorted(emu.groups),
            'accounts': sorted((a.email, a.name, tuple(sorted(a.groups)), a.active) for a in emu.accounts.values()),
            'application_roles': sorted((k, tuple(r['groups']), tuple(r['defaultGroups']))
                                        for k, r in emu.application_roles.items()),
            'project_roles': sorted((p, rid, tuple(r['groups']), tuple(r['users']))
                                    for p, roles in emu.project_roles.items() for rid, r in roles.items()),
        }


def writes(emu):
    """Requests that could have changed something (anything but GET)."""
    with emu.lock:
        return [(r['method'], r['path']) for r in emu.requests if r['method'] not in ('GET', 'HEAD')]


def find(emu, login):
    with emu.lock:
        for account in emu.accounts.values():
            if login.lower() in (account.email.lower(), account.name.lower()):
                return account
    return None
