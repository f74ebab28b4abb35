"""Unit tests of the client's pure logic: URL rules, retry policy (fake clock), classification
of answers (fake session: HTTP is mocked here only), and secret masking."""

import email.utils
import io

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from ansible_collections.integrations.jira.plugins.module_utils import _jira_client as jc


# --- URL rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize('given, expected', [
    ('https://acme.atlassian.net', 'https://acme.atlassian.net'),
    ('https://acme.atlassian.net/', 'https://acme.atlassian.net'),
    ('https://ACME.Atlassian.NET//', 'https://acme.atlassian.net'),
    ('https://jira.example.com//jira', None),  # empty path segment
    ('HTTPS://Jira.Example.com/jira/', 'https://jira.example.com/jira'),
    ('https://jira.example.com:443', 'https://jira.example.com'),
    ('https://jira.example.com:8443/jira', 'https://jira.example.com:8443/jira'),
    ('https://[::1]:8443', 'https://[::1]:8443'),
    ('https://xn--80ak6aa92e.com', 'https://xn--80ak6aa92e.com'),
])
def test_normalize_url_accepts_roots_and_context_paths(given, expected):
    if expected is None:
        with pytest.raises(jc.JiraError) as e:
            jc.normalize_url(given)
        assert e.value.failure_reason == 'invalid_url'
    else:
        assert jc.normalize_url(given) == expected


@pytest.mark.parametrize('given, hint', [
    ('', 'empty'),
    ('https://user:tok@acme.atlassian.net', 'user name or password'),
    ('https://acme.atlassian.net/rest/api/2', 'root URL'),
    ('https://jira.example.com/jira/rest/api/latest/myself', 'root URL'),
    ('https://api.atlassian.com/ex/jira/abc', 'root URL'),
    ('https://acme.atlassian.net/?a=b', 'query'),
    ('https://acme.atlassian.net/#frag', 'query'),
    ('https://acme.atlassian.net/jira', 'context path'),
    (' https://acme.atlassian.net', 'whitespace'),
    ('https://acme.atlassian.net\n', 'whitespace'),
    ('https://acme.atl\x00assian.net', 'control'),
    ('ftp://acme.atlassian.net', 'https://'),
    ('javascript:alert(1)', 'https://'),
    ('file:///etc/passwd', 'https://'),
    ('acme.atlassian.net', 'https://'),
    ('https://аcme.atlassian.net', 'ASCII'),  # Cyrillic a
    ('https://acme.atlassian.net:99999', 'port'),
    ('https://acme.atlassian.net:0', 'port'),
    ('https://-bad-.example.com', 'host name'),
    ('https://jira.example.com/a/../b', "'..'"),
    ('https://', 'host'),
])
def test_normalize_url_refuses_with_a_hint(given, hint):
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url(given)
    assert e.value.failure_reason == 'invalid_url'
    assert e.value.msg.startswith('Option url ')
    assert hint.lower() in e.value.msg.lower()


def test_error_messages_never_repeat_userinfo():
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url('https://svc:SECRET-TOKEN-123@acme.atlassian.net')
    assert 'SECRET-TOKEN-123' not in e.value.msg


def test_http_needs_the_explicit_opt_in():
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url('http://jira.example.com')
    assert e.value.failure_reason == 'insecure_url' and 'allow_insecure_http' in e.value.msg
    assert jc.normalize_url('http://jira.example.com:8080/', allow_insecure_http=True) == 'http://jira.example.com:8080'


def test_option_name_is_carried_into_the_message():
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url('https://x?y', option='api_gateway_url')
    assert e.value.msg.startswith('Option api_gateway_url ')


@pytest.mark.parametrize('host, cloud', [
    ('acme.atlassian.net', True), ('ACME.jira.com', True), ('api.atlassian.com', True),
    ('atlassian.net.evil.example', False), ('jira.example.com', False), ('127.0.0.1', False),
])
def test_cloud_host_detection(host, cloud):
    assert jc.is_cloud_host(host) is cloud


# --- fingerprints and secrets -------------------------------------------------------------------

def test_token_fingerprint_is_stable_short_and_hides_the_token():
    fp = jc.token_fingerprint('ATATT3xFfGF0-example')
    assert fp == jc.token_fingerprint('ATATT3xFfGF0-example')
    assert fp.startswith('pbkdf2-sha256:') and len(fp) == len('pbkdf2-sha256:') + 16
    assert fp != jc.token_fingerprint('ATATT3xFfGF0-examplf')
    assert 'ATATT' not in fp
    assert jc.token_fingerprint(None) is None


def test_secret_values_cover_basic_auth_and_url_encoding():
    values = jc.secret_values('svc@example.com', 'to/k+en=')
    assert 'to/k+en=' in values
    assert 'to%2Fk%2Ben%3D' in values
    assert jc.basic_auth_value('svc@example.com', 'to/k+en=') in values


def test_mask_secrets_replaces_longest_first():
    text = 'abc abcdef'
    assert jc.mask_secrets(text, {'abc', 'abcdef'}) == '<redacted> <redacted>'


# --- Retry-After and the retry policy -------------------------------------------------------------

def test_parse_retry_after_seconds_and_http_date():
    assert jc.parse_retry_after('3') == 3.0
    assert jc.parse_retry_after(' 1.5 ') == 1.5
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert jc.parse_retry_after(date, now=lambda: now) == pytest.approx(30, abs=1)
    assert jc.parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=lambda: now) == 0.0
    assert jc.parse_retry_after('soon') is None
    assert jc.parse_retry_after(None) is None


def test_backoff_doubles_with_jitter_and_is_capped():
    low = jc.RetryPolicy(retries=10, max_retry_wait=1000, rand=lambda: 0.0)
    high = jc.RetryPolicy(retries=10, max_retry_wait=1000, rand=lambda: 1.0)
    assert [low.delay(i) for i in range(3)] == [0.25, 0.5, 1.0]
    assert [high.delay(i) for i in range(3)] == [0.5, 1.0, 2.0]
    assert high.delay(20) == jc.BACKOFF_MAX_SECONDS


def test_policy_stops_at_retries_and_at_the_wait_budget():
    policy = jc.RetryPolicy(retries=2, max_retry_wait=5, rand=lambda: 1.0)
    assert policy.next_wait(0, 0.0) == 0.5
    assert policy.next_wait(2, 0.0) is None                 # retries used up
    assert policy.next_wait(0, 0.0, retry_after=6) is None  # Jira asks for more than the budget
    assert policy.next_wait(1, 4.5, retry_after=1) is None  # would pass the budget
    assert policy.next_wait(1, 3.0, retry_after=2) == 2.0


# --- the client with a fake session --------------------------------------------------------------

class FakeRaw:
    def __init__(self, body):
        self._io = io.BytesIO(body)

    def read1(self, n):
        return self._io.read(min(n, 7))  # small reads, as a slow network would give


class FakeResponse:
    def __init__(self, status, body=b'', headers=None):
        self.status_code = status
        self.headers = CaseInsensitiveDict(headers or {})
        if isinstance(body, str):
            body = body.encode('utf-8')
        self.raw = FakeRaw(body)

    def close(self):
        pass


class FakeSession:
    """Answers from a script; each item a FakeResponse or an exception to raise."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append(dict(method=method, url=url, **kwargs))
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


USER = '{"accountId": "5b10a2844c20165700ede21g", "displayName": "Bot", "active": true, "emailAddress": null}'
JSON = {'Content-Type': 'application/json;charset=UTF-8'}
HTML = {'Content-Type': 'text/html;charset=UTF-8'}


def client(session, clock=None, **kw):
    clock = clock or FakeClock()
    args = dict(url='https://acme.atlassian.net/', username='bot@example.com', api_token='tok-SECRET-1',
                session=session, sleep=clock.sleep, clock=clock, rand=lambda: 1.0)
    args.update(kw)
    return jc.JiraClient(**args)


def test_myself_success_sends_preemptive_basic_auth_to_api_v3():
    session = FakeSession(FakeResponse(200, USER, JSON))
    c = client(session)
    me = c.myself()
    assert me['accountId'] == '5b10a2844c20165700ede21g'
    call = session.calls[0]
    assert call['url'] == 'https://acme.atlassian.net/rest/api/3/myself'
    assert call['headers']['Authorization'] == 'Basic ' + jc.basic_auth_value('bot@example.com', 'tok-SECRET-1')
    assert call['allow_redirects'] is False and call['data'] is None  # never a body on GET
    assert c.deployment == 'cloud'


def test_missing_email_is_not_a_failure():
    c = client(FakeSession(FakeResponse(200, USER, JSON)))
    assert c.myself()['emailAddress'] is None


@pytest.mark.parametrize('response, reason', [
    (FakeResponse(401, 'Client must be authenticated to access this resource.', {}), 'invalid_credentials'),
    (FakeResponse(403, '<html>denied</html>',
                  dict(HTML, **{'X-Authentication-Denied-Reason': 'CAPTCHA_CHALLENGE; login-url=https://j/login.jsp',
                                'X-Seraph-LoginReason': 'AUTHENTICATION_DENIED'})), 'captcha_required'),
    (FakeResponse(403, 'XSRF check failed', {}), 'forbidden'),
    (FakeResponse(404, '{"message":"HTTP 404 Not Found"}', JSON), 'not_jira'),
    (FakeResponse(200, '{"self": "x"}', dict(JSON, **{'X-Seraph-LoginReason': 'AUTHENTICATED_FAILED'})), 'anonymous_response'),
    (FakeResponse(200, '', JSON), 'anonymous_response'),
    (FakeResponse(200, '<!DOCTYPE html><form><input type="password"></form>', HTML), 'anonymous_response'),
    (FakeResponse(200, '<!DOCTYPE html><h1>Welcome to our intranet</h1>', HTML), 'not_jira'),
    (FakeResponse(200, '{"accountId": "x", ', JSON), 'not_jira'),
    (FakeResponse(200, '[1, 2]', JSON), 'not_jira'),
    (FakeResponse(200, '{"hello": "world"}', JSON), 'not_jira'),
    (FakeResponse(200, '{"accountId": "a", "active": false}', JSON), 'account_inactive'),
    (FakeResponse(302, '', {'Location': 'https://acme.atlassian.net/login.jsp?os_destination=x'}), 'anonymous_response'),
    (FakeResponse(301, '', {'Location': 'https://other.example.com/'}), 'not_jira'),
    (FakeResponse(500, '{"errorMessages": ["boom"]}', JSON), 'server_error'),
    (FakeResponse(418, '', {}), 'not_jira'),
])
def test_each_answer_maps_to_one_failure_reason(response, reason):
    session = FakeSession(response)
    with pytest.raises(jc.JiraError) as e:
        client(session, retries=0).myself()
    assert e.value.failure_reason == reason
    assert 'tok-SECRET-1' not in e.value.msg
    assert len(session.calls) == 1


def test_oversized_answer_is_not_read_whole():
    body = b'{"x": "' + b'a' * (jc.MAX_BODY_BYTES + 10) + b'"}'
    with pytest.raises(jc.JiraError) as e:
        client(FakeSession(FakeResponse(200, body, JSON))).myself()
    assert e.value.failure_reason == 'not_jira' and 'larger than' in e.value.msg


def test_deadline_stops_a_dripping_answer():
    clock = FakeClock()

    class Drip(FakeRaw):
        def read1(self, n):
            clock.now += 0.5  # each byte takes half a second
            return self._io.read(1)

    resp = FakeResponse(200, USER, JSON)
    resp.raw = Drip(USER.encode())
    with pytest.raises(jc.JiraError) as e:
        client(FakeSession(resp), clock=clock, timeout=2).myself()
    assert e.value.failure_reason == 'timeout'


def test_401_is_never_retried():
    session = FakeSession(FakeResponse(401, '', {}), FakeResponse(200, USER, JSON))
    with pytest.raises(jc.JiraError):
        client(session, retries=5).myself()
    assert len(session.calls) == 1


def test_429_with_retry_after_then_success():
    clock = FakeClock()
    session = FakeSession(FakeResponse(429, '', {'Retry-After': '1'}), FakeResponse(200, USER, JSON))
    c = client(session, clock=clock, retries=3)
    assert c.myself()['accountId']
    assert clock.slept == [1.0] and len(session.calls) == 2


def test_429_without_retry_after_backs_off_exponentially_then_gives_up():
    clock = FakeClock()
    session = FakeSession(*[FakeResponse(429, '', {}) for dummy in range(4)])
    with pytest.raises(jc.JiraError) as e:
        client(session, clock=clock, retries=3, max_retry_wait=60).myself()
    assert e.value.failure_reason == 'rate_limited'
    assert clock.slept == [0.5, 1.0, 2.0] and len(session.calls) == 4


def test_total_wait_is_capped_by_max_retry_wait():
    clock = FakeClock()
    session = FakeSession(*[FakeResponse(503, '', {'Retry-After': '4'}) for dummy in range(5)])
    with pytest.raises(jc.JiraError) as e:
        client(session, clock=clock, retries=10, max_retry_wait=10).myself()
    assert e.value.failure_reason == 'server_error'
    assert sum(clock.slept) <= 10 and clock.slept == [4.0, 4.0]


def test_500_is_not_retried_but_502_503_504_are():
    for status, calls in ((500, 1), (502, 2), (503, 2), (504, 2)):
        session = FakeSession(FakeResponse(status, '', {}), FakeResponse(status, '', {}))
        with pytest.raises(jc.JiraError):
            client(session, retries=1).myself()
        assert len(session.calls) == calls, status


def test_connection_errors_are_retried_and_classified():
    clock = FakeClock()
    err = requests.exceptions.ConnectionError('Max retries exceeded ([Errno 111] Connection refused)')
    session = FakeSession(err, err, err)
    with pytest.raises(jc.JiraError) as e:
        client(session, clock=clock, retries=2).myself()
    assert e.value.failure_reason == 'connection_error' and 'connection refused' in e.value.msg.lower()
    assert len(session.calls) == 3


@pytest.mark.parametrize('exc, reason', [
    (requests.exceptions.SSLError('certificate verify failed: self-signed certificate'), 'tls_error'),
    (requests.exceptions.ReadTimeout('Read timed out. (read timeout=10)'), 'timeout'),
    (requests.exceptions.ConnectTimeout('timed out'), 'timeout'),
])
def test_transport_failures_are_not_retried(exc, reason):
    session = FakeSession(exc, FakeResponse(200, USER, JSON))
    with pytest.raises(jc.JiraError) as e:
        client(session, retries=3).myself()
    assert e.value.failure_reason == reason and len(session.calls) == 1


def test_exception_text_is_masked():
    err = requests.exceptions.ConnectionError('weird proxy said tok-SECRET-1 and ' + jc.basic_auth_value('bot@example.com', 'tok-SECRET-1'))
    with pytest.raises(jc.JiraError) as e:
        client(FakeSession(err), retries=0).myself()
    assert 'tok-SECRET-1' not in e.value.msg
    assert jc.basic_auth_value('bot@example.com', 'tok-SECRET-1') not in e.value.msg


def test_auto_deployment_uses_anonymous_serverinfo_for_unknown_hosts():
    session = FakeSession(FakeResponse(200, '{"deploymentType": "Server", "version": "9.12.4", "baseUrl": "x"}', JSON),
                          FakeResponse(200, '{"name": "svc", "key": "JIRAUSER1", "active": true}', JSON))
    c = client(session, url='https://jira.example.com/jira', username='svc')
    assert c.myself()['name'] == 'svc'
    assert c.deployment == 'datacenter' and c.api_url == 'https://jira.example.com/jira/rest/api/2'
    assert 'Authorization' not in session.calls[0]['headers']
    assert session.calls[0]['url'] == 'https://jira.example.com/jira/rest/api/2/serverInfo'


def test_known_deployment_needs_no_serverinfo():
    session = FakeSession(FakeResponse(200, '{"name": "svc", "active": true}', JSON))
    c = client(session, url='https://jira.example.com', username='svc', deployment='datacenter')
    c.myself()
    assert len(session.calls) == 1


def test_scoped_token_resolves_cloud_id_and_uses_the_gateway():
    session = FakeSession(FakeResponse(200, '{"cloudId": "35273b54-3f06-40d2-880f-dd28cf8daafa"}', JSON),
                          FakeResponse(200, USER, JSON))
    c = client(session, scoped_token=True)
    c.myself()
    assert session.calls[0]['url'] == 'https://acme.atlassian.net/_edge/tenant_info'
    assert 'Authorization' not in session.calls[0]['headers']
    assert session.calls[1]['url'] == 'https://api.atlassian.com/ex/jira/35273b54-3f06-40d2-880f-dd28cf8daafa/rest/api/3/myself'


def test_bearer_on_cloud_is_refused_without_a_request():
    session = FakeSession()
    with pytest.raises(jc.JiraError) as e:
        client(session, auth_type='bearer').myself()
    assert e.value.failure_reason == 'invalid_credentials' and 'basic' in e.value.msg
    assert session.calls == []


def test_data_center_permissions_take_no_permissions_parameter():
    session = FakeSession(FakeResponse(200, '{"permissions": {"BROWSE_PROJECTS": {"havePermission": true}, "X": {}}}', JSON))
    c = client(session, url='https://jira.example.com', username='svc', deployment='datacenter')
    assert c.my_permissions('OPS', ['BROWSE_PROJECTS', 'CREATE_ISSUES']) == {'BROWSE_PROJECTS': True, 'CREATE_ISSUES': False}
    assert session.calls[0]['params'] == {'projectKey': 'OPS'}


def test_cloud_permissions_pass_the_required_parameter_and_map_404():
    session = FakeSession(FakeResponse(404, '{"errorMessages": ["No project could be found with key \'NOPE\'."]}', JSON))
    c = client(session)
    with pytest.raises(jc.JiraError) as e:
        c.my_permissions('NOPE', ['BROWSE_PROJECTS'])
    assert e.value.failure_reason == 'project_not_found'
    assert session.calls[0]['params'] == {'projectKey': 'NOPE', 'permissions': 'BROWSE_PROJECTS'}


def test_unknown_failure_reason_is_a_programming_error():
    with pytest.raises(ValueError):
        raise jc.JiraError('bogus', 'x')


class BrokenRaw(FakeRaw):
    def __init__(self, exc):
        super().__init__(b'{"accountId": ')
        self.exc = exc
        self.reads = 0

    def read1(self, n):
        self.reads += 1
        if self.reads > 1:
            raise self.exc
        return self._io.read(n)


def test_stall_in_the_middle_of_the_answer_is_a_timeout():
    import urllib3
    resp = FakeResponse(200, '', JSON)
    resp.raw = BrokenRaw(urllib3.exceptions.ReadTimeoutError(None, '/myself', 'Read timed out.'))
    with pytest.raises(jc.JiraError) as e:
        client(FakeSession(resp, FakeResponse(200, USER, JSON)), retries=2).myself()
    assert e.value.failure_reason == 'timeout'


def test_break_in_the_middle_of_the_answer_is_retried_as_a_connection_error():
    import urllib3
    broken = FakeResponse(200, '', JSON)
    broken.raw = BrokenRaw(urllib3.exceptions.ProtocolError('Connection broken: IncompleteRead'))
    session = FakeSession(broken, FakeResponse(200, USER, JSON))
    assert client(session, retries=1).myself()['accountId']
    assert len(session.calls) == 2


@pytest.mark.parametrize('username, token, auth_type, hint', [
    ('bot@example.com', '', 'basic', 'empty'),
    ('bot@example.com', None, 'basic', 'empty'),
    ('bot@example.com', ' tok-9f2Q', 'basic', 'whitespace'),
    ('bot@example.com', 'tok\n', 'basic', 'whitespace'),
    ('bot@example.com', 'to\x00k', 'basic', 'control'),
    ('bot@example.com', 't' * 8193, 'basic', 'longer'),
    ('', 'tok', 'basic', 'username'),
    ('bot@exa\nmple.com', 'tok', 'basic', 'username'),
    ('a:b', 'tok', 'basic', '":"'),
    ('u' * 256, 'tok', 'basic', 'longer'),
])
def test_check_credentials_refuses_slips_before_any_request(username, token, auth_type, hint):
    with pytest.raises(jc.JiraError) as e:
        jc.check_credentials(username, token, auth_type)
    assert e.value.failure_reason == 'invalid_credentials'
    assert hint.lower() in e.value.msg.lower()
    if token:
        assert token not in e.value.msg


def test_check_credentials_accepts_bearer_without_username():
    jc.check_credentials(None, 'NjE-pat-token', 'bearer')
    jc.check_credentials('svc@example.com', 'ATATT3x-token=', 'basic')


# --- masking, exactly: every writer's spelling, every slice position ---------------------------
# Each token makes one writer's spelling differ from all others at its ends, so a spelling that
# lost or gained a character would leave a character of it (or eat a quote) in the output.

SPELLING_TOKENS = [
    'é' * 6 + 'ATATT3xFfGF0-non-ascii-middle' + 'é' * 6,
    '\\"$`' + 'ATATT3xFfGF0-escapes-middle' + '`$"\\',
    '\'"' + 'ATATT3xFfGF0-quotes-middle' + '"\'',
    '\n\t' + 'ATATT3xFfGF0-controls-middle' + '\t\n',
    '\u2028' + 'ATATT3xFfGF0-separator-middle' + '\u2028',
    # JSON without ensure_ascii is the only spelling with a raw é or DEL next to \" and \n;
    # YAML the only one with \x7f next to \".
    'é\x7f\n"' + 'ATATT3xFfGF0-mixed-middle' + '"\n\x7fé',
]


def quoted_spellings(token):
    """The token as each writer puts it in a file or message, with its delimiters."""
    from ansible_collections.integrations.jira.plugins.module_utils._config_formats import _yaml_quote, env_quote
    import json
    return [json.dumps(token), json.dumps(token, ensure_ascii=False), _yaml_quote(token), env_quote(token),
            repr(token), "'%s'" % token.replace("'", "''")]


@pytest.mark.parametrize('token', SPELLING_TOKENS)
def test_every_quoted_spelling_is_masked_whole_and_its_quotes_stay(token):
    secrets = jc.secret_values('bot@example.com', token)
    for spelled in quoted_spellings(token):
        text = 'api_token: %s # end' % spelled
        assert jc.mask_secrets(text, secrets) == 'api_token: %s%s%s # end' % (spelled[0], jc.REDACTED, spelled[-1])


@pytest.mark.parametrize('token', SPELLING_TOKENS)
def test_url_encodings_are_masked_whole(token):
    from urllib.parse import quote, quote_plus
    secrets = jc.secret_values('bot@example.com', token)
    for spelled in (token, quote(token, safe=''), quote(token), quote_plus(token, safe='')):
        assert jc.mask_secrets('?t=%s&x' % spelled, secrets) == '?t=%s&x' % jc.REDACTED


LONG_TOKEN = 'ATATT3xFfGF0' + 'abcdefghijklmnopqrstuvwxyz0123456789'


@pytest.mark.parametrize('offset', range(9))
@pytest.mark.parametrize('piece', ['head', 'middle', 'tail'])
def test_any_sixteen_character_slice_is_masked_at_any_position(piece, offset):
    n = jc.SLICE_LENGTH
    part = {'head': LONG_TOKEN[:n], 'middle': LONG_TOKEN[10:10 + n], 'tail': LONG_TOKEN[-n:]}[piece]
    for text_after in ('', ' and more text after it'):
        text = '#' * offset + part + text_after
        assert jc.mask_secrets(text, {LONG_TOKEN}) == '#' * offset + jc.REDACTED + text_after
        assert jc.mask_secrets(text.upper(), {LONG_TOKEN}) == ('#' * offset + jc.REDACTED + text_after).upper()[:offset] + \
            jc.REDACTED + text_after.upper()


def test_a_fifteen_character_piece_is_not_a_leak_and_stays():
    text = 'x' + LONG_TOKEN[:jc.SLICE_LENGTH - 1] + 'y'
    assert jc.mask_secrets(text, {LONG_TOKEN}) == text


def test_overlapping_occurrences_are_all_masked():
    assert jc.mask_secrets('aaa', {'aa'}) == jc.REDACTED
    assert jc.mask_secrets('xaaaay', {'aaa'}) == 'x' + jc.REDACTED + 'y'


def test_adjacent_secrets_become_one_mask():
    assert jc.mask_secrets('abcd', {'ab', 'cd'}) == jc.REDACTED


def test_a_span_inside_an_earlier_one_does_not_shorten_it():
    # 'de' lies inside 'cdefg'; a separate span before them must not change how far 'cdefg' reaches.
    assert jc.mask_secrets('ab-x-cdefg-y', {'ab', 'cdefg', 'de'}) == '%s-x-%s-y' % (jc.REDACTED, jc.REDACTED)


def test_upper_cased_echo_is_masked_even_beside_characters_whose_lower_case_is_longer():
    # 'İ'.lower() is two characters, so the text is folded character by character.
    assert jc.mask_secrets('İ ' + LONG_TOKEN.upper(), {LONG_TOKEN}) == 'İ ' + jc.REDACTED
    # Final sigma: the whole text is lower-cased in context, as the secret is.
    assert jc.mask_secrets('ΑΣ', {'ας'}) == jc.REDACTED


def test_mask_then_cut_masks_first_and_cuts_to_the_limit():
    text = 'x' * 10 + LONG_TOKEN + 'y' * 300
    cut = jc.mask_then_cut(text, {LONG_TOKEN}, 200)
    assert cut == ('x' * 10 + jc.REDACTED + 'y' * 300)[:200]
    tail = jc.mask_then_cut(text, {LONG_TOKEN}, 50, keep='tail')
    assert tail == 'y' * 50
    assert jc.mask_then_cut('short', {LONG_TOKEN}, 5) == 'short'


def test_transport_exception_text_is_cut_to_two_hundred_characters():
    assert jc._short_exc(Exception('z' * 500)) == 'z' * 200
    reason = 'self-signed certificate in certificate chain ' + 'w' * 300
    msg = jc._short_exc(Exception('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: %s (_ssl.c:1000)' % reason))
    assert msg == ('certificate verify failed: ' + reason)[:200]


# --- classification at the edges of each status range ------------------------------------------

def failure(response, **kw):
    with pytest.raises(jc.JiraError) as e:
        client(FakeSession(response), retries=0, **kw).myself()
    return e.value


def test_every_3xx_is_a_redirect_and_400_is_not():
    login = {'Location': 'https://acme.atlassian.net/login.jsp'}
    for status in (300, 399):
        assert failure(FakeResponse(status, '', login)).failure_reason == 'anonymous_response'
        e = failure(FakeResponse(status, '', {'Location': 'https://other.example.com/'}))
        assert e.failure_reason == 'not_jira' and 'redirected' in e.msg
    e = failure(FakeResponse(400, '', {'Location': 'https://acme.atlassian.net/login.jsp'}))
    assert e.failure_reason == 'not_jira' and 'redirected' not in e.msg and 'HTTP 400' in e.msg


def test_404_says_there_is_no_rest_api_and_405_is_unexpected():
    assert 'no REST API' in failure(FakeResponse(404, '', {})).msg
    e = failure(FakeResponse(405, '', {}))
    assert e.failure_reason == 'not_jira' and 'no REST API' not in e.msg and 'Unexpected HTTP 405' in e.msg


def test_check_json_accepts_only_2xx():
    def answer(status, **headers):
        return jc.JiraResponse(status, CaseInsensitiveDict(dict(JSON, **headers)), b'{"a": 1}', 'https://acme.atlassian.net/x')
    c = client(FakeSession())
    assert c.check_json(answer(299), 'GET /x') == {'a': 1}
    with pytest.raises(jc.JiraError) as e:
        c.check_json(answer(300, Location='https://other.example.com/'), 'GET /x')
    assert e.value.failure_reason == 'not_jira' and 'redirected' in e.value.msg


def test_json_nesting_is_accepted_up_to_the_limit_and_refused_past_it():
    limit = jc.MAX_JSON_DEPTH
    assert jc.JiraResponse(200, JSON, ('[' * limit + ']' * limit).encode(), 'u').json() is not None
    assert jc.JiraResponse(200, JSON, ('[' * (limit + 1) + ']' * (limit + 1)).encode(), 'u').json() is None
    nested = '{"a": ' * (limit - 1) + '[1]' + '}' * (limit - 1)
    assert jc.JiraResponse(200, JSON, nested.encode(), 'u').json() is not None
    assert jc.JiraResponse(200, JSON, ('{"a": ' * limit + '[1]' + '}' * limit).encode(), 'u').json() is None


def test_html_is_sniffed_in_the_first_512_bytes_only():
    inside = b' ' * (512 - len(b'<html')) + b'<html><body>x</body></html>'
    beyond = b' ' * (513 - len(b'<html')) + b'<html><body>x</body></html>'
    assert jc.JiraResponse(200, {}, inside, 'u').looks_like_html()
    assert not jc.JiraResponse(200, {}, beyond, 'u').looks_like_html()


def test_a_login_page_is_recognised_by_words_in_its_first_4096_bytes():
    page = b'<!DOCTYPE html><p>' + b'x' * (4096 - len(b'<!DOCTYPE html><p>') - len(b'log in')) + b'log in</p>'
    assert failure(FakeResponse(200, page, HTML)).failure_reason == 'anonymous_response'
    late = b'<!DOCTYPE html><p>' + b'x' * (4097 - len(b'<!DOCTYPE html><p>') - len(b'log in')) + b'log in</p>'
    assert failure(FakeResponse(200, late, HTML)).failure_reason == 'not_jira'


def test_adjacent_secrets_are_one_mask_and_a_text_of_exactly_the_limit_is_kept_whole():
    assert jc.mask_then_cut('abcd', {'ab', 'cd'}, 100) == jc.REDACTED
    assert jc.mask_then_cut('x' * 20, (), 20) == 'x' * 20


@pytest.mark.parametrize('status', [199, 299])
def test_a_status_outside_the_expected_set_is_unexpected_not_a_redirect(status):
    c = client(FakeSession(FakeResponse(status, '{"a": 1}', JSON)), deployment='cloud')
    with pytest.raises(jc.JiraError) as e:
        c.request('POST', '/group', ok=(200,))
    assert e.value.failure_reason == 'not_jira' and 'Unexpected HTTP %d from POST /group.' % status in e.value.msg
    answer = jc.JiraResponse(status, CaseInsensitiveDict(JSON), b'{"a": 1}', 'https://acme.atlassian.net/x')
    if status == 199:
        with pytest.raises(jc.JiraError):
            c.check_json(answer, 'GET /x')


def test_499_is_not_a_server_error():
    e = failure(FakeResponse(499, '', {}))
    assert e.failure_reason == 'not_jira' and 'Unexpected HTTP 499' in e.msg


def test_jira_says_appears_exactly_when_jira_gave_messages():
    e = failure(FakeResponse(403, '{"errorMessages": ["You lack BROWSE"]}', JSON))
    assert e.failure_reason == 'forbidden' and 'Jira says: You lack BROWSE' in e.msg
    assert 'Jira says' not in failure(FakeResponse(403, '', {})).msg


def test_data_center_401_suggests_a_personal_access_token_only_for_basic_auth():
    basic = failure(FakeResponse(401, '', {}), url='https://jira.example.com', deployment='datacenter')
    assert 'personal access token' in basic.msg
    bearer = failure(FakeResponse(401, '', {}), url='https://jira.example.com', deployment='datacenter', auth_type='bearer')
    assert bearer.failure_reason == 'invalid_credentials' and 'personal access token' not in bearer.msg


def test_rate_limit_reason_is_named_only_when_jira_gave_one():
    def exhausted(headers):
        session = FakeSession(*[FakeResponse(429, '', dict(headers, **{'Retry-After': '1'})) for dummy in range(2)])
        with pytest.raises(jc.JiraError) as e:
            client(session, retries=1).myself()
        return e.value.msg
    assert '(RateLimit-Reason: %s)' % jc.rate_limit_reason('jira-burst-based') in exhausted({'RateLimit-Reason': 'jira-burst-based'})
    assert 'RateLimit-Reason' not in exhausted({})


def test_redirect_messages_name_the_request_and_the_target_origin():
    login = failure(FakeResponse(302, '', {'Location': 'https://acme.atlassian.net/login.jsp'}))
    assert login.msg.startswith('GET /myself was redirected to a login page')
    away = failure(FakeResponse(301, '', {'Location': 'https://other.example.com/some/path'}))
    assert 'redirected (HTTP 301) to https://other.example.com.' in away.msg
    nowhere = failure(FakeResponse(301, '', {}))
    assert 'redirected (HTTP 301) to another address.' in nowhere.msg


@pytest.mark.parametrize('headers', [{'X-Authentication-Denied-Reason': 'CAPTCHA_CHALLENGE; login-url=https://j/login.jsp'},
                                     {'X-Seraph-LoginReason': 'AUTHENTICATION_DENIED'}])
def test_either_captcha_signal_alone_means_captcha_required(headers):
    assert failure(FakeResponse(403, '', headers)).failure_reason == 'captcha_required'


@pytest.mark.parametrize('response, start', [
    (FakeResponse(200, '', JSON), 'Jira answered GET /myself with an empty body'),
    (FakeResponse(200, '<!DOCTYPE html><form>password</form>', HTML), 'Jira answered GET /myself with a login'),
    (FakeResponse(200, '<!DOCTYPE html><h1>Intranet</h1>', HTML), 'The answer to GET /myself is an HTML page'),
    (FakeResponse(200, '{"hello": "world"}', JSON), 'The answer to GET /myself is not the JSON'),
])
def test_a_2xx_that_is_not_the_account_is_explained_for_the_request(response, start):
    assert failure(response).msg.startswith(start)


def test_an_html_content_type_is_html_whatever_the_body_starts_with():
    assert jc.JiraResponse(200, CaseInsensitiveDict(HTML), b'hello', 'u').looks_like_html()
    assert jc.JiraResponse(200, CaseInsensitiveDict(JSON), b'<!DOCTYPE html>', 'u').looks_like_html()
    assert not jc.JiraResponse(200, CaseInsensitiveDict(JSON), b'{"a": "<html>"}', 'u').looks_like_html()


@pytest.mark.parametrize('text, phrase', [
    ('[SSL: CERTIFICATE_VERIFY_FAILED]', 'certificate verify failed'),
    ('certificate verify failed: unable to get local issuer certificate (_ssl.c:1000)',
     'certificate verify failed: unable to get local issuer certificate'),
    ('[SSL: WRONG_VERSION_NUMBER]', 'TLS handshake failed (the server does not speak TLS on this port)'),
    ('ssl error: wrong version number', 'TLS handshake failed (the server does not speak TLS on this port)'),
])
def test_tls_failures_are_named_by_either_spelling(text, phrase):
    assert jc._short_exc(Exception(text)) == phrase


@pytest.mark.parametrize('cloud_id', ['35273b54\n', '', 'a' * 65, 'x/../y', 12])
def test_a_cloud_id_that_is_not_a_plain_identifier_is_refused_before_any_authenticated_call(cloud_id):
    import json
    session = FakeSession(FakeResponse(200, json.dumps({'cloudId': cloud_id}), JSON), FakeResponse(200, USER, JSON))
    with pytest.raises(jc.JiraError) as e:
        client(session, scoped_token=True).myself()
    assert e.value.failure_reason == 'not_jira' and len(session.calls) == 1


# --- URL rules at their edges ----------------------------------------------------------------------

def test_url_length_limit_is_2048_characters():
    base = 'https://jira.example.com/'
    assert jc.normalize_url(base + 'a' * (2048 - len(base)))
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url(base + 'a' * (2049 - len(base)))
    assert 'longer than 2048' in e.value.msg


@pytest.mark.parametrize('port, kept', [(1, True), (65535, True), (8443, True)])
def test_ports_from_1_to_65535_are_kept(port, kept):
    assert jc.normalize_url('https://jira.example.com:%d' % port) == 'https://jira.example.com:%d' % port


@pytest.mark.parametrize('port', ['0', '65536', '99999'])
def test_ports_outside_1_to_65535_are_refused(port):
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url('https://jira.example.com:%s' % port)
    assert 'invalid port' in e.value.msg


def test_default_ports_are_dropped_per_scheme_only():
    assert jc.normalize_url('http://jira.example.com:80', allow_insecure_http=True) == 'http://jira.example.com'
    assert jc.normalize_url('http://jira.example.com:81', allow_insecure_http=True) == 'http://jira.example.com:81'
    assert jc.normalize_url('http://jira.example.com:79', allow_insecure_http=True) == 'http://jira.example.com:79'
    assert jc.normalize_url('https://jira.example.com:80') == 'https://jira.example.com:80'


@pytest.mark.parametrize('url', ['https://jira.example.com/?', 'https://jira.example.com/#', 'https://jira.example.com/#top',
                                 'https://jira.example.com/?a=1', 'https://jira.example.com/?a=1#top'])
def test_any_query_or_fragment_mark_is_refused(url):
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url(url)
    assert 'query string or fragment' in e.value.msg


def test_url_messages_give_the_example_and_name_the_scheme_problem():
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url('jira.example.com')
    assert 'got no scheme' in e.value.msg and 'for example %s (Data Center' % jc.URL_EXAMPLE in e.value.msg
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url('ftp://jira.example.com')
    assert 'got another scheme' in e.value.msg
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url('https://jira.example.com/rest/api/2')
    assert '(for example %s); the modules' % jc.URL_EXAMPLE in e.value.msg
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url('http://jira.example.com', option='api_gateway_url')
    assert e.value.msg.startswith('Option api_gateway_url uses http://')


@pytest.mark.parametrize('url, origin', [
    ('https://Other.Example.com:8443/x?y', 'https://other.example.com:8443'),
    ('/relative/only', ''), ('https://[::1', ''), ('mailto:', ''),
])
def test_origin_of_a_location_is_its_scheme_and_host_or_nothing(url, origin):
    assert jc._origin(url) == origin


def test_path_of_an_unparsable_location_is_empty():
    assert jc._path('https://[::1') == '' and jc._path('https://x.example.com/a/b') == '/a/b'


# --- rate-limit reset times ----------------------------------------------------------------------

def test_rate_limit_reset_counts_only_a_future_time_and_reads_offsets_and_fractions():
    now = datetime_timestamp = 1_700_000_000.0
    iso = '2023-11-14T22:13:20'  # == now in UTC
    assert jc.parse_rate_limit_reset(iso + 'Z', now=lambda: now) is None
    assert jc.parse_rate_limit_reset(iso + '.5Z', now=lambda: now) == pytest.approx(0.5)
    assert jc.parse_rate_limit_reset('2023-11-14T22:13:19.5Z', now=lambda: now) is None
    assert jc.parse_rate_limit_reset(iso + '.1234567Z', now=lambda: datetime_timestamp) == pytest.approx(0.123456)
    # 22:13:20 UTC is 03:43:20 at +05:30: thirty minutes matter.
    assert jc.parse_rate_limit_reset('2023-11-15T03:43:30+05:30', now=lambda: now) == pytest.approx(10)


# --- documented defaults -------------------------------------------------------------------------

def test_client_defaults_are_the_documented_ones():
    c = jc.JiraClient('https://acme.atlassian.net', 'bot@example.com', 'tok-SECRET-1', session=FakeSession())
    assert (c.timeout, c.policy.retries, c.policy.max_retry_wait) == (10.0, 3, 60.0)
    policy = jc.RetryPolicy()
    assert (policy.retries, policy.max_retry_wait) == (3, 60.0)
    assert (jc.RetryPolicy(retries=-2).retries, jc.RetryPolicy(max_retry_wait=-5).max_retry_wait) == (0, 0.0)
    with pytest.raises(jc.JiraError) as e:
        jc.JiraClient('http://jira.example.com', 'u', 't', session=FakeSession())
    assert e.value.failure_reason == 'insecure_url'


def test_request_count_counts_each_request_sent():
    session = FakeSession(FakeResponse(200, USER, JSON))
    c = client(session)
    assert c.request_count == 0
    c.myself()
    assert c.request_count == len(session.calls) == 1


# --- what Ansible is told to scrub --------------------------------------------------------------

class ModuleWithNoLog:
    def __init__(self):
        self.no_log_values = set()


def test_register_secrets_hands_ansible_every_form_and_its_case_variants():
    module = ModuleWithNoLog()
    jc.register_secrets(module, 'bot@example.com', 'Tok-SECRET-1')
    expected = jc.secret_values('bot@example.com', 'Tok-SECRET-1')
    assert expected <= module.no_log_values
    assert jc.basic_auth_value('bot@example.com', 'Tok-SECRET-1') in module.no_log_values
    for value in expected:
        assert value.upper() in module.no_log_values and value.lower() in module.no_log_values


def test_case_variants_start_at_the_minimum_token_length():
    at_minimum = 'Ab' + 'c' * (jc.MIN_TOKEN_LENGTH - 2)
    module = ModuleWithNoLog()
    jc.register_secrets(module, None, at_minimum)
    assert at_minimum.upper() in module.no_log_values
    shorter = at_minimum[:-1]
    module = ModuleWithNoLog()
    jc.register_secrets(module, None, shorter)
    assert shorter in module.no_log_values and shorter.upper() not in module.no_log_values


@pytest.mark.parametrize('token', [None, '', 12345678, 'tok-\udcff-not-text'])
def test_register_secrets_ignores_what_is_not_a_token(token):
    module = ModuleWithNoLog()
    jc.register_secrets(module, 'bot@example.com', token)
    assert module.no_log_values == set()


def test_a_username_that_is_not_text_is_left_out_of_the_scrub_list():
    module = ModuleWithNoLog()
    jc.register_secrets(module, 'bot-\udcff', 'Tok-SECRET-1')
    alone = jc.secret_values(None, 'Tok-SECRET-1')
    assert module.no_log_values == alone | set(v.upper() for v in alone) | set(v.lower() for v in alone)


# --- server text and headers --------------------------------------------------------------------

def test_error_messages_read_both_error_lists_and_message_only_as_a_fallback():
    def messages(body):
        import json
        return jc.JiraResponse(400, CaseInsensitiveDict(JSON), json.dumps(body).encode(), 'u').error_messages()
    assert messages({'errors': {'name': 'is taken', 'email': 'bad'}}) == ['email: bad', 'name: is taken']
    assert messages({'errorMessages': ['one'], 'message': 'ignored'}) == ['one']
    assert messages({'message': 'only this'}) == ['only this']


def test_bearer_header_carries_the_token_alone():
    session = FakeSession(FakeResponse(200, '{"name": "svc", "key": "svc"}', JSON))
    client(session, url='https://jira.example.com', deployment='datacenter', auth_type='bearer', username=None,
           api_token='NjE-pat-token-1').myself()
    assert session.calls[0]['headers']['Authorization'] == 'Bearer NjE-pat-token-1'


def test_inactive_account_message_names_the_account():
    e = failure(FakeResponse(200, '{"accountId": "a-1", "displayName": "Build Bot", "active": false}', JSON))
    assert e.failure_reason == 'account_inactive' and e.msg.startswith('The Jira account Build Bot is deactivated.')
    e = failure(FakeResponse(200, '{"accountId": "a-1", "displayName": "", "active": false}', JSON))
    assert e.msg.startswith('The Jira account a-1 is deactivated.')


def test_decoded_body_may_reach_the_bound_but_not_pass_it():
    import gzip
    body = b'x' * 1000
    assert jc._BodyDecoder('gzip', 1000).feed(gzip.compress(body)) == body
    assert jc._BodyDecoder('identity', 1000).feed(body) == body
    with pytest.raises(ValueError):
        jc._BodyDecoder('gzip', 999).feed(gzip.compress(body))
    with pytest.raises(ValueError):
        jc._BodyDecoder('identity', 999).feed(body)


# --- deployment detection and request details ----------------------------------------------------

@pytest.mark.parametrize('status', [401, 403])
def test_serverinfo_closed_to_anonymous_means_data_center(status):
    session = FakeSession(FakeResponse(status, '', {}), FakeResponse(200, '{"name": "svc", "key": "svc"}', JSON))
    c = client(session, url='https://jira.example.com', username='svc')
    c.myself()
    assert c.deployment == 'datacenter'


@pytest.mark.parametrize('status', [400, 402, 404])
def test_other_serverinfo_refusals_are_not_jira(status):
    e = failure(FakeResponse(status, '', {}), url='https://jira.example.com', username='svc')
    assert e.failure_reason == 'not_jira'


@pytest.mark.parametrize('body, deployment', [('{"baseUrl": "https://jira.example.com"}', 'datacenter'),
                                              ('{"deploymentType": "Cloud"}', 'cloud')])
def test_serverinfo_with_either_known_field_is_jira(body, deployment):
    session = FakeSession(FakeResponse(200, body, JSON), FakeResponse(200, '{"accountId": "a", "name": "svc"}', JSON))
    c = client(session, url='https://jira.example.com', username='svc')
    c.myself()
    assert c.deployment == deployment


def test_myself_sends_expand_only_when_asked():
    session = FakeSession(FakeResponse(200, USER, JSON), FakeResponse(200, USER, JSON))
    c = client(session)
    c.myself()
    c.myself(expand=('groups', 'applicationRoles'))
    assert session.calls[0]['params'] is None
    assert session.calls[1]['params'] == {'expand': 'groups,applicationRoles'}


def test_only_a_429_without_retry_after_waits_for_the_rate_limit_reset_time():
    import datetime
    import time
    # X-RateLimit-Reset is read against the real clock: 30 s from now.
    soon = datetime.datetime.fromtimestamp(time.time() + 30, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')

    def slept(first):
        clock = FakeClock()
        client(FakeSession(first, FakeResponse(200, USER, JSON)), clock=clock, retries=1, max_retry_wait=60).myself()
        return clock.slept
    assert slept(FakeResponse(429, '', {'X-RateLimit-Reset': soon})) == [pytest.approx(30, abs=3)]
    assert slept(FakeResponse(429, '', {'Retry-After': '2', 'X-RateLimit-Reset': soon})) == [2.0]
    assert slept(FakeResponse(503, '', {'X-RateLimit-Reset': soon})) == [0.5]
