"""A server that answers with hostile or wrong content gets a failure_reason, never a crash, and
no piece of the token: a complete user with X-Seraph-LoginReason AUTHENTICATED_FAILED, JSON nested
100 000 levels deep, 200s whose JSON has the wrong shape (lists of scalars, another user, a role
address without an id) for the credential check and every admin module, error texts, Seraph headers
and redirect hosts that echo the credentials re-cased or after 247 characters. Credentials that
cannot be right (a bearer token outside Latin-1, a 1-character token, control characters, junk
after an IPv6 host) are refused with the option named before any request. `fail_on_invalid: false`
is honoured for all of them. Every run goes through real Ansible and the leak scan.

The emulator serves the bad answers (its hostile-content fault kinds); the leak scan matches every
spelling of each token, in any letter case, and any 16-character slice of it.
"""

import os

from support.ansible import run_playbook, to_unsafe_yaml
from support.leakscan import exposure_env, new_workdir, scan_run

from jira_emulator import new_secret

MYSELF = '/rest/api/3/myself'


def _play(tasks):
    body = ''.join('    - %s\n' % to_unsafe_yaml(t, ascii_only=True) for t in tasks)
    return '- hosts: all\n  gather_facts: false\n  tasks:\n' + body


def _run(tasks, label):
    workdir = new_workdir(label)
    pb = os.path.join(workdir, 'play.yml')
    with open(pb, 'w', encoding='utf-8') as f:
        f.write(_play(tasks))
    return run_playbook(pb, verbosity=3, diff=True, env=exposure_env(workdir), workdir=workdir)


def _results(result):
    return dict((r['task'], r['result']) for r in result.results)


def _task(title, module, ignore=False, **args):
    t = {'name': title, 'integrations.jira.' + module: args}
    if ignore:
        t['ignore_errors'] = True
    return t


def _crashed(res):
    # A crash is "MODULE FAILURE" with the module's stderr. (With tracebacks displayed, as the
    # exposure environment asks, an ordinary fail_json also carries an "exception" field.)
    return 'module_stderr' in res or 'MODULE FAILURE' in str(res.get('msg')) or 'Module failed' in str(res.get('msg'))


def _no_crash(res):
    assert not _crashed(res), res
    assert res.get('failure_reason'), res


def test_credential_check_on_hostile_answers(jira_emulator, reliability_record):
    emu = jira_emulator
    rec = reliability_record
    rec.scenario = 'jira_credentials_info against hostile /myself answers, fail_on_invalid false and true'
    # URL-safe characters only: the redirect case puts the token into a host name.
    token = new_secret()
    emu.service_account.tokens.append(token)
    user = emu.service_username
    conn = dict(url=emu.url, username=user, api_token=token, allow_insecure_http=True, deployment='cloud',
                retries=0, fail_on_invalid=False)
    cases = [
        ('complete user with AUTHENTICATED_FAILED', 'seraph_failed_200', {}, 'anonymous_response'),
        ('JSON nested 100000 deep', 'deep_json', {}, 'not_jira'),
        ('a list of scalars', 'shape_200', {}, 'not_jira'),
        ('a user whose id is a list', 'shape_200', {'body': {'accountId': ['x'], 'active': True}}, 'not_jira'),
        ('header echoed after 247 characters', 'echo_auth', {'status': 403, 'pad': 247}, 'forbidden'),
        ('token echoed upper-cased in a 500', 'echo_auth', {'status': 500, 'form': 'token', 'case': 'upper'},
         'server_error'),
        ('token echoed in X-Seraph-LoginReason', 'echo_auth', {'where': 'seraph', 'form': 'token', 'case': 'upper'},
         'anonymous_response'),
        ('token as the host of a redirect', 'echo_auth', {'where': 'location', 'form': 'token'}, 'not_jira'),
    ]
    tasks = []
    for name, kind, kw, dummy in cases:
        emu.add_fault(MYSELF, kind, 1, **kw)
        tasks.append(_task(name, 'jira_credentials_info', **conn))
    emu.add_fault(MYSELF, 'deep_json', 1)
    strict_conn = dict(conn)
    strict_conn['fail_on_invalid'] = True
    tasks.append(_task('deep JSON with fail_on_invalid true', 'jira_credentials_info', ignore=True, **strict_conn))
    emu.add_fault(MYSELF, 'shape_200', 1, body={'accountId': 'abc', 'active': True, 'emailAddress': ['x'],
                                                'displayName': {'nested': [1]}, 'timeZone': 5})
    tasks.append(_task('user fields of the wrong types', 'jira_credentials_info', expected_username=user, **conn))
    result = _run(tasks, 'hostile-myself')
    assert result.rc == 0, result
    got = _results(result)
    for name, dummy, dummy2, reason in cases:
        res = got[name]
        _no_crash(res)
        assert res['valid'] is False and res['failure_reason'] == reason, (name, res)
        assert not res.get('failed'), (name, res)
    strict = got['deep JSON with fail_on_invalid true']
    _no_crash(strict)
    assert strict['failed'] and strict['failure_reason'] == 'not_jira'
    odd = got['user fields of the wrong types']
    assert odd['valid'] is True and odd['account']['email_address'] is None and odd['account']['display_name'] is None
    assert emu.count(MYSELF) == len(cases) + 2
    scan_run(result, token, user)
    rec.inputs = len(tasks)
    rec.check('each hostile answer gives its failure_reason with fail_on_invalid false (valid: false, task ok)')
    rec.check('a complete user with X-Seraph-LoginReason AUTHENTICATED_FAILED is anonymous_response')
    rec.check('no piece of the token (cut, re-cased, echoed in a header or a host) in any output')


def test_credentials_that_cannot_be_right_send_nothing(jira_emulator_dc, reliability_record):
    emu = jira_emulator_dc
    rec = reliability_record
    rec.scenario = 'credentials and URLs refused before any request'
    base = dict(url=emu.url, allow_insecure_http=True, retries=0, fail_on_invalid=False)
    good = emu.service_pat
    cases = [
        ('bearer token outside Latin-1', dict(auth_type='bearer', api_token=good + '\u20ac\u4e2d'), 'api_token',
         'invalid_credentials'),
        ('1-character token', dict(username=emu.service_username, api_token='7'), 'api_token', 'invalid_credentials'),
        ('NUL in the token', dict(auth_type='bearer', api_token=good[:10] + '\x00' + good[10:]), 'api_token',
         'invalid_credentials'),
        ('line separator in the token', dict(username=emu.service_username, api_token=good + '\u2028x'),
         'api_token', 'invalid_credentials'),
        ('newline in the username', dict(username='svc\nansible', api_token=good), 'username', 'invalid_credentials'),
        ('junk after an IPv6 host', dict(auth_type='bearer', api_token=good, url='http://[::1]x'), 'url',
         'invalid_url'),
        ('empty port', dict(auth_type='bearer', api_token=good, url=emu.url.rsplit(':', 1)[0] + ':'), 'url',
         'invalid_url'),
    ]
    tasks = [_task(name, 'jira_credentials_info', **dict(base, **args)) for name, args, dummy, dummy2 in cases]
    result = _run(tasks, 'refused-credentials')
    assert result.rc == 0, result
    got = _results(result)
    for name, args, option, reason in cases:
        res = got[name]
        _no_crash(res)
        assert res['valid'] is False and res['failure_reason'] == reason, (name, res)
        assert res['msg'].startswith('Option %s ' % option), (name, res['msg'])
    assert emu.total_requests() == 0
    for name, args, dummy, dummy2 in cases:
        if len(args['api_token']) >= 8:
            scan_run(result, args['api_token'], args.get('username'))
    rec.inputs = len(cases)
    rec.check('each refused with the option named and its failure_reason, zero requests to Jira')


def test_admin_modules_on_wrong_shaped_answers(jira_emulator, reliability_record):
    emu = jira_emulator
    rec = reliability_record
    rec.scenario = 'admin modules against 200s of the wrong shape and error texts echoing the token'
    conn = dict(url=emu.url, username=emu.admin_username, api_token=emu.admin_token, allow_insecure_http=True,
                deployment='cloud', retries=0)
    api = '/rest/api/3'
    cases = [
        ('group lookup answers a list', 'jira_group', dict(name='hostile-a'), ('/group/bulk', 'shape_200', {})),
        ('members are scalars', 'jira_group_membership', dict(group='jira-software-users', users=[emu.service_username]),
         ('/group/member', 'shape_200', {'body': {'values': [1, 2], 'isLast': True}})),
        ('create user answers another user', 'jira_user', dict(email='new-one@example.com'),
         ('/user', 'shape_200', {'status': 201, 'method': 'POST',
                                 'body': {'accountId': 'someone-else', 'emailAddress': 'other@example.com'}})),
        ('create user answers a list', 'jira_user', dict(email='new-two@example.com'),
         ('/user', 'shape_200', {'status': 201, 'method': 'POST'})),
        ('application role answers a list', 'jira_application_role', dict(key='jira-software', groups=[]),
         ('/applicationrole/jira-software', 'shape_200', {})),
        ('project roles without ids', 'jira_project_role',
         dict(projects=[emu.project_key], role='Developers', groups=['jira-software-users']),
         ('/project/%s/role' % emu.project_key, 'shape_200', {'body': {'Developers': 'https://x/role/abc'}})),
        ('create group error echoes the token', 'jira_group', dict(name='hostile-b'),
         ('/group', 'echo_auth', {'method': 'POST', 'form': 'token', 'case': 'upper'})),
    ]
    tasks = []
    for name, module, args, (path, kind, kw) in cases:
        emu.add_fault(api + path, kind, 1, **kw)
        tasks.append(_task(name, module, ignore=True, **dict(conn, **args)))
    result = _run(tasks, 'hostile-admin')
    got = _results(result)
    for name, dummy, dummy2, (path, kind, dummy3) in cases:
        res = got[name]
        assert res.get('failed'), (name, res)
        assert not _crashed(res), (name, res)
        assert res.get('failure_reason') == ('not_jira' if kind == 'shape_200' else None), (name, res)
        assert 'created' not in res.get('msg', '').lower() or 'unknown whether' in res['msg'], (name, res)
    scan_run(result, emu.admin_token, emu.admin_username)
    rec.inputs = len(cases)
    rec.check('each admin module fails with not_jira (no crash, no "created") on a wrong-shaped 200')
    rec.check('an admin error text echoing the token upper-cased shows no piece of it')
