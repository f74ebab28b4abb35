"""Every hostile or broken input (wrong types, empty strings, whitespace, newline and NUL injection, 1 MB values,
invalid UTF-8, URL tricks, odd ports, paths with '..', relative paths) is refused with a clear error that
names the option or variable, before anything is sent to Jira or written to a host; the validation and
rendering functions the modules use hold their contract for at least 10 000 generated inputs (a value is
either refused with a message that never repeats the token, or written so that the format's own reader returns
it exactly).

Generated part: hypothesis against the modules' own functions (normalize_url, the credentials
module's check_inputs, the config module's plan_items and the format renderers, the retry policy,
mask_secrets). Table part: representative cases through real module and role runs, batched as
many tasks per ansible-playbook run (ignore_errors), each task's result read back.
"""

import base64
import configparser
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from support.ansible import run_playbook, to_unsafe_yaml
from support.leakscan import LeakFound, exposure_env, new_workdir, scan_run
from support.snapshot import tree_snapshot

from ansible_collections.integrations.jira.plugins.module_utils import _config_formats as cf
from ansible_collections.integrations.jira.plugins.module_utils._jira_client import (
    JiraError,
    RetryPolicy,
    mask_secrets,
    normalize_url,
    parse_retry_after,
    secret_values,
)
from ansible_collections.integrations.jira.plugins.modules import jira_credentials_info as creds_module

# Deterministic, so a CI failure reproduces and the report's counts are stable.
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])

TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.'
tokens = st.text(TOKEN_ALPHABET, min_size=12, max_size=200)
nasty_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
URL_PARTS = dict(
    scheme=st.sampled_from(['https', 'http', 'HTTPS', 'file', 'javascript', 'ftp', '', 'hxxps', 'https:']),
    userinfo=st.sampled_from(['', 'evil.example@', 'user:pass@', 'svc%40x:tok@', '@']),
    host=st.one_of(st.sampled_from(['tenant.atlassian.net', 'jira.example.com', 'JIRA.Example.COM.', '127.0.0.1',
                                    '[::1]', '[::1', 'xn--tnant-6ve.atlassian.net', 'ten\u0430nt.atlassian.net',
                                    'exa\u200bmple.com', '-bad-.example.com', 'a..b', '', 'localhost',
                                    'api.atlassian.com', 'evil.example%2f@tenant.atlassian.net']),
                   st.from_regex(r'\A[a-z0-9-]{1,20}(\.[a-z0-9-]{1,10}){0,3}\Z')),
    port=st.one_of(st.just(''), st.integers(-5, 70000).map(lambda p: ':%d' % p),
                   st.sampled_from([':', ':abc', ':443', ':80', ':0', ':65535', ':65536', ': 1'])),
    path=st.one_of(st.just(''), st.lists(st.sampled_from(['jira', '..', '.', '', 'rest', 'api', '3', 'ex', '%2e%2e',
                                                          'a b', 'x\n', 'ok']), max_size=4).map(lambda s: '/' + '/'.join(s))),
    tail=st.sampled_from(['', '/', '?x=1', '#frag', '?', '#', '\r\n', '\x00', ' ']),
)
url_like = st.builds(lambda scheme, userinfo, host, port, path, tail: '%s://%s%s%s%s%s' % (
    scheme, userinfo, host, port, path, tail), **URL_PARTS)

COUNTS = {}


def counted(name):
    COUNTS[name] = COUNTS.get(name, 0) + 1


# --- generated: URL rules ------------------------------------------------------------------------

URL_EXAMPLES = 3000


@settings(max_examples=URL_EXAMPLES, **SETTINGS)
@given(url=st.one_of(url_like, st.text(max_size=60), st.just('h' * 3000)), allow_http=st.booleans())
def _url_property(url, allow_http):
    counted('url')
    try:
        out = normalize_url(url, allow_insecure_http=allow_http)
    except JiraError as e:
        assert e.failure_reason in ('invalid_url', 'insecure_url'), e.failure_reason
        assert e.msg.startswith('Option url '), e.msg
        # A user or password typed into the URL is never repeated (it may be the token).
        if '://' in url and '@' in url:
            userinfo = url.split('://', 1)[1].rsplit('@', 1)[0]
            if len(userinfo) >= 6:
                assert userinfo not in e.msg
        return
    assert out == normalize_url(out, allow_insecure_http=allow_http), 'not idempotent'
    assert out.startswith('https://') or (allow_http and out.startswith('http://'))
    assert out.isascii() and not any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7f for c in out)
    rest = out.split('://', 1)[1]
    assert '@' not in rest and '?' not in rest and '#' not in rest and not out.endswith('/')
    assert '/../' not in out + '/' and '/./' not in out + '/' and '/rest' not in out.lower()


def test_normalize_url_generated(reliability_record):
    rec = reliability_record
    rec.no_ansible = True
    rec.scenario = 'normalize_url: generated URLs (URL tricks, odd ports, IDN, control characters, 3000-char)'
    rec.fault = 'hypothesis: URL-shaped strings from scheme/userinfo/host/port/path/tail parts, and arbitrary text'
    before = COUNTS.get('url', 0)
    _url_property()
    rec.inputs = COUNTS['url'] - before
    assert rec.inputs >= URL_EXAMPLES * 0.9
    rec.check('refused with invalid_url/insecure_url and a message starting "Option url", never echoing a userinfo')
    rec.check('accepted URLs are https (or http when allowed), ASCII, without userinfo/query/fragment/dot segments, idempotent')


# --- generated: the credentials module's input checks -------------------------------------------

CREDS_EXAMPLES = 2500
CREDS_OPTIONS = ('api_token', 'username', 'projects', 'required_permissions', 'required_groups',
                 'required_application_roles')
key_lists = st.lists(st.one_of(st.from_regex(r'\A[A-Z][A-Z0-9_]{0,10}\Z'), nasty_text), max_size=3)


@settings(max_examples=CREDS_EXAMPLES, **SETTINGS)
@given(token=st.one_of(tokens, nasty_text, tokens.map(lambda t: ' ' + t), tokens.map(lambda t: t + '\n')),
       username=st.one_of(st.none(), nasty_text, st.just('svc@example.com'), st.just('a:b')),
       auth_type=st.sampled_from(['basic', 'bearer']), projects=key_lists, permissions=key_lists,
       groups=st.lists(nasty_text, max_size=3), roles=st.lists(nasty_text, max_size=2))
def _creds_property(token, username, auth_type, projects, permissions, groups, roles):
    counted('creds')
    params = dict(api_token=token, username=username, auth_type=auth_type, projects=projects,
                  required_permissions=permissions, required_groups=groups, required_application_roles=roles)
    try:
        creds_module.check_inputs(params)
    except (JiraError, creds_module._OptionError) as e:
        msg = getattr(e, 'msg', None) or str(e)
        assert msg.startswith('Option ') and msg.split()[1] in CREDS_OPTIONS, msg
        if len(token) >= 8:
            assert token not in msg and token.strip() not in msg
        return
    assert token and token == token.strip() and all(ord(c) >= 0x20 and ord(c) != 0x7f for c in token)
    if auth_type == 'basic':
        assert username and ':' not in username and username == username.strip()
    for key in projects + (permissions if projects else []):
        assert re.fullmatch(r'[A-Z][A-Z0-9_]*', key), repr(key)
    assert not projects or permissions


def test_credentials_check_inputs_generated(reliability_record):
    rec = reliability_record
    rec.no_ansible = True
    rec.scenario = 'jira_credentials_info check_inputs: generated tokens, usernames, keys, groups'
    rec.fault = 'hypothesis: tokens with whitespace/newlines/control characters, usernames with ":", arbitrary keys'
    before = COUNTS.get('creds', 0)
    _creds_property()
    rec.inputs = COUNTS['creds'] - before
    assert rec.inputs >= CREDS_EXAMPLES * 0.9
    rec.check('refused with a message starting "Option <name>" that never contains the token')
    rec.check('accepted inputs are sendable: no surrounding whitespace, no control characters, no ":" in a basic username')


# --- generated: the config module's validators and renderers ------------------------------------

CONFIG_EXAMPLES = 800
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=True),
                    st.text(max_size=30), st.text(st.characters(codec=None), max_size=10))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=6)
setting_keys = st.one_of(st.from_regex(r'\A[A-Za-z_][A-Za-z0-9_]{0,12}\Z'), st.text(max_size=12))


def _read_back(fmt, text, root_key, section):
    """What the format's ordinary reader returns."""
    if fmt == 'yaml':
        data = yaml.safe_load(text)
        return data[root_key] if root_key else data
    if fmt == 'json':
        data = json.loads(text)
        return data[root_key] if root_key else data
    if fmt == 'ini':
        parser = configparser.RawConfigParser()
        parser.read_file(io.StringIO(text, newline=None))  # as from a file opened in text mode
        return dict(parser.items(section))
    return dict((a.key, a.value) for a in cf.env_parse(text))


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _config_property(fmt, token, username, settings_, root_key):
    counted('config')
    names = cf.key_names(fmt, None)
    vals = dict(url='https://tenant.atlassian.net', username=username, api_token=token)
    try:
        items = cf.plan_items(fmt, names, vals, settings_)
        text = cf.render(fmt, [(k, v) for _l, k, v in items], section='jira', root_key=root_key)
    except cf.FormatError as e:
        assert token not in e.msg, 'a FormatError message repeats the token'
        return
    back = _read_back(fmt, text, root_key, 'jira')
    for _logical, key, value in items:
        if fmt == 'ini':
            assert back[key.lower()] == cf.scalar_text(value), (key, value, text)
        elif fmt == 'env':
            assert back[key] == cf.scalar_text(value), (key, value, text)
        else:
            assert _same(back[key], value), (key, value, back.get(key), text)
    if fmt in ('yaml', 'json'):
        assert set(back) == set(k for _l, k, _v in items)


@pytest.mark.parametrize('fmt', cf.FORMATS)
def test_config_render_round_trip_generated(reliability_record, fmt):
    rec = reliability_record
    rec.no_ansible = True
    rec.scenario = 'jira_integration_config plan_items + render, format %s: generated keys and values' % fmt
    rec.fault = ('hypothesis: arbitrary keys, nested values, NaN/inf, huge ints, control characters, lone '
                 'surrogates (what Python makes of invalid UTF-8), newlines in the token')
    reader = {'yaml': 'yaml.safe_load', 'json': 'json.loads', 'ini': 'configparser.RawConfigParser',
              'env': 'systemd EnvironmentFile= rules (cf.env_parse)'}[fmt]

    @settings(max_examples=CONFIG_EXAMPLES, **SETTINGS)
    @given(token=st.one_of(tokens, tokens.map(lambda t: t + '\n' + t[:3]), tokens.map(lambda t: ' %s ' % t),
                           tokens.map(lambda t: t + '\udcff'), tokens.map(lambda t: t + '\x00')),
           username=st.one_of(st.text(max_size=20), st.just('svc\nJIRA_URL=https://evil.example')),
           settings_=st.dictionaries(setting_keys, values, max_size=4),
           root_key=st.one_of(st.none(), st.sampled_from(['jira', 'a b', '']) if fmt in ('yaml', 'json') else st.none()))
    def prop(token, username, settings_, root_key):
        assume(root_key != '')
        _config_property(fmt, token, username, settings_, root_key)

    before = COUNTS.get('config', 0)
    prop()
    rec.inputs = COUNTS['config'] - before
    assert rec.inputs >= CONFIG_EXAMPLES * 0.8
    rec.check('refused with FormatError naming the key, never the token')
    rec.check('accepted: %s returns exactly the values written' % reader)


def test_env_files_read_the_same_by_sh(reliability_record):
    """The env renderer's other reader: a POSIX shell sourcing the file gets the same values."""
    rec = reliability_record
    rec.no_ansible = True
    rec.scenario = 'env format: sh reads back what was written (generated values)'
    rec.fault = 'hypothesis: quotes, $, backticks, backslashes, #, spaces, non-ASCII in values'
    sh = shutil.which('sh')
    assert sh
    workdir = new_workdir('env-sh')
    path = os.path.join(workdir, 'x.env')

    @settings(max_examples=150, **SETTINGS)
    @given(value=st.text(st.characters(codec='utf-8', exclude_characters='\x00'), max_size=30))
    def prop(value):
        counted('sh')
        try:
            cf.check_value('env', 'V', value)
        except cf.FormatError:
            return
        with open(path, 'w', encoding='utf-8') as f:
            f.write(cf.env_line('JIRA_V', value))
        out = subprocess.run(check=False, args=[sh, '-c', '. "$1" && printf %s "$JIRA_V"', 'sh', path], stdout=subprocess.PIPE,
                             env={'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LC_ALL': 'C.UTF-8'}, timeout=10)
        assert out.stdout.decode('utf-8') == value

    before = COUNTS.get('sh', 0)
    prop()
    rec.inputs = COUNTS['sh'] - before
    rec.check('sh "." returns every accepted value unchanged')


# --- generated: retry policy, Retry-After, masking ----------------------------------------------

RETRY_EXAMPLES = 1500


@settings(max_examples=RETRY_EXAMPLES, **SETTINGS)
@given(retries=st.integers(0, 12), max_wait=st.floats(0, 300), seed=st.floats(0, 1),
       retry_afters=st.lists(st.one_of(st.none(), st.floats(0, 500)), min_size=13, max_size=13),
       header=st.one_of(st.text(max_size=40), st.sampled_from(['120', '1.5', 'Wed, 21 Oct 2015 07:28:00 GMT',
                                                               '-1', '1e9', 'Fri, 31 Dec 9999 23:59:59 GMT'])))
def _retry_property(retries, max_wait, seed, retry_afters, header):
    counted('retry')
    policy = RetryPolicy(retries, max_wait, rand=lambda: seed)
    waited, attempt = 0.0, 0
    while True:
        wait = policy.next_wait(attempt, waited, retry_afters[attempt])
        if wait is None:
            break
        assert wait >= 0
        waited += wait
        attempt += 1
    assert attempt <= retries and waited <= max_wait + 1e-9
    parsed = parse_retry_after(header)
    assert parsed is None or (parsed >= 0 and not math.isnan(parsed))


def test_retry_policy_generated(reliability_record):
    rec = reliability_record
    rec.no_ansible = True
    rec.scenario = 'RetryPolicy and Retry-After parsing: generated budgets and headers'
    rec.fault = 'hypothesis: retries 0-12, max_retry_wait 0-300 s, Retry-After values 0-500 s or absent, junk headers'
    before = COUNTS.get('retry', 0)
    _retry_property()
    rec.inputs = COUNTS['retry'] - before
    rec.check('never more than retries retries; total wait never above max_retry_wait; junk Retry-After never raises')


MASK_EXAMPLES = 1500


@settings(max_examples=MASK_EXAMPLES, **SETTINGS)
@given(token=tokens, username=st.one_of(st.none(), st.text(max_size=30)),
       chunks=st.lists(st.text(max_size=30), max_size=5), times=st.integers(1, 3))
def _mask_property(token, username, chunks, times):
    counted('mask')
    secrets = secret_values(username, token)
    forms = [token] + [s for s in secrets if s != token]
    text = ''.join(c + forms[i % len(forms)] * times for i, c in enumerate(chunks or ['']))
    masked = mask_secrets(text, secrets)
    for form in secrets:
        assert form not in masked
    if username is not None:
        assert base64.b64encode(('%s:%s' % (username, token)).encode()).decode() not in masked


def test_mask_secrets_generated(reliability_record):
    rec = reliability_record
    rec.no_ansible = True
    rec.scenario = 'mask_secrets: generated texts carrying the token, its URL encoding and base64(user:token)'
    rec.fault = 'hypothesis: tokens from the API-token alphabet (+ / = . - _), repeated, next to arbitrary text'
    before = COUNTS.get('mask', 0)
    _mask_property()
    rec.inputs = COUNTS['mask'] - before
    rec.check('no form of the token survives masking')


# --- table: real module and role runs --------------------------------------------------------------

TOKEN = 'ATATT3xReliabilityBadInput' + base64.urlsafe_b64encode(os.urandom(18)).decode('ascii').rstrip('=')
USER = 'svc-ansible@example.com'
MB = 1024 * 1024
CLOUD = 'https://tenant.atlassian.net'


def to_yaml(obj):
    """Flow YAML for a task's arguments, every string ``!unsafe`` and escaped to ASCII."""
    return to_unsafe_yaml(obj, ascii_only=True)


def netns_inventory(workdir):
    """localhost whose Python runs in an empty network namespace: a check that should have
    refused an input but did not can reach nothing (and no DNS query leaves the machine)."""
    unshare = shutil.which('unshare')
    if not unshare or subprocess.run(check=False, args=[unshare, '-n', 'true']).returncode != 0:
        return None
    wrapper = os.path.join(workdir, 'python-no-network')
    with open(wrapper, 'w') as f:
        f.write('#!/bin/sh\nexec %s -n %s "$@"\n' % (unshare, sys.executable))
    os.chmod(wrapper, 0o755)
    return 'localhost ansible_connection=local ansible_python_interpreter=%s\n' % wrapper


def batch_play(cases):
    """One play, a task per (case_id, module, args) named 'case NN: case_id', errors ignored."""
    tasks = []
    for n, (case_id, module, args) in enumerate(cases):
        tasks.append('    - name: %s\n      integrations.jira.%s: %s\n      ignore_errors: true\n'
                     % (json.dumps('case %02d: %s' % (n, case_id)), module, to_yaml(args)))
    return '- hosts: all\n  gather_facts: false\n  tasks:\n' + ''.join(tasks)


def tree_state(base):
    # A temp file created and removed again changes a directory's mtime, not its content.
    return tree_snapshot(base, ('mode', 'ino', 'mtime_ns', 'data'), dir_fields=('mode', 'ino'))


def run_batch(module, cases, inventory=None, workdir=None):
    workdir = workdir or new_workdir('bad-' + module)
    pb = os.path.join(workdir, 'play.yml')
    with open(pb, 'w', encoding='ascii') as f:
        f.write(batch_play([(case_id, module, args) for case_id, args, _words in cases]))
    # Ansible's own syslog call chokes on a NUL before a module's checks run; without syslog the
    # module's validation is what answers (the default is recorded in a separate case below).
    env = exposure_env(workdir, {'ANSIBLE_NO_TARGET_SYSLOG': 'True'})
    result = run_playbook(pb, inventory=inventory, verbosity=2, env=env, workdir=workdir, timeout=900)
    return result, workdir


def judge(result, cases, extra_problem=None):
    """Problems found: a case that did not fail, or whose message does not name the option."""
    problems = []
    by_task = {}
    for r in result.results:
        by_task[r['task']] = r
    for n, (case_id, args, words) in enumerate(cases):
        r = by_task.get('case %02d: %s' % (n, case_id))
        if r is None:
            problems.append('%s: no result' % case_id)
            continue
        out = r['result']
        msg = str(out.get('msg', ''))
        if r['status'] != 'failed':
            problems.append('%s: accepted (%s)' % (case_id, r['status']))
            continue
        missing = [w for w in words if w.lower() not in msg.lower()]
        if missing:
            problems.append('%s: message does not name %s: %s' % (case_id, missing, msg[:300]))
        if extra_problem:
            p = extra_problem(case_id, out)
            if p:
                problems.append('%s: %s' % (case_id, p))
    return problems


def _creds_cases():
    base = dict(url=CLOUD, username=USER, api_token=TOKEN, deployment='cloud', retries=0, timeout=2)

    def c(case_id, words, **over):
        args = dict(base)
        args.update(over)
        return (case_id, {k: v for k, v in args.items() if v is not None}, words)

    return [
        c('url empty', ['url'], url=''),
        c('url whitespace only', ['url'], url='   '),
        c('url leading space', ['url', 'whitespace'], url=' ' + CLOUD),
        c('url newline header injection', ['url'], url=CLOUD + '\r\nX-Injected: 1'),
        c('url NUL', ['url'], url=CLOUD + '\x00.evil.example'),
        c('url 1 MB', ['url'], url=CLOUD + '/' + 'a' * MB),
        c('url evil.example@tenant', ['url', 'user name'], url='https://evil.example@tenant.atlassian.net'),
        c('url with the token as password', ['url', 'api_token'], url='https://svc:%s@tenant.atlassian.net' % TOKEN),
        c('url file://', ['url', 'https://'], url='file:///etc/passwd'),
        c('url javascript:', ['url', 'https://'], url='javascript:alert(1)'),
        c('url IDN look-alike (Cyrillic a)', ['url', 'ascii'], url='https://ten\u0430nt.atlassian.net'),
        c('url zero-width space in host', ['url'], url='https://tenant\u200b.atlassian.net'),
        c('url port 0', ['url', 'port'], url=CLOUD + ':0'),
        c('url port 99999', ['url', 'port'], url=CLOUD + ':99999'),
        c('url port not a number', ['url', 'port'], url=CLOUD + ':https'),
        c('url path with ..', ['url', "'..'"], url='https://jira.example.com/jira/../admin'),
        c('url REST path', ['url', 'rest'], url=CLOUD + '/rest/api/3'),
        c('url relative (no scheme)', ['url', 'https://'], url='tenant.atlassian.net'),
        c('url http without allow_insecure_http', ['url', 'allow_insecure_http'], url='http://tenant.atlassian.net'),
        c('url wrong type (list)', ['url'], url=['https://a.atlassian.net', 'https://b.atlassian.net']),
        c('username empty', ['username'], username=''),
        c('username surrounding whitespace', ['username'], username=' ' + USER),
        c('username with colon', ['username', ':'], username='svc:admin'),
        c('username newline', ['username'], username=USER + '\n'),
        c('username 1 MB', ['username'], username='u' * MB),
        c('api_token empty', ['api_token', 'empty'], api_token=''),
        c('api_token leading space', ['api_token', 'whitespace'], api_token=' ' + TOKEN),
        c('api_token trailing newline', ['api_token'], api_token=TOKEN + '\n'),
        c('api_token NUL', ['api_token'], api_token=TOKEN + '\x00'),
        c('api_token 1 MB', ['api_token'], api_token=TOKEN + 'x' * MB),
        c('auth_type unknown', ['auth_type'], auth_type='digest'),
        c('deployment unknown', ['deployment'], deployment='cloudy'),
        c('timeout not a number', ['timeout'], timeout='soon'),
        c('timeout 0', ['timeout'], timeout=0),
        c('timeout negative', ['timeout'], timeout=-1),
        c('retries negative', ['retries'], retries=-1),
        c('retries not a number', ['retries'], retries='many'),
        c('max_retry_wait negative', ['max_retry_wait'], max_retry_wait=-5),
        c('projects SQL-ish key', ['projects'], projects=['ops; DROP']),
        c('projects newline in key', ['projects'], projects=['OPS\n']),
        c('required_permissions lower case', ['required_permissions'], projects=['OPS'], required_permissions=['browse']),
        c('required_permissions empty with projects', ['required_permissions'], projects=['OPS'], required_permissions=[]),
        c('required_groups empty entry', ['required_groups'], required_groups=['']),
        c('scoped_token not a bool', ['scoped_token'], scoped_token='maybe'),
        c('api_gateway_url ftp://', ['api_gateway_url'], scoped_token=True, api_gateway_url='ftp://api.atlassian.com'),
        c('validate_certs not a bool', ['validate_certs'], validate_certs='kinda'),
        c('client_cert without client_key', ['client_cert', 'client_key'], client_cert='/nonexistent/cert.pem'),
    ]


# Failure reasons that mean something was sent (or tried to be) instead of being refused.
SENT_REASONS = ('connection_error', 'timeout', 'tls_error', 'not_jira', 'anonymous_response', 'server_error',
                'rate_limited', 'forbidden', 'captcha_required')


def test_table_credentials_info(reliability_record):
    rec = reliability_record
    rec.scenario = 'jira_credentials_info: %d bad inputs, one real module run each (batched)' % len(_creds_cases())
    workdir = new_workdir('bad-creds')
    inventory = netns_inventory(workdir)
    if inventory is None:
        pytest.skip('unshare -n is not available: without a network namespace a missed check would reach the '
                    'internet; the generated tests cover check_inputs and normalize_url directly')
    cases = _creds_cases()
    rec.fault = '; '.join(c[0] for c in cases)
    rec.inputs = len(cases)
    result, dummy = run_batch('jira_credentials_info', cases, inventory=inventory, workdir=workdir)
    scan_run(result, TOKEN, USER)

    def nothing_sent(case_id, out):
        if out.get('failure_reason') in SENT_REASONS:
            return 'was sent (failure_reason %s): %s' % (out['failure_reason'], str(out.get('msg'))[:200])
        return None

    problems = judge(result, cases, nothing_sent)
    assert not problems, '\n'.join(problems)
    rec.check('every case fails with a message naming the option')
    rec.check('nothing sent: no failure_reason of a request; the module ran in an empty network namespace')


def _config_cases(root):
    def d(n):
        path = os.path.join(root, 'c%02d' % n)
        os.makedirs(path)
        return path

    cases = []
    pre = {}

    def c(case_id, words, fmt='yaml', name='jira.yml', content=None, **over):
        n = len(cases)
        directory = d(n)
        args = dict(path=os.path.join(directory, name if fmt == 'yaml' or name != 'jira.yml' else 'jira.' + fmt),
                    format=fmt, url=CLOUD, username=USER, api_token=TOKEN)
        if content is not None:
            with open(args['path'], 'wb') as f:
                f.write(content)
            os.chmod(args['path'], 0o600)
        args.update(over)
        cases.append((case_id, {k: v for k, v in args.items() if v is not None}, words))
        pre[case_id] = directory

    c('path relative', ['path'], path='jira-relative.yml')
    c('path with ..', ['path'], path=os.path.join(root, 'c01', '..', 'c01', 'jira.yml'))
    c('path empty', ['path'], path='')
    c('path is a directory', ['path', 'directory'], path=os.path.join(root, 'c03'))
    c('path with NUL', ['path'], path=os.path.join(root, 'c04', 'jira\x00.yml'))
    c('url empty', ['url'], url='')
    c('url whitespace only', ['url'], url=' \t ')
    c('url newline injection', ['url'], url=CLOUD + '\nurl: https://evil.example')
    c('url NUL', ['url'], url=CLOUD + '\x00')
    c('url 1 MB', ['url'], url=CLOUD + '/' + 'a' * MB)
    c('url evil.example@tenant', ['url'], url='https://evil.example@tenant.atlassian.net')
    c('url with the token as password', ['url'], url='https://svc:%s@tenant.atlassian.net' % TOKEN)
    c('url file://', ['url'], url='file:///etc/shadow')
    c('url javascript:', ['url'], url='javascript:alert(document.cookie)')
    c('url IDN look-alike', ['url', 'ascii'], url='https://ten\u0430nt.atlassian.net')
    c('url port 0', ['url', 'port'], url='https://jira.example.com:0')
    c('url port 65536', ['url', 'port'], url='https://jira.example.com:65536')
    c('url path with ..', ['url'], url='https://jira.example.com/jira/../secure')
    c('url http without allow_insecure_http', ['url', 'allow_insecure_http'], url='http://jira.example.com')
    c('url relative', ['url'], url='/jira')
    c('url wrong type (list)', ['url'], url=[CLOUD])
    c('env: username newline injection', ['username'], fmt='env', username='svc\nJIRA_URL=https://evil.example')
    c('env: api_token NUL', ['api_token'], fmt='env', api_token=TOKEN + '\x00')
    c('ini: api_token newline', ['api_token'], fmt='ini', api_token=TOKEN + '\nextra = 1')
    c('ini: api_token surrounding whitespace', ['api_token'], fmt='ini', api_token=' ' + TOKEN + ' ')
    c('api_token empty', ['api_token'], api_token='')
    c('username empty', ['username'], username='')
    c('format unknown', ['format'], format='xml')
    c('env: key name with a space', ['url', 'key'], fmt='env', keys={'url': 'JIRA URL'})
    c('keys: the same name twice', ['twice'], keys={'url': 'same', 'username': 'same'})
    c('ini: section DEFAULT', ['section', 'DEFAULT'], fmt='ini', section='DEFAULT')
    c('ini: section with newline', ['section'], fmt='ini', section='jira]\n[evil')
    c('ini: section empty', ['section'], fmt='ini', section='')
    c('env: root_key', ['root_key'], fmt='env', root_key='jira')
    c('env: nested settings', ['JIRA_NESTED'], fmt='env', settings={'JIRA_NESTED': {'a': 1}})
    c('ini: setting key with =', ['a=b'], fmt='ini', settings={'a=b': 'x'})
    c('json: setting NaN', ['ratio'], fmt='json', settings={'ratio': float('nan')})
    c('env: 1 MB setting with a newline', ['JIRA_BIG'], fmt='env', settings={'JIRA_BIG': 'a' * MB + '\nX=1'})
    c('settings empty key', ['setting'], settings={'': 'x'})
    c('settings wrong type (list)', ['settings'], settings=['a', 'b'])
    c('parent_mode not octal', ['parent_mode'], path=os.path.join(root, 'c%02d' % len(cases), 'missing', 'jira.yml'),
      create_parent=True, parent_mode='rwx')
    c('parent missing without create_parent', ['create_parent'],
      path=os.path.join(root, 'c%02d' % len(cases), 'missing', 'jira.yml'))
    c('mode 0999', ['mode'], mode='0999')
    c('owner unknown', ['owner'], owner='no-such-user-reliability')
    c('group unknown', ['group'], group='no-such-group-reliability')
    c('validate without %s', ['validate'], validate='/bin/true')
    c('validate command fails', ['validate'], validate='/bin/false %s')
    c('state unknown', ['state'], state='gone')
    c('backup not a bool', ['backup'], backup='sometimes')
    c('allow_insecure_http not a bool', ['allow_insecure_http'], allow_insecure_http='perhaps')
    c('merge into a file that is not UTF-8', ['utf-8'], content=b'api_token: "\xff\xfe"\n', merge=True)
    c('merge into a file that is not valid YAML', ['yaml'], content=b'url: [\n', merge=True)
    c('ini merge into a file with a bad section line', ['ini'], fmt='ini', content=b'[jira\nurl = x\n', merge=True)
    c('merge into a YAML alias bomb', ['alias'], merge=True, content=(
        b'a0: &a0 [x]\n' + b''.join(b'a%d: &a%d [%s]\n' % (i, i, b', '.join([b'*a%d' % (i - 1)] * 10)) for i in range(1, 9))))
    c('merge into a YAML self-referencing alias', ['itself'], content=b'loop: &a [*a]\n', merge=True)
    c('merge into JSON nested 100000 deep', ['deeper'], fmt='json', content=b'[' * 100000 + b']' * 100000, merge=True)
    return cases, pre


def test_table_integration_config(reliability_record):
    rec = reliability_record
    workdir = new_workdir('bad-config')
    root = os.path.join(workdir, 'cases')
    cases, dirs = _config_cases(root)
    rec.scenario = 'jira_integration_config: %d bad inputs, one real module run each (batched)' % len(cases)
    rec.fault = '; '.join(c[0] for c in cases)
    rec.inputs = len(cases)
    before = tree_state(root)
    result, dummy = run_batch('jira_integration_config', cases, workdir=workdir)
    problems = judge(result, cases)
    try:
        scan_run(result, TOKEN, USER, name_only_paths=[root])
    except LeakFound as e:
        problems.append(str(e))
    after = tree_state(root)
    for case_id, directory in dirs.items():
        rel = os.path.relpath(directory, root)
        b = {k: v for k, v in before.items() if k == rel or k.startswith(rel + os.sep)}
        a = {k: v for k, v in after.items() if k == rel or k.startswith(rel + os.sep)}
        if a != b:
            problems.append('%s: the case directory changed: %s' % (case_id, sorted(set(a) ^ set(b)) or 'content'))
    for dirpath, _dirs, files in os.walk(workdir):
        for name in files:
            if name == 'jira-relative.yml' or name.startswith('.jira-tmp-'):
                problems.append('left behind: %s' % os.path.join(dirpath, name))
    assert not problems, '\n'.join(problems)
    rec.check('every case fails with a message naming the option or key')
    rec.check('nothing written: every case directory unchanged (content, mode, inode, mtime), no temp file anywhere')


def test_table_integration_config_info(reliability_record):
    rec = reliability_record
    workdir = new_workdir('bad-config-info')
    path = os.path.join(workdir, 'jira.yml')
    with open(path, 'w') as f:
        f.write('url: "%s"\nusername: "%s"\napi_token: "%s"\n' % (CLOUD, USER, TOKEN))
    os.chmod(path, 0o600)
    cases = [
        ('format unknown', dict(path=path, format='toml'), ['format']),
        ('path with NUL', dict(path=path + '\x00.bak'), ['path']),
        ('format wrong type (list)', dict(path=path, format=['yaml']), ['format']),
        ('allow_insecure_http not a bool', dict(path=path, allow_insecure_http='perhaps'), ['allow_insecure_http']),
    ]
    rec.scenario = 'jira_integration_config_info: %d bad inputs (batched)' % len(cases)
    rec.fault = '; '.join(c[0] for c in cases)
    rec.inputs = len(cases)
    before = tree_state(os.path.dirname(path))
    result, dummy = run_batch('jira_integration_config_info', cases, workdir=workdir)
    scan_run(result, TOKEN, USER, name_only_paths=[path])
    problems = judge(result, cases)
    assert not problems, '\n'.join(problems)
    assert {k: v for k, v in tree_state(os.path.dirname(path)).items() if k == 'jira.yml'} == \
        {k: v for k, v in before.items() if k == 'jira.yml'}
    rec.check('every case fails with a message naming the option; the file read is unchanged')


ROLE_PLAY = """\
- name: Provision the Jira integration
  hosts: jira_hosts
  gather_facts: false
  roles:
    - role: integrations.jira.jira_integration
"""

ROLE_CASES = [
    # (id, variables, variables the failure must name)
    ('values the role checks itself', dict(
        jira_integration_url='', jira_integration_username='   ', jira_integration_api_token='',
        jira_integration_fact_path='relative/jira.fact', jira_integration_projects=['OPS'],
        jira_integration_required_permissions=[], jira_integration_token_max_age_days=0,
        jira_integration_token_warn_days=-1, jira_integration_token_expires_on='tomorrow'),
     ['jira_integration_url', 'jira_integration_username', 'jira_integration_api_token',
      'jira_integration_fact_path', 'jira_integration_required_permissions',
      'jira_integration_token_max_age_days', 'jira_integration_token_warn_days',
      'jira_integration_token_expires_on']),
    ('wrong types and choices (argument spec)', dict(
        jira_integration_retries='many', jira_integration_validate='maybe', jira_integration_config_format='xml',
        jira_integration_timeout='soon'),
     ['jira_integration_retries', 'jira_integration_validate', 'jira_integration_config_format',
      'jira_integration_timeout']),
    ('URL tricks reach the credential check and stop there', dict(
        jira_integration_url='https://evil.example@tenant.atlassian.net'), ['url', 'user name']),
]


@pytest.mark.parametrize('case', ROLE_CASES, ids=[c[0] for c in ROLE_CASES])
def test_table_role_variables(jira_emulator, reliability_record, case):
    case_id, variables, words = case
    emu = jira_emulator
    rec = reliability_record
    rec.scenario = 'role jira_integration: %s' % case_id
    rec.fault = ', '.join('%s=%r' % (k, v if not isinstance(v, str) or len(v) < 60 else v[:60] + '...')
                          for k, v in sorted(variables.items()))
    rec.inputs = len(variables)
    workdir = new_workdir('bad-role')
    hosts = {}
    lines = ['[jira_hosts]']
    for host in ('host-a', 'host-b'):
        base = os.path.join(workdir, 'hosts', host)
        os.makedirs(os.path.join(base, 'etc'))
        cfg = os.path.join(base, 'etc', 'jira.yml')
        with open(cfg, 'w') as f:
            f.write('url: "https://old.example.com"\n')
        hosts[host] = base
        lines.append('%s ansible_connection=local ansible_python_interpreter=%s jira_integration_config_path=%s '
                     'jira_integration_fact_path=%s' % (host, sys.executable, cfg, os.path.join(base, 'x.fact')))
    extra = dict(jira_integration_url=emu.url, jira_integration_username=emu.service_username,
                 jira_integration_api_token=TOKEN, jira_integration_allow_insecure_http=True,
                 jira_integration_deployment='cloud', jira_integration_require_vaulted_token=False,
                 jira_integration_retries=0, jira_integration_timeout=2)
    extra.update(variables)
    env = {'ANSIBLE_NO_TARGET_SYSLOG': 'True'}
    inv = netns_inventory(workdir)
    if inv is not None:
        # The controller-side credential check (delegate_to: localhost) runs without a network.
        env['ANSIBLE_PYTHON_INTERPRETER'] = inv.split('ansible_python_interpreter=')[1].strip()
    pb = os.path.join(workdir, 'site.yml')
    with open(pb, 'w') as f:
        f.write(ROLE_PLAY)
    before = {h: tree_state(b) for h, b in hosts.items()}
    result = run_playbook(pb, inventory='\n'.join(lines) + '\n', extra_vars=extra, verbosity=2,
                          env=exposure_env(workdir, env), workdir=workdir)
    scan_run(result, TOKEN, emu.service_username, name_only_paths=list(hosts.values()))
    assert result.rc != 0, result
    failed = [r for r in result.results if r['status'] == 'failed']
    assert failed, result
    text = ' '.join(str(r['result'].get('msg', '')) for r in failed)
    for word in words:
        assert word.lower() in text.lower(), (word, text[:2000])
    rec.check('the play fails with a message naming %s' % ', '.join(words))
    for host, base in hosts.items():
        assert tree_state(base) == before[host], host
    assert emu.total_requests() == 0
    rec.check('both hosts unchanged, no fact written, no request to Jira')


def _admin_cases():
    conn = dict(url=CLOUD, username='jira-admin@example.com', api_token=TOKEN, deployment='cloud', retries=0, timeout=2)

    def c(case_id, module, words, **over):
        args = dict(conn)
        args.update(over)
        return (case_id, module, {k: v for k, v in args.items() if v is not None}, words)

    return [
        c('jira_group: url evil.example@tenant', 'jira_group', ['url', 'user name'], name='g',
          url='https://evil.example@tenant.atlassian.net'),
        c('jira_group: url javascript:', 'jira_group', ['url'], name='g', url='javascript:alert(1)'),
        c('jira_group: url IDN look-alike', 'jira_group', ['url', 'ascii'], name='g', url='https://ten\u0430nt.atlassian.net'),
        c('jira_group: api_token empty', 'jira_group', ['api_token'], name='g', api_token=''),
        c('jira_group: api_token trailing newline', 'jira_group', ['api_token'], name='g', api_token=TOKEN + '\n'),
        c('jira_group: api_token 1 MB', 'jira_group', ['api_token'], name='g', api_token=TOKEN + 'x' * MB),
        c('jira_group: username with colon', 'jira_group', ['username'], name='g', username='admin:x'),
        c('jira_group: timeout negative', 'jira_group', ['timeout'], name='g', timeout=-3),
        c('jira_group: state unknown', 'jira_group', ['state'], name='g', state='gone'),
        c('jira_group: name empty', 'jira_group', ['name', 'empty'], name=''),
        c('jira_group: name blank', 'jira_group', ['name', 'blank'], name='   '),
        c('jira_group_membership: users with a blank entry', 'jira_group_membership', ['users', 'item 2'], group='g',
          users=['svc@example.com', ' ']),
        c('jira_user: display_name blank', 'jira_user', ['display_name', 'leave the option out'], name='u',
          email='u@example.com', display_name=' '),
        c('jira_group_membership: users wrong type (dict)', 'jira_group_membership', ['users'], group='g',
          users={'a': 1}),
        c('jira_application_role: groups wrong type (dict)', 'jira_application_role', ['groups'], key='jira-software',
          groups={'a': 1}),
        c('jira_project_role: projects missing', 'jira_project_role', ['projects'], role='Developers', groups=['g']),
        c('jira_user: products wrong type (dict)', 'jira_user', ['products'], name='u', email='u@example.com',
          products={'a': 1}),
    ]


def test_table_admin_modules(reliability_record):
    rec = reliability_record
    cases = _admin_cases()
    rec.scenario = 'admin modules (jira_group, _membership, _application_role, _project_role, jira_user): %d bad inputs' % len(cases)
    rec.fault = '; '.join(c[0] for c in cases)
    rec.inputs = len(cases)
    workdir = new_workdir('bad-admin')
    inventory = netns_inventory(workdir)
    if inventory is None:
        pytest.skip('unshare -n is not available: without a network namespace a missed check would reach the internet')
    pb = os.path.join(workdir, 'play.yml')
    with open(pb, 'w', encoding='ascii') as f:
        f.write(batch_play([(case_id, module, args) for case_id, module, args, _words in cases]))
    result = run_playbook(pb, inventory=inventory, verbosity=2, env=exposure_env(workdir, {'ANSIBLE_NO_TARGET_SYSLOG': 'True'}),
                          workdir=workdir)
    scan_run(result, TOKEN, 'jira-admin@example.com')

    def nothing_sent(case_id, out):
        if out.get('failure_reason') in SENT_REASONS:
            return 'was sent (failure_reason %s): %s' % (out['failure_reason'], str(out.get('msg'))[:200])
        return None

    problems = judge(result, [(c[0], c[2], c[3]) for c in cases], nothing_sent)
    assert not problems, '\n'.join(problems)
    rec.check('every case fails with a message naming the option')
    rec.check('nothing sent: no failure_reason of a request; the modules ran in an empty network namespace')
