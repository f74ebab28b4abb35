"""The transport holds against a hostile environment and a hostile server: a ~/.netrc or $NETRC with another
account never replaces the credentials given (basic, bearer, and the anonymous serverInfo call), proxies and
CA bundles from the environment keep working, a compressed answer is decoded within the body bound (a gzip
bomb stops there), timeout bounds the header phase too, rate-limit headers (Retry-After: 0,
X-RateLimit-Reset, RateLimit-Reason, malformed ones) are honoured or survived, and hostile numeric options
get a clear error naming the option.

Every scenario is a real module run (ansible-playbook) against the emulator on 127.0.0.1, and every one
runs the leak scan, for the given token and for the token in the hostile netrc.
"""

import base64
import os
import sys
import time

import pytest

from support.ansible import run_module, run_playbook
from support.leakscan import exposure_env, new_workdir, scan_run
from support.proxy import CountingProxy

MODULE = 'jira_credentials_info'
MYSELF = '/rest/api/3/myself'
MYSELF_DC = '/rest/api/2/myself'
SERVER_INFO_DC = '/rest/api/2/serverInfo'
# Module start (Python, requests, AnsiballZ) on a busy 2-core machine.
FIXED_OVERHEAD_S = 8.0
PROXY_VARS = ('HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'all_proxy',
              'no_proxy', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'NETRC')


def load_factor():
    return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))


@pytest.fixture(autouse=True)
def no_inherited_proxy(monkeypatch):
    """No proxy, CA bundle or netrc variable inherited from the machine running the tests (unset, not
    empty: an empty lower-case proxy variable cancels its upper-case twin)."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


def clean_env(workdir, extra=None):
    env = exposure_env(workdir)
    env.update(extra or {})
    return env


def module_args(emu, **over):
    args = dict(url=emu.url, username=emu.service_username, api_token=emu.service_token, deployment=emu.mode,
                allow_insecure_http=True, timeout=5, retries=1, max_retry_wait=5)
    if emu.ca_path:
        args['ca_path'] = emu.ca_path
    args.update(over)
    return {k: v for k, v in args.items() if v is not None}


def run_check(emu, workdir, env=None, other_secrets=(), **over):
    """jira_credentials_info at -vvvv; leak scan for the token given and any other secret in play."""
    args = module_args(emu, **over)
    started = time.monotonic()
    result = run_module(MODULE, args, verbosity=4, env=clean_env(workdir, env), workdir=workdir)
    result.elapsed = time.monotonic() - started
    scan_run(result, args['api_token'], args.get('username'))
    for secret, user in other_secrets:
        scan_run(result, secret, user)
    result.out = result.last()
    return result


def basic(user, token):
    return 'Basic ' + base64.b64encode(('%s:%s' % (user, token)).encode('utf-8')).decode('ascii')


def write_netrc(path, login, password):
    with open(path, 'w') as f:
        f.write('machine 127.0.0.1\n  login %s\n  password %s\n' % (login, password))
    os.chmod(path, 0o600)


def hostile_netrc_env(workdir, source, emu):
    """HOME with a ~/.netrc, or NETRC pointing at a netrc, for 127.0.0.1 with the ADMIN account. Kept
    outside the run's work dir, which the leak scan reads: it holds that secret by design."""
    workdir = new_workdir('netrc-files')
    if source == 'home':
        home = os.path.join(workdir, 'home')
        os.makedirs(home)
        write_netrc(os.path.join(home, '.netrc'), emu.admin_username, emu.admin_token)
        return {'HOME': home}
    path = os.path.join(workdir, 'hostile-netrc')
    write_netrc(path, emu.admin_username, emu.admin_token)
    return {'NETRC': path}


# --- netrc -----------------------------------------------------------------------------------------

NETRC_CASES = [('home', 'basic'), ('NETRC', 'basic'), ('NETRC', 'bearer')]


@pytest.mark.parametrize('source,auth_type', NETRC_CASES, ids=['~/.netrc-basic', 'NETRC-basic', 'NETRC-bearer'])
def test_netrc_never_replaces_the_given_credentials(jira_emulator_factory, reliability_record, source, auth_type):
    rec = reliability_record
    rec.scenario = 'hostile netrc (%s) with another account, %s auth' % (source, auth_type)
    rec.fault = 'a netrc for 127.0.0.1 holding the admin account; the module is given a wrong token'
    rec.inputs = 2
    emu = jira_emulator_factory(mode='datacenter')
    workdir = new_workdir('netrc-' + source)
    env = hostile_netrc_env(workdir, source, emu)
    others = [(emu.admin_token, emu.admin_username)]
    wrong = 'wrong-' + (emu.service_pat if auth_type == 'bearer' else emu.service_token)
    over = dict(deployment='auto', api_token=wrong, auth_type=auth_type)
    if auth_type == 'bearer':
        over['username'] = None

    result = run_check(emu, workdir, env=env, other_secrets=others, **over)
    out = result.out
    assert out.get('valid') is False, out
    assert out['failure_reason'] in ('invalid_credentials', 'anonymous_response'), out
    rec.check('wrong token: valid false (%s), not the netrc account' % out['failure_reason'])
    info = [r for r in emu.requests if r['path'] == SERVER_INFO_DC]
    myself = [r for r in emu.requests if r['path'] == MYSELF_DC]
    assert info and all('Authorization' not in r['headers'] for r in info), info
    rec.check('anonymous serverInfo carried no Authorization')
    expected = 'Bearer ' + wrong if auth_type == 'bearer' else basic(emu.service_username, wrong)
    assert myself and all(r['headers'].get('Authorization') == expected for r in myself), \
        [r['headers'].get('Authorization', '')[:12] for r in myself]
    rec.check('Jira saw only the given credentials')
    assert emu.failed_logins(emu.admin_account.name) == 0

    emu.reset()
    good = emu.service_pat if auth_type == 'bearer' else emu.service_token
    good_args = dict(over)
    good_args['api_token'] = good
    result = run_check(emu, new_workdir('netrc-ok-' + source), env=env, other_secrets=others, **good_args)
    out = result.out
    assert out.get('valid') is True, out
    assert out['account']['name'] == emu.service_account.name, out['account']
    rec.check('right token: valid as the service account, not the netrc admin')


def test_netrc_never_reaches_an_admin_module(jira_emulator_factory, reliability_record):
    rec = reliability_record
    rec.scenario = 'hostile NETRC with the admin account, admin module run with the non-admin account'
    rec.fault = 'NETRC for 127.0.0.1 holds a Jira administrator; jira_group is given the service account'
    rec.inputs = 1
    emu = jira_emulator_factory(mode='cloud')
    workdir = new_workdir('netrc-admin')
    env = hostile_netrc_env(workdir, 'NETRC', emu)
    play = os.path.join(workdir, 'play.yml')
    with open(play, 'w') as f:
        f.write('- hosts: localhost\n  gather_facts: false\n  tasks:\n'
                '    - integrations.jira.jira_group:\n'
                '        url: "{{ jira_url }}"\n        username: "{{ jira_username }}"\n'
                '        api_token: "{{ jira_token }}"\n        allow_insecure_http: true\n'
                '        deployment: cloud\n        name: netrc-made-this\n')
    result = run_playbook(play, extra_vars={'jira_url': emu.url, 'jira_username': emu.service_username,
                                            'jira_token': emu.service_token},
                          verbosity=4, env=clean_env(workdir, env), workdir=workdir)
    scan_run(result, emu.service_token, emu.service_username)
    scan_run(result, emu.admin_token, emu.admin_username)
    out = result.last()
    assert result.rc != 0 and out.get('failed') is True, out
    assert 'netrc-made-this' not in emu.groups
    rec.check('the non-admin account could not create the group; nothing changed')
    sent = set(r['headers'].get('Authorization') for r in emu.requests)
    assert sent == {basic(emu.service_username, emu.service_token)}, len(sent)
    rec.check('every request carried the given (service) credentials only')


# --- proxies and CA bundles from the environment ---------------------------------------------------

@pytest.mark.parametrize('var', ['HTTPS_PROXY', 'https_proxy'])
def test_proxy_from_the_environment_is_used_and_no_proxy_honoured(jira_emulator_factory, reliability_record, var):
    rec = reliability_record
    rec.scenario = 'proxy from %s (HTTPS via CONNECT), then NO_PROXY' % var
    rec.fault = 'none: the environment names a proxy; a netrc is present too'
    rec.inputs = 2
    emu = jira_emulator_factory(mode='cloud', tls=True)
    proxy = CountingProxy()
    try:
        workdir = new_workdir('proxy')
        netrc = hostile_netrc_env(workdir, 'NETRC', emu)
        result = run_check(emu, workdir, env=dict(netrc, **{var: proxy.url}),
                           other_secrets=[(emu.admin_token, emu.admin_username)])
        assert result.out.get('valid') is True, result.out
        assert result.out['account']['account_id'] == emu.service_account.account_id
        assert proxy.count('CONNECT') == 1 and emu.count(MYSELF) == 1, (proxy.requests, emu.counts())
        rec.check('valid through the proxy: 1 CONNECT, 1 request to Jira')

        no_proxy_var = 'NO_PROXY' if var.isupper() else 'no_proxy'
        result = run_check(emu, new_workdir('no-proxy'), env={var: proxy.url, no_proxy_var: '127.0.0.1'})
        assert result.out.get('valid') is True, result.out
        assert proxy.count() == 1 and emu.count(MYSELF) == 2, (proxy.requests, emu.counts())
        rec.check('%s=127.0.0.1: valid, the proxy saw nothing' % no_proxy_var)
    finally:
        proxy.close()


@pytest.mark.parametrize('var', ['REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'])
def test_ca_bundle_from_the_environment_when_ca_path_is_not_given(jira_emulator_factory, reliability_record, var):
    rec = reliability_record
    rec.scenario = 'CA bundle from %s, no ca_path' % var
    rec.fault = 'none: a private CA given only through the environment'
    rec.inputs = 1
    emu = jira_emulator_factory(mode='cloud', tls=True)
    result = run_check(emu, new_workdir('ca-bundle'), env={var: emu.ca_path}, ca_path=None)
    assert result.out.get('valid') is True, result.out
    rec.check('valid: the certificate was verified against the bundle from %s' % var)


# --- compression ---------------------------------------------------------------------------------

@pytest.mark.parametrize('encoding', ['gzip', 'deflate'])
def test_compressed_answer_is_decoded(jira_emulator, reliability_record, encoding):
    rec = reliability_record
    rec.scenario = 'server compresses (%s) although the client asked for identity' % encoding
    rec.fault = 'every answer %s-compressed, as a compressing proxy sends it' % encoding
    rec.inputs = 1
    emu = jira_emulator
    emu.add_fault(MYSELF, 'gzip', times=None, encoding=encoding)
    result = run_check(emu, new_workdir('gzip'))
    assert result.out.get('valid') is True, result.out
    assert result.out['account']['account_id'] == emu.service_account.account_id
    assert emu.requests[-1]['headers'].get('Accept-Encoding') == 'identity'
    rec.check('valid: the %s answer was decoded; the client asked for identity' % encoding)


def test_gzip_bomb_stops_at_the_bound(jira_emulator, reliability_record):
    rec = reliability_record
    rec.scenario = 'gzip bomb: 1 GiB decoded from about 1 MB on the wire'
    rec.fault = '200 JSON, Content-Encoding gzip, decoding to 1 GiB'
    rec.inputs = 1
    emu = jira_emulator
    emu.add_fault(MYSELF, 'gzip_bomb', times=None, size=1024 ** 3)
    workdir = new_workdir('bomb')
    # The module's address space is capped below the decoded size: decoding it whole would fail.
    wrapper = os.path.join(workdir, 'python-limited')
    with open(wrapper, 'w') as f:
        f.write('#!/bin/sh\nulimit -v %d\nexec %s "$@"\n' % (900 * 1024, sys.executable))
    os.chmod(wrapper, 0o755)
    started = time.monotonic()
    result = run_check(emu, workdir, env={'ANSIBLE_PYTHON_INTERPRETER': wrapper}, retries=0)
    out = result.out
    assert out.get('valid') is False and out['failure_reason'] == 'not_jira', out
    assert 'larger than' in out['msg'] and 'decoded' in out['msg'], out['msg']
    assert time.monotonic() - started < FIXED_OVERHEAD_S * load_factor() + 5, time.monotonic() - started
    rec.check('not_jira at the 1 MiB decoded bound, quickly, in under 900 MiB of address space')


# --- the deadline ----------------------------------------------------------------------------------

def test_timeout_bounds_a_slow_status_line_and_headers(jira_emulator, reliability_record):
    rec = reliability_record
    rec.scenario = 'status line and headers one byte per second, timeout=3'
    rec.fault = 'drip_headers: one byte of the status line/headers every 1 s (minutes in all)'
    rec.inputs = 1
    emu = jira_emulator
    emu.add_fault(MYSELF, 'drip_headers', times=None, interval=1.0)
    result = run_check(emu, new_workdir('drip-headers'), timeout=3, retries=2)
    out = result.out
    assert out.get('valid') is False and out['failure_reason'] == 'timeout', out
    assert 'timeout' in out['msg'], out['msg']
    bound = 3 + FIXED_OVERHEAD_S * load_factor()
    assert result.elapsed < bound, (result.elapsed, bound)
    assert emu.count(MYSELF) == 1
    rec.check('failure_reason=timeout after one attempt; run %.1f s < timeout + overhead %.1f s' % (result.elapsed, bound))
    rec.details['run_seconds'] = round(result.elapsed, 1)


# --- rate limits -----------------------------------------------------------------------------------

def gaps(emu, path=MYSELF):
    times = [r['time'] for r in emu.requests if r['path'] == path]
    return [b - a for a, b in zip(times, times[1:])]


def test_retry_after_zero_still_backs_off(jira_emulator, reliability_record):
    rec = reliability_record
    rec.scenario = '429 with Retry-After: 0'
    rec.fault = 'every answer 429, Retry-After: 0 (Data Center sends it)'
    rec.inputs = 1
    emu = jira_emulator
    emu.add_fault(MYSELF, 'rate_limit', times=None, retry_after='0')
    result = run_check(emu, new_workdir('ra0'), retries=3, max_retry_wait=20)
    assert result.out['failure_reason'] == 'rate_limited', result.out
    waits = gaps(emu)
    assert len(waits) == 3, waits
    # Backoff 0.5, 1, 2 s, each with jitter down to half: at least 0.25 + 0.5 + 1.
    assert all(w >= 0.2 for w in waits) and sum(waits) >= 1.6, waits
    rec.check('4 requests, waits %s s (exponential backoff with jitter, not back to back)'
              % ', '.join('%.2f' % w for w in waits))


def test_x_ratelimit_reset_is_honoured_without_retry_after(jira_emulator, reliability_record):
    rec = reliability_record
    rec.scenario = '429 with X-RateLimit-Reset 2 s ahead, no Retry-After; then one 10 min ahead'
    rec.fault = '429 + X-RateLimit-Reset (ISO 8601), RateLimit-Reason jira-quota-tenant-based'
    rec.inputs = 2
    emu = jira_emulator
    emu.add_fault(MYSELF, 'rate_limit', times=1, reset_after=2.5, reason='jira-quota-tenant-based')
    result = run_check(emu, new_workdir('reset'), retries=2, max_retry_wait=10)
    assert result.out.get('valid') is True, result.out
    waits = gaps(emu)
    assert len(waits) == 1 and 1.8 <= waits[0] <= 8, waits
    rec.check('waited %.2f s for the reset, then valid' % waits[0])

    emu.reset()
    emu.add_fault(MYSELF, 'rate_limit', times=None, reset_after=600, reason='jira-quota-tenant-based')
    result = run_check(emu, new_workdir('reset-far'), retries=2, max_retry_wait=10)
    out = result.out
    assert out['failure_reason'] == 'rate_limited' and emu.count(MYSELF) == 1, (out, emu.counts())
    assert 'jira-quota-tenant-based' in out['msg'] and 'quota' in out['msg'], out['msg']
    rec.check('reset beyond max_retry_wait: rate_limited at once, 1 request; message names the RateLimit-Reason')


def test_malformed_rate_limit_headers_are_survived(jira_emulator, reliability_record):
    rec = reliability_record
    rec.scenario = '429 with malformed Retry-After, X-RateLimit-Reset and RateLimit-Reason'
    rec.fault = 'Retry-After: soon, X-RateLimit-Reset: 2026-13-45T99:99Z, RateLimit-Reason: <script>'
    rec.inputs = 1
    emu = jira_emulator
    emu.add_fault(MYSELF, 'rate_limit', times=None, retry_after='soon', reset='2026-13-45T99:99Z',
                  reason='<script>alert(1)</script>')
    result = run_check(emu, new_workdir('rl-bad'), retries=2, max_retry_wait=10)
    out = result.out
    assert out['failure_reason'] == 'rate_limited' and emu.count(MYSELF) == 3, (out, emu.counts())
    assert '<script>' not in out['msg'] and 'alert(1)' not in out['msg'], out['msg']
    assert all(w >= 0.2 for w in gaps(emu)), gaps(emu)
    rec.check('rate_limited after 3 requests with backoff; no crash, no header text in the message')


# --- hostile numeric options -----------------------------------------------------------------------

NUMERIC_CASES = [('timeout', v) for v in ('inf', '1e308', 'nan', '0', '-1', '-inf')] + \
    [('max_retry_wait', v) for v in ('inf', '1e308', 'nan', '-1')] + [('retries', v) for v in ('-1', '1000000')]


def test_hostile_numeric_options_get_a_clear_error(jira_emulator, reliability_record):
    rec = reliability_record
    rec.scenario = 'timeout / max_retry_wait / retries: inf, 1e308, nan, 0, negative, huge'
    rec.fault = 'hostile numbers in the connection options (jira_credentials_info and jira_group)'
    rec.inputs = len(NUMERIC_CASES) + 2
    emu = jira_emulator
    workdir = new_workdir('numeric')
    tasks = []
    cases = [(MODULE, option, value) for option, value in NUMERIC_CASES] + \
        [('jira_group', 'timeout', 'inf'), ('jira_group', 'retries', '-1')]
    for i, (module, option, value) in enumerate(cases):
        args = {'url': '{{ jira_url }}', 'username': '{{ jira_username }}', 'api_token': '{{ jira_token }}',
                'allow_insecure_http': True, 'deployment': 'cloud', option: value}
        if module == 'jira_group':
            args['name'] = 'numeric-%d' % i
        flow = '{%s}' % ', '.join('%s: %s' % (k, _yaml(v)) for k, v in args.items())
        tasks.append('    - name: case %d\n      integrations.jira.%s: %s\n      ignore_errors: true\n'
                     % (i, module, flow))
    play = os.path.join(workdir, 'play.yml')
    with open(play, 'w') as f:
        f.write('- hosts: localhost\n  gather_facts: false\n  tasks:\n' + ''.join(tasks))
    result = run_playbook(play, extra_vars={'jira_url': emu.url, 'jira_username': emu.service_username,
                                            'jira_token': emu.service_token},
                          verbosity=4, env=clean_env(workdir), workdir=workdir)
    scan_run(result, emu.service_token, emu.service_username)
    found = {r['task']: r['result'] for r in result.results}
    for i, (module, option, value) in enumerate(cases):
        out = found.get('case %d' % i)
        assert out is not None, (i, result)
        assert out.get('failed') is True, (module, option, value, out)
        assert 'Option %s must be' % option in out.get('msg', ''), (module, option, value, out.get('msg'))
        assert 'MODULE FAILURE' not in str(out), (module, option, value, out)  # a crash, not the check
    assert emu.total_requests() == 0, emu.counts()
    rec.check('every case: failed with "Option <name> must be ..." (no crash), no request to Jira')


def _yaml(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return '"%s"' % value
