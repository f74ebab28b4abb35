"""Pure transport logic of the Jira client: rate-limit headers and the retry policy, numeric option bounds,
exception phrases, the bounded body decoder, the deadline, and which environment inputs are honoured.
The behaviour over real HTTP is tested in tests/reliability/test_hostile_transport.py."""

import datetime
import gzip
import socket
import threading
import time
import zlib

import pytest
import requests

from ansible_collections.integrations.jira.plugins.module_utils import _jira_client as jc

NOW = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.timezone.utc).timestamp()


def now():
    return NOW


# --- X-RateLimit-Reset, RateLimit-Reason ---------------------------------------------------------------

@pytest.mark.parametrize('value,expected', [
    ('2026-03-01T12:01Z', 60.0),                 # the documented yyyy-MM-ddTHH:mmZ
    ('2026-03-01T12:00:30Z', 30.0),
    ('2026-03-01T12:00:02.500Z', 2.5),
    ('2026-03-01T13:00:10+01:00', 10.0),
    ('2026-03-01T11:00:20-0100', 20.0),                # 12:00:20 UTC
    (' 2026-03-01T12:00:05z ', 5.0),
])
def test_rate_limit_reset_parses_iso_8601(value, expected):
    assert jc.parse_rate_limit_reset(value, now=now) == pytest.approx(expected)


@pytest.mark.parametrize('value', [
    None, '', 'soon', '60', '2026-13-45T99:99Z', '2026-02-30T12:00Z', '2026-03-01T11:59Z',  # past
    '2026-03-01T12:01', 'x' * 10000, '9999-12-31T23:59Z' + 'junk', '2026-03-01T12:01Z\r\nX: y',
    '9999-12-31T23:59-23:59', '0001-01-01T00:00+23:59',                  # offset beyond datetime's range
])
def test_rate_limit_reset_ignores_missing_malformed_and_past(value):
    assert jc.parse_rate_limit_reset(value, now=now) is None


def test_rate_limit_reset_far_future_is_a_number_not_a_crash():
    assert jc.parse_rate_limit_reset('9999-12-31T23:59Z', now=now) > 1e10


@pytest.mark.parametrize('value,words', [
    ('jira-burst-based', ['jira-burst-based', 'burst']),
    ('jira-quota-tenant-based', ['jira-quota-tenant-based', 'quota']),
    ('jira-quota-global-based', ['jira-quota-global-based', 'quota']),
    ('jira-per-issue-on-write', ['jira-per-issue-on-write', 'one issue']),
    ('something-new', ['something-new']),
])
def test_rate_limit_reason_is_named_and_explained(value, words):
    text = jc.rate_limit_reason(value)
    for word in words:
        assert word in text


@pytest.mark.parametrize('value', [None, '', '<script>', 'a b', 'x' * 65, 'jira-burst-based\r\nSet-Cookie: x'])
def test_rate_limit_reason_drops_anything_but_a_plain_token(value):
    assert jc.rate_limit_reason(value) is None


def test_retry_after_is_still_parsed_as_before():
    assert jc.parse_retry_after('7') == 7.0
    assert jc.parse_retry_after('0') == 0.0
    assert jc.parse_retry_after('soon') is None
    assert jc.parse_retry_after('Wed, 21 Oct 9999 07:28:00 GMT') > 0


# --- retry policy ------------------------------------------------------------------------------

def test_retry_after_zero_backs_off_with_jitter_instead_of_firing_at_once():
    low = jc.RetryPolicy(retries=3, max_retry_wait=60, rand=lambda: 0.0)
    high = jc.RetryPolicy(retries=3, max_retry_wait=60, rand=lambda: 1.0)
    for attempt, ceiling in enumerate((0.5, 1.0, 2.0)):
        assert low.next_wait(attempt, 0.0, retry_after=0.0) == ceiling / 2
        assert high.next_wait(attempt, 0.0, retry_after=0.0) == ceiling


def test_reset_is_honoured_only_without_a_positive_retry_after():
    policy = jc.RetryPolicy(retries=3, max_retry_wait=60, rand=lambda: 1.0)
    assert policy.next_wait(0, 0.0, reset_in=12.0) == 12.0
    assert policy.next_wait(0, 0.0, retry_after=3.0, reset_in=12.0) == 3.0
    assert policy.next_wait(0, 0.0, retry_after=0.0, reset_in=12.0) == 12.0
    assert policy.next_wait(0, 0.0, retry_after=None, reset_in=None) == 0.5


def test_a_wait_beyond_the_budget_gives_up_at_once():
    policy = jc.RetryPolicy(retries=3, max_retry_wait=10, rand=lambda: 1.0)
    assert policy.next_wait(0, 0.0, reset_in=600.0) is None
    assert policy.next_wait(0, 0.0, retry_after=float('inf')) is None
    assert policy.next_wait(0, 9.8, retry_after=0.0) is None  # backoff 0.5 would pass 10


def test_backoff_stays_capped_for_any_attempt():
    policy = jc.RetryPolicy(retries=10 ** 6, max_retry_wait=10 ** 9, rand=lambda: 1.0)
    assert policy.backoff(10 ** 6) == jc.BACKOFF_MAX_SECONDS


# --- numeric options ---------------------------------------------------------------------------

@pytest.mark.parametrize('option,value', [
    ('timeout', float('inf')), ('timeout', float('-inf')), ('timeout', float('nan')), ('timeout', 1e308),
    ('timeout', 0), ('timeout', -1), ('timeout', None), ('timeout', 'x'), ('timeout', 3600.5),
    ('max_retry_wait', float('inf')), ('max_retry_wait', float('nan')), ('max_retry_wait', -0.1),
    ('max_retry_wait', 1e308), ('retries', -1), ('retries', 101), ('retries', 10 ** 30),
])
def test_hostile_numbers_are_refused_naming_the_option(option, value):
    problem = jc.numeric_option_problem(option, value)
    assert problem and problem.startswith('Option %s must be' % option), problem


@pytest.mark.parametrize('option,value', [('timeout', 0.001), ('timeout', 10), ('timeout', 3600),
                                          ('max_retry_wait', 0), ('max_retry_wait', 60), ('retries', 0),
                                          ('retries', 100)])
def test_sane_numbers_pass(option, value):
    assert jc.numeric_option_problem(option, value) is None


# --- exception phrases ---------------------------------------------------------------------------

@pytest.mark.parametrize('text,phrase', [
    ("HTTPSConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: /rest/api/3/myself (Caused by "
     "NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f00>: Failed to establish a new "
     "connection: [Errno 111] Connection refused'))", 'connection refused'),
    ("(Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to resolve "
     "'jira.invalid' ([Errno -2] Name or service not known)\"))", 'host name not resolved (DNS)'),
    ("[Errno -3] Temporary failure in name resolution", 'host name not resolved (DNS)'),
    ("('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))", 'connection reset'),
    ("('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))",
     'the server closed the connection without a complete answer'),
    ("Read timed out. (read timeout=5)", 'timed out'),
    ("[Errno 113] No route to host", 'no route to host'),
    ('(Caused by SSLError(SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: '
     'unable to get local issuer certificate (_ssl.c:1000)")))',
     'certificate verify failed: unable to get local issuer certificate'),
    ('(Caused by SSLError(SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: '
     'Hostname mismatch, certificate is not valid for \'127.0.0.1\'. (_ssl.c:1000)")))',
     "certificate verify failed: Hostname mismatch, certificate is not valid for '127.0.0.1'"),
    ('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1000)',
     'certificate verify failed: certificate has expired'),
])
def test_short_exc_gives_a_clean_phrase(text, phrase):
    assert jc._short_exc(requests.exceptions.ConnectionError(text)) == phrase


def test_short_exc_fallback_drops_object_reprs():
    text = jc._short_exc(ValueError('<urllib3.connection.HTTPConnection object at 0x7f00dead>: odd thing'))
    assert text == 'odd thing'


# --- body decoder --------------------------------------------------------------------------------

def feed_all(decoder, data, step=7):
    return b''.join(decoder.feed(data[i:i + step]) for i in range(0, len(data), step))


BODY = b'{"accountId": "abc", "displayName": "Bot"}' * 50


@pytest.mark.parametrize('encoding,data', [
    ('gzip', gzip.compress(BODY)),
    ('x-gzip', gzip.compress(BODY)),
    ('gzip', gzip.compress(BODY[:100]) + gzip.compress(BODY[100:])),   # two members
    ('deflate', zlib.compress(BODY)),
    ('deflate', zlib.compress(BODY)[2:-4]),                           # raw deflate, no zlib wrapper
    ('identity', BODY),
], ids=['gzip', 'x-gzip', 'gzip-two-members', 'deflate-zlib', 'deflate-raw', 'identity'])
def test_decoder_decodes(encoding, data):
    assert feed_all(jc._BodyDecoder(encoding, 1 << 20), data) == BODY


def test_decoder_stops_a_bomb_at_the_decoded_bound():
    bomb = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    data = bomb.compress(b'0' * (64 << 20)) + bomb.flush()
    assert len(data) < 200 * 1024
    decoder = jc._BodyDecoder('gzip', 1 << 20)
    with pytest.raises(ValueError):
        feed_all(decoder, data, step=65536)
    assert 1 << 20 < decoder.size <= (1 << 20) + 1


def test_decoder_refuses_a_corrupt_stream():
    with pytest.raises(ValueError):
        jc._BodyDecoder('gzip', 1 << 20).feed(b'\x1f\x8bnot gzip at all')


# --- deadline ------------------------------------------------------------------------------------

def test_deadline_unblocks_a_read_that_the_socket_timeout_would_not_end():
    a, b = socket.socketpair()
    a.settimeout(30)
    deadline = jc._Deadline(0.5)
    deadline.watch(a)
    got = []
    reader = threading.Thread(target=lambda: got.append(a.recv(10)))
    started = time.monotonic()
    reader.start()
    reader.join(10)
    try:
        assert not reader.is_alive() and got == [b''] and deadline.expired
        assert time.monotonic() - started < 5
    finally:
        deadline.close()
        a.close()
        b.close()


def test_deadline_closed_in_time_touches_nothing():
    a, b = socket.socketpair()
    deadline = jc._Deadline(0.2)
    deadline.watch(a)
    deadline.close()
    time.sleep(0.4)
    try:
        assert not deadline.expired
        b.sendall(b'x')
        assert a.recv(1) == b'x'
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize('seconds', [float('inf'), float('nan'), 1e308, None])
def test_deadline_without_a_usable_bound_starts_no_timer(seconds):
    deadline = jc._Deadline(seconds)
    assert deadline._timer is None
    deadline.close()


# --- environment inputs --------------------------------------------------------------------------

def test_session_never_trusts_the_environment(monkeypatch, tmp_path):
    netrc = tmp_path / 'netrc'
    netrc.write_text('machine acme.atlassian.net login other@example.com password other-secret\n')
    monkeypatch.setenv('NETRC', str(netrc))
    client = jc.JiraClient('https://acme.atlassian.net', 'bot@example.com', 'tok-' + 'x' * 20)
    session = client._get_session()
    assert session.trust_env is False
    prepared = session.prepare_request(requests.Request('GET', 'https://acme.atlassian.net/rest/api/3/myself'))
    assert 'Authorization' not in prepared.headers  # requests with trust_env would add the netrc account here
    assert isinstance(session.get_adapter('https://acme.atlassian.net'), requests.adapters.HTTPAdapter)


def test_proxies_come_from_the_environment_with_no_proxy(monkeypatch):
    for name in ('HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'all_proxy',
                 'no_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.example:3128')
    assert jc.environment_proxies('https://acme.atlassian.net/x')['https'] == 'http://proxy.example:3128'
    monkeypatch.setenv('NO_PROXY', '.atlassian.net')
    assert jc.environment_proxies('https://acme.atlassian.net/x') == {}


def test_ca_bundle_from_the_environment_only_without_ca_path(monkeypatch):
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.setenv('CURL_CA_BUNDLE', '/curl.pem')
    client = jc.JiraClient('https://acme.atlassian.net', 'bot@example.com', 'tok-' + 'x' * 20)
    assert client._verify() == '/curl.pem'
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/requests.pem')
    assert client._verify() == '/requests.pem'
    client.ca_path = '/given.pem'
    assert client._verify() == '/given.pem'
    client.validate_certs = False
    assert client._verify() is False
