"""The Jira admin modules run through real ansible-playbook against the emulator, in
Cloud and Data Center mode: set up from nothing, re-run unchanged, check mode, diff, removal,
non-admin credentials, and the admin token never in any output."""

import pytest

from jira_emulator import Account

from _admin_helpers import by_task, failing, find, run_tasks, state_snapshot, task, user_login, writes

MODES = ['cloud', 'datacenter']
GROUP = 'svc-integration-users'


@pytest.fixture(params=MODES)
def emu(request, jira_emulator_factory):
    return jira_emulator_factory(mode=request.param)


def test_group_create_rerun_check_mode_and_delete(tmp_path, emu):
    emu.add_group('Existing-Group')
    r = run_tasks(tmp_path, emu, [
        dict(task('check create', 'jira_group', name=GROUP), check_mode=True),
        task('create', 'jira_group', name=GROUP),
        task('create again', 'jira_group', name=GROUP),
        failing('other case of an existing group', 'jira_group', name='existing-group')
        if emu.mode == 'cloud' else task('other case of an existing group', 'jira_group', name='existing-group'),
        dict(task('check delete', 'jira_group', name=GROUP, state='absent'), check_mode=True),
        task('delete', 'jira_group', name=GROUP, state='absent'),
        task('delete again', 'jira_group', name=GROUP, state='absent'),
    ])
    res = by_task(r)
    assert r.recap()['localhost']['failed'] == 0, r
    assert res['check create']['changed'] is True
    assert res['check create']['diff'] == {'before': {'name': GROUP, 'state': 'absent'},
                                           'after': {'name': GROUP, 'state': 'present'}}
    # The real create still had work to do: check mode created nothing.
    assert res['create']['changed'] is True
    assert res['create']['group']['name'] == GROUP
    assert res['create']['deployment'] == emu.mode
    if emu.mode == 'cloud':
        assert len(res['create']['group']['group_id']) == 36  # a UUID
    assert res['create again']['changed'] is False
    other = res['other case of an existing group']
    if emu.mode == 'cloud':
        # Cloud looks groups up by exact name; Jira's duplicate-name error comes through with a hint.
        assert other['failed'] is True and 'A group with that name already exists.' in other['msg']
        assert 'exact name' in other['msg']
    else:
        assert other['changed'] is False and other['group']['name'] == 'Existing-Group'
    assert res['check delete']['changed'] is True
    assert res['delete']['changed'] is True and res['delete']['group'] is None
    assert res['delete again']['changed'] is False
    assert GROUP not in emu.groups
    posts = 2 if emu.mode == 'cloud' else 1
    assert writes(emu) == [('POST', '/rest/api/%s/group' % api(emu))] * posts + [
        ('DELETE', '/rest/api/%s/group' % api(emu))]


def api(emu):
    return '3' if emu.mode == 'cloud' else '2'


def test_user_and_membership_lifecycle(tmp_path, emu):
    emu.add_group(GROUP)
    new = 'svc-int@example.com' if emu.mode == 'cloud' else 'svc-int'
    admin = user_login(emu, emu.admin_account)
    user_args = dict(name='svc-int', email='svc-int@example.com', display_name='Integration',
                     user_password='Initial-Pw-1', products=['jira-software'])
    r = run_tasks(tmp_path, emu, [
        task('create user', 'jira_user', **user_args),
        task('create user again', 'jira_user', **user_args),
        task('add user', 'jira_group_membership', group=GROUP, users=[new]),
        task('add user again', 'jira_group_membership', group=GROUP, users=[new]),
        task('add admin too', 'jira_group_membership', group=GROUP, users=[new, admin]),
        dict(task('check exclusive', 'jira_group_membership', group=GROUP, users=[new], exclusive=True), check_mode=True),
        task('exclusive', 'jira_group_membership', group=GROUP, users=[new], exclusive=True),
        task('remove user', 'jira_group_membership', group=GROUP, users=[new], state='absent'),
        task('remove user again', 'jira_group_membership', group=GROUP, users=[new], state='absent'),
        failing('unknown user', 'jira_group_membership', group=GROUP, users=['nobody@example.com' if emu.mode == 'cloud' else 'nobody']),
        failing('missing group', 'jira_group_membership', group='no-such-group', users=[new]),
        task('delete user', 'jira_user', name='svc-int', email='svc-int@example.com', state='absent'),
        task('delete user again', 'jira_user', name='svc-int', email='svc-int@example.com', state='absent'),
    ])
    res = by_task(r)
    created = res['create user']
    assert created['changed'] is True, r
    if emu.mode == 'cloud':
        assert created['account_id'] and created['user']['email_address'] == 'svc-int@example.com'
    else:
        assert created['name'] == 'svc-int' and created['user']['display_name'] == 'Integration'
    assert res['create user again']['changed'] is False
    assert res['create user again']['user']['account_id'] == created['user']['account_id']

    ident = created['account_id'] if emu.mode == 'cloud' else 'svc-int'
    assert res['add user']['changed'] is True and res['add user']['added'] == [ident]
    assert res['add user']['diff']['before']['members'] == []
    assert res['add user again']['changed'] is False
    assert res['add admin too']['changed'] is True and len(res['add admin too']['members']) == 2
    assert res['check exclusive']['changed'] is True and res['check exclusive']['members'] == [ident]
    assert res['exclusive']['changed'] is True and len(res['exclusive']['removed']) == 1
    assert res['exclusive']['members'] == [ident]
    assert res['remove user']['changed'] is True and res['remove user']['members'] == []
    assert res['remove user again']['changed'] is False

    unknown = res['unknown user']
    assert unknown['failed'] is True and 'was not found' in unknown['msg']
    assert res['missing group']['failure_reason'] == 'missing_group'
    assert 'jira_group' in res['missing group']['msg']

    assert res['delete user']['changed'] is True
    if emu.mode == 'cloud':
        # Cloud's DELETE /user removes the user from Jira only; the module says so plainly.
        assert 'Atlassian account itself remains' in res['delete user']['msg']
        assert 'admin.atlassian.com' in res['delete user']['msg']
    assert res['delete user again']['changed'] is False
    assert find(emu, 'svc-int@example.com') is None
    assert r.recap()['localhost']['failed'] == 0 and r.recap()['localhost']['ignored'] == 2


def test_application_role(tmp_path, emu):
    emu.add_group(GROUP)
    member = Account(email='member@example.com', name='member', tokens=[], groups=[GROUP], application_roles=[])
    emu.add_account(member)
    member_login = user_login(emu, member)
    tasks = [
        task('report', 'jira_application_role', key='jira-software'),
        failing('unknown key', 'jira_application_role', key='jira-nothing'),
        failing('member lacks the role', 'jira_application_role', key='jira-software', user=member_login),
        task('service user holds it', 'jira_application_role', key='jira-software',
             user=user_login(emu, emu.service_account)),
    ]
    if emu.mode == 'datacenter':
        tasks += [
            dict(task('check grant', 'jira_application_role', key='jira-software', groups=[GROUP], user=member_login),
                 check_mode=True),
            task('grant', 'jira_application_role', key='jira-software', groups=[GROUP], user=member_login),
            task('grant again', 'jira_application_role', key='jira-software', groups=[GROUP]),
            task('revoke', 'jira_application_role', key='jira-software', groups=[GROUP], state='absent'),
            task('revoke again', 'jira_application_role', key='jira-software', groups=[GROUP], state='absent'),
        ]
    else:
        tasks.append(failing('grant on cloud', 'jira_application_role', key='jira-software', groups=[GROUP]))
    r = run_tasks(tmp_path, emu, tasks)
    res = by_task(r)
    assert res['report']['changed'] is False, r
    assert res['report']['role']['key'] == 'jira-software'
    assert 'jira-software-users' in res['report']['role']['groups']
    assert res['unknown key']['failure_reason'] == 'missing_application_role'
    assert 'jira-software' in res['unknown key']['msg']  # lists the known roles
    lacks = res['member lacks the role']
    assert lacks['failure_reason'] == 'missing_application_role' and lacks['user_has_role'] is False
    assert res['service user holds it']['user_has_role'] is True
    if emu.mode == 'datacenter':
        assert 'jira_group_membership' in lacks['msg']
        assert res['check grant']['changed'] is True and res['check grant']['user_has_role'] is True
        assert res['grant']['changed'] is True and res['grant']['added'] == [GROUP]
        assert res['grant']['user_has_role'] is True
        assert res['grant']['diff']['before']['groups'] != res['grant']['diff']['after']['groups']
        assert res['grant again']['changed'] is False
        assert res['revoke']['changed'] is True and res['revoke']['removed'] == [GROUP]
        assert res['revoke again']['changed'] is False
        assert GROUP not in emu.application_roles['jira-software']['groups']
        assert writes(emu) == [('PUT', '/rest/api/2/applicationrole/jira-software')] * 2
    else:
        assert 'admin.atlassian.com' in lacks['msg']
        cloud = res['grant on cloud']
        assert cloud['failure_reason'] == 'missing_application_role'
        assert 'admin.atlassian.com' in cloud['msg'] and GROUP in cloud['msg']
        assert writes(emu) == []


def test_project_role(tmp_path, emu):
    emu.add_group(GROUP)
    r = run_tasks(tmp_path, emu, [
        dict(task('check add', 'jira_project_role', projects=['OPS'], role='developers', groups=[GROUP]), check_mode=True),
        task('add', 'jira_project_role', projects=['OPS'], role='developers', groups=[GROUP]),
        task('add again', 'jira_project_role', projects=['OPS'], role='Developers', groups=[GROUP]),
        failing('unknown project', 'jira_project_role', projects=['NOPE'], role='Developers', groups=[GROUP]),
        failing('unknown role', 'jira_project_role', projects=['OPS'], role='Wizards', groups=[GROUP]),
        failing('unknown group', 'jira_project_role', projects=['OPS'], role='Developers', groups=['no-such-group']),
        task('remove', 'jira_project_role', projects=['OPS'], role='Developers', groups=[GROUP], state='absent'),
        task('remove again', 'jira_project_role', projects=['OPS'], role='Developers', groups=[GROUP], state='absent'),
    ])
    res = by_task(r)
    assert res['check add']['changed'] is True, r
    assert res['add']['changed'] is True
    assert res['add']['projects']['OPS']['groups'] == [GROUP]
    assert res['add']['projects']['OPS']['role'] == 'Developers'
    assert res['add']['diff']['before']['OPS']['groups'] == []
    assert res['add again']['changed'] is False
    assert res['unknown project']['failure_reason'] == 'project_not_found'
    assert 'Developers' in res['unknown role']['msg'] and 'Wizards' in res['unknown role']['msg']
    assert res['unknown group']['failure_reason'] == 'missing_group'
    assert res['remove']['changed'] is True and res['remove']['projects']['OPS']['groups'] == []
    assert res['remove again']['changed'] is False
    assert all(GROUP not in role['groups'] for role in emu.project_roles['OPS'].values())


def test_non_admin_credentials_fail_forbidden_and_change_nothing(tmp_path, emu):
    before = state_snapshot(emu)
    login = 'x-new@example.com' if emu.mode == 'cloud' else 'x-new'
    r = run_tasks(tmp_path, emu, [
        failing('group', 'jira_group', name=GROUP),
        failing('user', 'jira_user', name='x-new', email='x-new@example.com', user_password='Pw-123456'),
        failing('membership', 'jira_group_membership', group='jira-software-users', users=[login]),
        failing('application role', 'jira_application_role', key='jira-software'),
    ], admin=False, verbosity=3)
    res = by_task(r)
    for name in ('group', 'user', 'membership', 'application role'):
        assert res[name]['failed'] is True, (name, r)
        assert res[name]['failure_reason'] == 'forbidden', (name, res[name])
        assert 'HTTP 403' in res[name]['msg'] and 'administrator' in res[name]['msg'], res[name]['msg']
    assert state_snapshot(emu) == before


def test_check_mode_run_changes_nothing(tmp_path, emu):
    emu.add_group(GROUP)
    before = state_snapshot(emu)
    login = 'svc-int@example.com' if emu.mode == 'cloud' else 'svc-int'
    r = run_tasks(tmp_path, emu, [
        task('group', 'jira_group', name='another-group'),
        task('user', 'jira_user', name='svc-int', email='svc-int@example.com', user_password='Pw-123456'),
        task('membership', 'jira_group_membership', group=GROUP, users=[user_login(emu, emu.service_account)]),
        task('project role', 'jira_project_role', projects=['OPS'], role='Users', groups=[GROUP]),
        task('remove admin from its group', 'jira_group_membership', group='jira-administrators',
             users=[user_login(emu, emu.admin_account)], state='absent'),
    ] + ([task('application role', 'jira_application_role', key='jira-core', groups=[GROUP])]
         if emu.mode == 'datacenter' else []), check=True)
    assert r.rc == 0, r
    res = by_task(r)
    assert all(res[name]['changed'] for name in res), res
    assert res['user']['msg'] == 'User %s would be created.' % login
    assert state_snapshot(emu) == before
    assert writes(emu) == []
