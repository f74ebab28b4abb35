"""jira_credentials_info through real Ansible against the emulator over real HTTP(S).

One scenario per failure_reason, each asserting the reason, a message that names a fix, the
exact number of requests Jira received, and that no form of the token appears anywhere in the
output at -vvvv.
"""

import socket

import pytest

from support.ansible import assert_no_secret, run_module

MODULE = 'jira_credentials_info'
MYSELF_CLOUD = '/rest/api/3/myself'
MYSELF_DC = '/rest/api/2/myself'


def creds(emu, token=None, **extra):
    args = dict(url=emu.url, username=emu.service_username, api_token=token or emu.service_token,
                allow_insecure_http=True, deployment=emu.mode, retries=1, max_retry_wait=5, timeout=5)
    args.update(extra)
    return args


def run(emu, token=None, verbosity=4, env=None, **extra):
    """Run the module at -vvvv and check the token leaked nowhere."""
    args = creds(emu, token, **extra)
    result = run_module(MODULE, args, verbosity=verbosity, env=env)
    assert_no_secret(result, args['api_token'], args.get('username'))
    return result


def expect_failure(result, reason, fix_words):
    out = result.last()
    assert result.rc != 0, result
    assert out['failed'] is True
    assert out['valid'] is False
    assert out['failure_reason'] == reason, out
    for word in fix_words:
        assert word.lower() in out['msg'].lower(), out['msg']
    return out


# --- success ---------------------------------------------------------------------------------

def test_valid_cloud_credentials_prove_the_account_with_one_request(jira_emulator):
    emu = jira_emulator
    result = run(emu)
    out = result.last()
    assert result.rc == 0, result
    assert out['valid'] is True and out['failure_reason'] is None and out['changed'] is False
    assert out['deployment'] == 'cloud'
    assert out['api_url'] == emu.url + '/rest/api/3'
    assert out['account']['account_id'] == emu.service_account.account_id
    assert out['account']['email_address'] == emu.service_account.email
    assert out['token_fingerprint'].startswith('pbkdf2-sha256:') and len(out['token_fingerprint']) == 14 + 16
    assert emu.total_requests() == 1 and emu.count(MYSELF_CLOUD) == 1
    # Pre-emptive basic auth on the very first request (no challenge round trip).
    assert emu.requests[0]['headers'].get('Authorization', '').startswith('Basic ')


def test_auto_deployment_asks_serverinfo_anonymously_once(jira_emulator_dc):
    emu = jira_emulator_dc
    result = run(emu, deployment='auto')
    out = result.last()
    assert result.rc == 0, result
    assert out['deployment'] == 'datacenter' and out['api_url'] == emu.url + '/rest/api/2'
    assert out['account']['name'] == emu.service_account.name
    assert out['server']['deployment_type'] in ('Server', 'DataCenter')
    assert emu.counts() == {'GET /rest/api/2/serverInfo': 1, 'GET /rest/api/2/myself': 1}
    server_info = [r for r in emu.requests if r['path'].endswith('/serverInfo')][0]
    assert 'Authorization' not in server_info['headers']


def test_groups_roles_and_permissions_with_one_request_per_project(jira_emulator):
    emu = jira_emulator
    result = run(emu, required_groups=['ANSIBLE-automation'], required_application_roles=['jira-software'],
                 projects=[emu.project_key], required_permissions=['BROWSE_PROJECTS', 'CREATE_ISSUES'])
    out = result.last()
    assert result.rc == 0, result
    assert 'ansible-automation' in out['groups']
    assert out['application_roles'] == ['jira-software']
    assert out['permissions'] == {emu.project_key: {'BROWSE_PROJECTS': True, 'CREATE_ISSUES': True}}
    assert emu.counts() == {'GET /rest/api/3/myself': 1, 'GET /rest/api/3/mypermissions': 1}
    myself = [r for r in emu.requests if r['path'] == MYSELF_CLOUD][0]
    assert 'expand=groups%2CapplicationRoles' in myself['query'] or 'expand=groups,applicationRoles' in myself['query']


def test_data_center_personal_access_token_as_bearer(jira_emulator_dc):
    emu = jira_emulator_dc
    result = run(emu, token=emu.service_pat, auth_type='bearer', username=None)
    assert result.rc == 0, result
    assert result.last()['account']['name'] == emu.service_account.name
    assert emu.requests[-1]['headers']['Authorization'].startswith('Bearer ')


def test_scoped_token_goes_through_the_gateway(jira_emulator):
    emu = jira_emulator
    result = run(emu, token=emu.service_scoped_token, scoped_token=True, api_gateway_url=emu.gateway_url)
    out = result.last()
    assert result.rc == 0, result
    assert '/ex/jira/' in out['api_url'] and out['api_url'].endswith('/rest/api/3')
    assert emu.count('/_edge/tenant_info') == 1
    assert sum(n for k, n in emu.counts().items() if k.endswith('/myself')) == 1


def test_https_with_the_ca_in_ca_path(jira_emulator_tls):
    emu = jira_emulator_tls
    result = run(emu, ca_path=emu.ca_path, allow_insecure_http=False)
    assert result.rc == 0, result
    assert result.last()['url'].startswith('https://')


def test_connection_options_fall_back_to_the_environment(jira_emulator):
    emu = jira_emulator
    env = {'JIRA_URL': emu.url, 'JIRA_USERNAME': emu.service_username, 'JIRA_API_TOKEN': emu.service_token}
    result = run_module(MODULE, dict(allow_insecure_http=True, deployment='cloud'), verbosity=4, env=env)
    assert_no_secret(result, emu.service_token, emu.service_username)
    assert result.rc == 0, result
    assert result.last()['account']['account_id'] == emu.service_account.account_id


def test_fail_on_invalid_false_reports_instead_of_failing(jira_emulator):
    emu = jira_emulator
    result = run(emu, token='not-the-token-' + emu.service_token[:8], fail_on_invalid=False)
    out = result.last()
    assert result.rc == 0, result
    assert out['valid'] is False and out['failure_reason'] == 'invalid_credentials'
    assert not out.get('failed')


# --- input errors: nothing is sent ------------------------------------------------------------

@pytest.mark.parametrize('url, reason, words', [
    ('https://evil.example@127.0.0.1', 'invalid_url', ['url', 'username']),
    ('https://127.0.0.1/rest/api/2', 'invalid_url', ['url', 'root URL']),
    ('https://127.0.0.1/?x=1', 'invalid_url', ['url', 'query']),
    ('file:///etc/passwd', 'invalid_url', ['url', 'https://']),
    ('http://127.0.0.1:9', 'insecure_url', ['url', 'allow_insecure_http']),
])
def test_bad_urls_are_refused_before_any_request(jira_emulator, url, reason, words):
    emu = jira_emulator
    result = run(emu, url=url, allow_insecure_http=False)
    expect_failure(result, reason, words)
    assert emu.total_requests() == 0


@pytest.mark.parametrize('token, words', [(' {token}', ['api_token', 'whitespace']), ('', ['api_token', 'empty'])])
def test_token_slips_are_refused_before_any_request(jira_emulator, token, words):
    emu = jira_emulator
    args = creds(emu, token='x')
    args['api_token'] = token.format(token=emu.service_token)
    result = run_module(MODULE, args, verbosity=4)
    assert_no_secret(result, emu.service_token, emu.service_username)
    expect_failure(result, 'invalid_credentials', words)
    assert emu.total_requests() == 0


# --- transport failures -----------------------------------------------------------------------

def test_connection_refused(jira_emulator):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    # nothing listens on the port once the socket is closed
    result = run(jira_emulator, url='http://127.0.0.1:%d' % port, retries=0)
    expect_failure(result, 'connection_error', ['connect', 'port'])


def test_timeout_when_jira_answers_too_slowly(jira_emulator):
    emu = jira_emulator
    emu.add_fault(MYSELF_CLOUD, 'slow', delay=4)
    result = run(emu, timeout=1)
    expect_failure(result, 'timeout', ['timeout'])
    assert emu.count(MYSELF_CLOUD) == 1


def test_timeout_when_jira_drips_its_answer(jira_emulator):
    emu = jira_emulator
    emu.add_fault(MYSELF_CLOUD, 'drip', interval=0.2)
    result = run(emu, timeout=1)
    expect_failure(result, 'timeout', ['timeout'])
    assert emu.count(MYSELF_CLOUD) == 1


@pytest.mark.parametrize('cert, use_ca', [('valid', False), ('wrong_host', True), ('expired', True)])
def test_tls_errors(jira_emulator_factory, cert, use_ca):
    emu = jira_emulator_factory(mode='cloud', tls=True, cert=cert)
    extra = dict(ca_path=emu.ca_path) if use_ca else {}
    result = run(emu, allow_insecure_http=False, **extra)
    expect_failure(result, 'tls_error', ['ca_path', 'certificate'])


# --- Jira's answers ---------------------------------------------------------------------------

def test_wrong_token_is_one_request_and_never_retried(jira_emulator):
    emu = jira_emulator
    result = run(emu, token='wrong-' + emu.service_token, retries=3)
    out = expect_failure(result, 'invalid_credentials', ['token', 'scoped_token'])
    assert emu.count(MYSELF_CLOUD) == 1 and emu.total_requests() == 1
    assert out.get('account') is None


def test_data_center_401_hints_at_login_name_and_personal_access_tokens(jira_emulator_dc):
    emu = jira_emulator_dc
    result = run(emu, token='wrong-' + emu.service_token)
    expect_failure(result, 'invalid_credentials', ['login name', 'bearer'])
    assert emu.count(MYSELF_DC) == 1


def test_captcha_lock_is_reported_after_one_request(jira_emulator_factory):
    emu = jira_emulator_factory(mode='datacenter', captcha_after=1)
    first = run(emu, token='wrong-' + emu.service_token)
    expect_failure(first, 'invalid_credentials', ['token'])
    before = emu.count(MYSELF_DC)
    result = run(emu)  # the right token now meets the CAPTCHA lock
    expect_failure(result, 'captcha_required', ['browser', 'captcha'])
    assert emu.count(MYSELF_DC) - before == 1


def test_other_403_is_forbidden(jira_emulator):
    emu = jira_emulator
    emu.add_fault(MYSELF_CLOUD, 'xsrf')
    result = run(emu)
    expect_failure(result, 'forbidden', ['permission'])
    assert emu.count(MYSELF_CLOUD) == 1


def test_inactive_account(jira_emulator):
    emu = jira_emulator
    emu.add_fault(MYSELF_CLOUD, 'inactive_200')
    result = run(emu)
    expect_failure(result, 'account_inactive', ['reactivate'])
    assert emu.count(MYSELF_CLOUD) == 1


@pytest.mark.parametrize('kind', ['anonymous_200', 'html_sso_200', 'redirect_login', 'empty_200'])
def test_2xx_or_redirect_that_is_not_an_authenticated_user(jira_emulator, kind):
    emu = jira_emulator
    emu.add_fault(MYSELF_CLOUD, kind)
    result = run(emu)
    expect_failure(result, 'anonymous_response', ['not'])
    assert emu.count(MYSELF_CLOUD) == 1
    assert emu.count('/login.jsp') == 0  # redirects are never followed with the credentials


@pytest.mark.parametrize('fault', [None, 'malformed_json', 'big_body'])
def test_not_jira(jira_emulator, fault):
    emu = jira_emulator
    url = emu.url
    if fault:
        emu.add_fault(MYSELF_CLOUD, fault, size=50 * 1024 * 1024)
    else:
        url = emu.url + '/wrong-context'  # a 404 at the REST path
    result = run(emu, url=url)
    expect_failure(result, 'not_jira', ['url'])
    assert sum(n for k, n in emu.counts().items() if k.endswith('/myself')) == 1


def test_rate_limited_then_success_honours_retry_after(jira_emulator):
    emu = jira_emulator
    emu.add_fault(MYSELF_CLOUD, 'rate_limit', times=1, retry_after='1')
    result = run(emu, retries=3)
    assert result.rc == 0, result
    assert result.last()['valid'] is True
    assert emu.count(MYSELF_CLOUD) == 2


def test_rate_limited_after_retries(jira_emulator):
    emu = jira_emulator
    emu.add_fault(MYSELF_CLOUD, 'rate_limit', times=None)
    result = run(emu, retries=2, max_retry_wait=10)
    expect_failure(result, 'rate_limited', ['retry', 'max_retry_wait'])
    assert emu.count(MYSELF_CLOUD) == 3


def test_rate_limited_stops_at_once_when_retry_after_exceeds_the_budget(jira_emulator):
    emu = jira_emulator
    emu.add_fault(MYSELF_CLOUD, 'rate_limit', times=None, retry_after='120')
    result = run(emu, retries=3, max_retry_wait=5)
    expect_failure(result, 'rate_limited', ['max_retry_wait'])
    assert emu.count(MYSELF_CLOUD) == 1


@pytest.mark.parametrize('status, expected_requests', [(503, 2), (502, 2), (504, 2), (500, 1)])
def test_server_errors(jira_emulator, status, expected_requests):
    emu = jira_emulator
    emu.add_fault(MYSELF_CLOUD, 'server_error', times=None, status=status)
    result = run(emu, retries=1)
    expect_failure(result, 'server_error', ['retry'])
    assert emu.count(MYSELF_CLOUD) == expected_requests


# --- requirement checks -----------------------------------------------------------------------

def test_account_mismatch(jira_emulator):
    result = run(jira_emulator, expected_account_id='5b10a2844c20165700ede21g')
    expect_failure(result, 'account_mismatch', ["service account's own token"])


def test_missing_group(jira_emulator):
    result = run(jira_emulator, required_groups=['jira-administrators'])
    expect_failure(result, 'missing_group', ['jira-administrators', 'add the account'])


def test_missing_application_role(jira_emulator):
    result = run(jira_emulator, required_application_roles=['jira-servicedesk'])
    expect_failure(result, 'missing_application_role', ['jira-servicedesk', 'product access'])


def test_project_not_found(jira_emulator):
    emu = jira_emulator
    result = run(emu, projects=['NOPE'])
    expect_failure(result, 'project_not_found', ['NOPE', 'project key'])
    assert emu.count('/rest/api/3/mypermissions') == 1


def test_missing_permission(jira_emulator):
    emu = jira_emulator
    result = run(emu, projects=[emu.project_key], required_permissions=['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS'])
    out = expect_failure(result, 'missing_permission', ['ADMINISTER_PROJECTS', 'permission scheme'])
    assert out['permissions'] == {emu.project_key: {'BROWSE_PROJECTS': True, 'ADMINISTER_PROJECTS': False}}


def test_bad_project_key_names_the_option(jira_emulator):
    emu = jira_emulator
    result = run(emu, projects=['ops; DROP'])
    out = result.last()
    assert result.rc != 0 and 'projects' in out['msg']
    assert emu.total_requests() == 0


# --- pytest-ansible: the same module through its localhost fixture ---------------------------

@pytest.mark.pytest_ansible
def test_through_pytest_ansible_localhost_fixture(jira_emulator, localhost):
    emu = jira_emulator
    module = getattr(localhost, 'integrations.jira.jira_credentials_info')
    contacted = module(**creds(emu))
    result = contacted['localhost']
    assert result['valid'] is True, dict(result)
    assert result['account']['account_id'] == emu.service_account.account_id
    assert emu.count(MYSELF_CLOUD) == 1
    assert_no_secret(dict(result), emu.service_token, emu.service_username)


# --- transport failures in plain words ----------------------------------------------------------

def test_unreachable_jira_is_reported_as_could_not_reach_in_clean_words(jira_emulator):
    from support.leakscan import scan_run
    emu = jira_emulator
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    url = 'https://127.0.0.1:%d' % port
    result = run(emu, url=url, retries=0)
    scan_run(result, emu.service_token, emu.service_username)
    out = expect_failure(result, 'connection_error', ['check'])
    assert out['msg'].startswith('Could not reach Jira at %s: connection refused. Check ' % url), out['msg']
    for garble in ('Errno', '(', '[', 'did not accept', 'object at'):
        assert garble not in out['msg'], out['msg']
    assert emu.total_requests() == 0
