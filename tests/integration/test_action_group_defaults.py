"""The README's module_defaults example, for every member of the action group: the connection is
given once for ``group/integrations.jira.jira`` (with validate_certs and timeout on top of the
README's three options), every member runs with it, and the config writer in the same play is not
handed options it does not take."""

import os

import yaml

from support.ansible import assert_no_secret, run_playbook

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GROUP = 'svc-integration-users'

# One harmless call per member (check mode for those that change Jira).
MEMBER_TASKS = {
    'jira_credentials_info': {},
    'jira_group': {'name': GROUP},
    'jira_group_membership': {'group': GROUP, 'users': ['{{ jira_username }}']},
    'jira_user': {'name': 'svc-int', 'email': 'svc-int@example.com', 'display_name': 'Integration'},
    'jira_application_role': {'key': 'jira-software'},
    'jira_project_role': {'projects': ['OPS'], 'role': 'developers', 'groups': [GROUP]},
}


def group_members():
    with open(os.path.join(REPO_ROOT, 'meta', 'runtime.yml')) as f:
        return yaml.safe_load(f)['action_groups']['jira']


def test_module_defaults_for_the_group_reach_every_member(tmp_path, jira_emulator):
    jira_emulator.add_group(GROUP)
    members = group_members()
    assert sorted(members) == sorted(MEMBER_TASKS), 'a new member needs a task here'
    config_path = str(tmp_path / 'integration.yml')
    tasks = [{'name': m, 'integrations.jira.' + m: MEMBER_TASKS[m], 'check_mode': True} for m in members]
    tasks.append({'name': 'config writer in the same play', 'integrations.jira.jira_integration_config': {
        'path': config_path, 'format': 'yaml', 'url': '{{ jira_url }}', 'username': '{{ jira_username }}',
        'api_token': '{{ jira_token }}', 'allow_insecure_http': True}})
    tasks.append({'name': 'config reader in the same play',
                  'integrations.jira.jira_integration_config_info': {'path': config_path, 'format': 'yaml'}})
    play = [{
        'hosts': 'localhost', 'gather_facts': False,
        'module_defaults': {'group/integrations.jira.jira': {
            'url': '{{ jira_url }}', 'username': '{{ jira_username }}', 'api_token': '{{ jira_token }}',
            'validate_certs': True, 'timeout': 10, 'allow_insecure_http': True}},
        'tasks': tasks,
    }]
    playbook = tmp_path / 'play.yml'
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    extra = {'jira_url': jira_emulator.url, 'jira_username': jira_emulator.admin_username,
             'jira_token': jira_emulator.admin_token}
    r = run_playbook(str(playbook), extra_vars=extra, workdir=str(tmp_path / 'run'))
    assert_no_secret(r, extra['jira_token'], extra['jira_username'])
    assert r.rc == 0, r
    results = dict((x['task'], x['result']) for x in r.results)
    assert sorted(results) == sorted(members + ['config writer in the same play', 'config reader in the same play'])
    for name, result in results.items():
        assert not result.get('failed'), (name, result.get('msg'))
    assert results['jira_credentials_info']['valid'] is True
    assert results['config writer in the same play']['changed'] is True
    assert os.stat(config_path).st_mode & 0o777 == 0o600
