"""Unit tests of the client's handling of hostile or wrong CONTENT: masking (mask first, then cut;
any letter case; every spelling the config writer produces; any 16-character slice), JSON that
nests absurdly deep, credentials that cannot be sent, URL authorities with junk, the Seraph
header on a 2xx with a complete user, and the order of the 401 hints. HTTP is a fake session
here (pure logic); the same cases run against real servers in tests/reliability/test_hostile_content.py."""

import base64
import io
import json

import pytest
from requests.structures import CaseInsensitiveDict

from ansible_collections.integrations.jira.plugins.module_utils import _config_formats as cf
from ansible_collections.integrations.jira.plugins.module_utils import _jira_client as jc

USER = 'svc@example.com'
TOKEN = 'ATATT3xFfGF0q$"\\`Zk9dLm2pQr7sTu8vWx'
B64 = jc.basic_auth_value(USER, TOKEN)
SECRETS = jc.secret_values(USER, TOKEN)
JSON_CT = {'Content-Type': 'application/json'}


class FakeRaw:
    def __init__(self, body):
        self._io = io.BytesIO(body)

    def read1(self, n):
        return self._io.read(n)


class FakeResponse:
    def __init__(self, status, body=b'', headers=None):
        self.status_code = status
        self.headers = CaseInsensitiveDict(headers or {})
        self.raw = FakeRaw(body.encode('utf-8') if isinstance(body, str) else body)

    def close(self):
        pass


class FakeSession:
    def __init__(self, *script):
        self.script = list(script)
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append(dict(method=method, url=url, **kwargs))
        return self.script.pop(0)


def client(session, **kw):
    args = dict(url='https://acme.atlassian.net', username=USER, api_token=TOKEN, session=session,
                sleep=lambda s: None, retries=0)
    args.update(kw)
    return jc.JiraClient(**args)


def leaks(text, token=TOKEN, b64=B64):
    """Whether ``text`` shows 10 or more consecutive characters of the token or of base64(user:token),
    in any case (stricter than the masking promise of 16, so a near miss shows)."""
    low = text.lower()
    for secret in (token, b64):
        s = secret.lower()
        if any(s[i:i + 10] in low for i in range(len(s) - 9)):
            return True
    return False


# --- masking ------------------------------------------------------------------------------------

def test_error_message_is_masked_before_it_is_cut():
    # The header is quoted after 247 characters: cutting at 300 first left 53 characters of base64.
    message = 'x' * 247 + 'Authorization: Basic ' + B64
    resp = jc.JiraResponse(400, CaseInsensitiveDict(JSON_CT), json.dumps({'errorMessages': [message]}).encode(), 'u')
    resp.secrets = SECRETS
    (shown,) = resp.error_messages()
    assert len(shown) <= jc.MAX_SERVER_MESSAGE
    assert not leaks(shown)


def test_status_error_masks_echoed_header_before_cutting():
    body = json.dumps({'errorMessages': ['y' * 250 + B64]})
    with pytest.raises(jc.JiraError) as e:
        client(FakeSession(FakeResponse(403, body, JSON_CT))).myself()
    assert e.value.failure_reason == 'forbidden'
    assert not leaks(e.value.msg)


@pytest.mark.parametrize('form', [
    TOKEN.upper(), TOKEN.lower(), B64.upper(), B64.lower(),
    cf._yaml_quote(TOKEN)[1:-1], cf.env_quote(TOKEN)[1:-1],
    json.dumps(TOKEN)[1:-1], json.dumps(TOKEN, ensure_ascii=False)[1:-1],
    cf.dump_json({'t': TOKEN}), cf.dump_yaml({'t': TOKEN}), cf.env_line('T', TOKEN),
    TOKEN[3:19], B64[20:36].lower(),
])
def test_every_spelling_case_and_slice_is_masked(form):
    assert not leaks(jc.mask_secrets('before %s after' % form, SECRETS))


def test_mask_then_cut_keeps_the_requested_end():
    text = 'head ' + TOKEN + ' ' + 'z' * 50
    assert jc.mask_then_cut(text, SECRETS, 20) == 'head <redacted> ' + 'z' * 4
    assert jc.mask_then_cut(text, SECRETS, 10, keep='tail') == 'z' * 10
    cut = jc.mask_then_cut('q' * 10 + TOKEN, SECRETS, 30)
    assert not leaks(cut, token=TOKEN[:20])


def test_masking_a_megabyte_is_fast_enough_for_command_output():
    import time
    text = ('harmless output line %d\n' * 40000) % tuple(range(40000)) + TOKEN
    start = time.monotonic()
    masked = jc.mask_secrets(text, SECRETS)
    assert time.monotonic() - start < 3
    assert TOKEN not in masked and masked.endswith(jc.REDACTED)


def test_mask_data_covers_keys_and_nested_values():
    data = {'account': {'display_name': TOKEN.upper()}, TOKEN: [B64.lower()]}
    assert not leaks(json.dumps(jc.mask_data(data, SECRETS)))


# --- hostile JSON -------------------------------------------------------------------------------

@pytest.mark.parametrize('body', ['[' * 100000 + ']' * 100000, '{"a":' * 5000 + '1' + '}' * 5000,
                                  '[' * (jc.MAX_JSON_DEPTH + 1) + ']' * (jc.MAX_JSON_DEPTH + 1)])
def test_deeply_nested_json_is_not_jira_not_a_crash(body):
    with pytest.raises(jc.JiraError) as e:
        client(FakeSession(FakeResponse(200, body, JSON_CT))).myself()
    assert e.value.failure_reason == 'not_jira'


def test_error_collection_of_the_wrong_types_is_ignored_not_a_crash():
    resp = jc.JiraResponse(400, CaseInsensitiveDict(JSON_CT), b'{"errorMessages": 5, "errors": ["x"]}', 'u')
    assert resp.error_messages() == []
    resp = jc.JiraResponse(400, CaseInsensitiveDict(JSON_CT), b'{"errorMessages": [{"a": 1}, "ok"]}', 'u')
    assert resp.error_messages() == ['ok']


def test_permissions_of_the_wrong_shape_are_not_jira():
    body = json.dumps({'permissions': {'BROWSE_PROJECTS': ['yes']}})
    c = client(FakeSession(FakeResponse(200, body, JSON_CT)), deployment='cloud')
    with pytest.raises(jc.JiraError) as e:
        c.my_permissions('OPS', ['BROWSE_PROJECTS'])
    assert e.value.failure_reason == 'not_jira'


# --- Seraph on a 2xx ------------------------------------------------------------------------------

@pytest.mark.parametrize('reason', ['AUTHENTICATED_FAILED', 'authenticated_failed', 'AUTHENTICATION_DENIED'])
def test_complete_user_with_seraph_failure_is_anonymous(reason):
    user = {'accountId': '5b10a2844c20165700ede21g', 'displayName': 'Bot', 'active': True,
            'emailAddress': USER, 'accountType': 'atlassian'}
    headers = dict(JSON_CT, **{'X-Seraph-LoginReason': reason})
    with pytest.raises(jc.JiraError) as e:
        client(FakeSession(FakeResponse(200, json.dumps(user), headers))).myself()
    assert e.value.failure_reason == 'anonymous_response'


def test_seraph_header_text_is_not_repeated():
    headers = dict(JSON_CT, **{'X-Seraph-LoginReason': 'AUTHENTICATED_FAILED ' + TOKEN.lower()})
    with pytest.raises(jc.JiraError) as e:
        client(FakeSession(FakeResponse(200, '{"self": "x"}', headers))).myself()
    assert e.value.failure_reason == 'anonymous_response'
    assert not leaks(e.value.msg)


def test_lower_cased_host_in_location_is_masked():
    token = 'ATATT3xlocationZk9dLm2pQr7sTu8vWx'
    with pytest.raises(jc.JiraError) as e:
        client(FakeSession(FakeResponse(302, '', {'Location': 'https://%s.example.invalid/' % token})),
               api_token=token).myself()
    assert e.value.failure_reason == 'not_jira'
    assert token.lower() not in e.value.msg.lower()


# --- credentials and URL pre-checks --------------------------------------------------------------

@pytest.mark.parametrize('username, token, auth_type, url, option', [
    (USER, 'ATATT3x\u2028second-half', 'basic', None, 'api_token'),
    (USER, 'ATATT3x\x85second-half', 'basic', None, 'api_token'),
    (USER, 'ATATT3x\x00second-half', 'bearer', None, 'api_token'),
    ('svc\x00@example.com', TOKEN, 'bearer', None, 'username'),
    ('svc\r@example.com', TOKEN, 'basic', None, 'username'),
    (USER, TOKEN, 'basic', 'https://jira.example.com\x00', 'url'),
    (USER, 'NjE\u20acpat-token-value', 'bearer', None, 'api_token'),
    (USER, 'abc', 'basic', None, 'api_token'),
    (USER, 'x' * (jc.MIN_TOKEN_LENGTH - 1), 'bearer', None, 'api_token'),
    (USER, 'ATATT3x\udcffbytes', 'basic', None, 'api_token'),
])
def test_check_credentials_names_the_option(username, token, auth_type, url, option):
    with pytest.raises(jc.JiraError) as e:
        jc.check_credentials(username, token, auth_type, url=url)
    assert e.value.msg.startswith('Option %s ' % option)
    assert e.value.failure_reason == ('invalid_url' if option == 'url' else 'invalid_credentials')


def test_minimum_token_length_is_accepted():
    jc.check_credentials(USER, 'x' * jc.MIN_TOKEN_LENGTH, 'basic')
    jc.check_credentials(None, 'NjE\xe9' + 'p' * 8, 'bearer')  # latin-1 can be sent


def test_unsendable_bearer_token_sends_nothing():
    session = FakeSession()
    with pytest.raises(jc.JiraError) as e:
        jc.check_credentials(None, 'NjE\u4e2dpat-token-value', 'bearer')
        client(session, auth_type='bearer', username=None, api_token='NjE\u4e2dpat-token-value').myself()
    assert e.value.failure_reason == 'invalid_credentials' and session.calls == []


@pytest.mark.parametrize('url, hint', [
    ('https://[::1]x', 'junk after the host'),
    ('https://[::1]:8443x', 'port'),
    ('https://[::1]:', 'empty port'),
    ('https://jira.example.com:', 'empty port'),
    ('https://jira.example.com:+443', 'port'),
    ('https://jira.example.com:44 3', 'whitespace'),
    ('https://[::1%25eth0]', 'IPv6'),
    ('https://[zz::1]', 'IPv6|not a valid URL'),  # newer Pythons' urlsplit refuses it already
    ('https://%6aira.example.com', 'percent-encoded'),
    ('https://jira.example.com\\@evil.example', 'user name|backslash'),
    ('https://jira.example.com\\evil', 'backslash'),
    ('https://jira.example.com:8443:1', 'junk after the host'),
    ('https://[::1]]', 'junk after the host'),
])
def test_url_authority_junk_is_refused(url, hint):
    with pytest.raises(jc.JiraError) as e:
        jc.normalize_url(url)
    assert e.value.failure_reason == 'invalid_url' and e.value.msg.startswith('Option url ')
    assert any(h.lower() in e.value.msg.lower() for h in hint.split('|'))


def test_bracketed_ipv6_is_normalised():
    assert jc.normalize_url('https://[0:0::1]:8443/jira/') == 'https://[::1]:8443/jira'
    assert jc.normalize_url('https://[::1]:443') == 'https://[::1]'


# --- 401 hints by relevance ---------------------------------------------------------------------

def _hints(**kw):
    with pytest.raises(jc.JiraError) as e:
        client(FakeSession(FakeResponse(401, '', {})), deployment='cloud', **kw).myself()
    assert e.value.failure_reason == 'invalid_credentials'
    return e.value.msg.split('; ', 1)[1]


def test_email_username_does_not_lead_with_scoped_tokens():
    hints = _hints()
    assert hints.startswith('tokens expire') and hints.rstrip('.').endswith('scoped_token=true')


def test_service_account_leads_with_scoped_tokens():
    assert _hints(username='bot-1a2b@serviceaccount.atlassian.com').startswith('a scoped API token')


def test_username_without_at_sign_comes_first():
    assert _hints(username='svc-ansible').startswith('on Jira Cloud the username is the account\'s email')


def test_basic_auth_value_round_trip_is_what_is_masked():
    assert base64.b64decode(B64).decode('utf-8') == '%s:%s' % (USER, TOKEN)
    assert B64 in SECRETS
