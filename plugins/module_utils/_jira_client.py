# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the integrations.jira collection. It may change at any time,
# without notice. Do not use it from other collections or roles.

"""The one place that talks to Jira.

Everything about Jira's HTTP interface lives here: URL rules, authentication, deployment
detection, the retry policy, response classification into a ``failure_reason``, and the
secret masking that keeps the API token out of every message. Modules stay options + flow.

The pure helpers at the top (URL rules, fingerprints, secret values, Retry-After parsing) need
only the standard library, so target-side modules (the config writer) import them on any
Python from 3.6 on without ``requests`` being installed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import email.utils
import hashlib
import ipaddress
import json
import math
import os
import random
import re
import socket
import threading
import time
import traceback
import zlib

try:
    from urllib.parse import quote, quote_plus, urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, keep the import error clear
    from urllib import quote, quote_plus  # type: ignore
    from urlparse import urlsplit  # type: ignore

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

# The config writer's own escaping (it imports nothing from here, so there is no import cycle):
# every spelling a config file can hold is masked with the very function that writes it.
from ansible_collections.integrations.jira.plugins.module_utils._config_formats import _yaml_quote, env_quote

# requests is imported on first use: the config writer imports this file on every target host
# for the URL rules and fingerprints, and must not pay for (or need) requests there.
requests = None
REQUESTS_IMPORT_ERROR = None


def import_requests():
    """The requests module, or None (then REQUESTS_IMPORT_ERROR says why)."""
    global requests, REQUESTS_IMPORT_ERROR
    if requests is None and REQUESTS_IMPORT_ERROR is None:
        try:
            import requests as _requests
        except ImportError:
            REQUESTS_IMPORT_ERROR = traceback.format_exc()
        else:
            requests = _requests
    return requests


# Every failure this collection reports maps to exactly one of these.
FAILURE_REASONS = (
    'invalid_url',
    'insecure_url',
    'connection_error',
    'timeout',
    'tls_error',
    'invalid_credentials',
    'captcha_required',
    'forbidden',
    'account_inactive',
    'anonymous_response',
    'not_jira',
    'rate_limited',
    'server_error',
    'account_mismatch',
    'missing_group',
    'missing_application_role',
    'project_not_found',
    'missing_permission',
)

DEFAULT_API_GATEWAY_URL = 'https://api.atlassian.com'
CLOUD_HOST_SUFFIXES = ('.atlassian.net', '.jira.com')
CLOUD_GATEWAY_HOSTS = ('api.atlassian.com',)

# Statuses worth another try. 401/403 are never retried: each failed login feeds Jira's
# CAPTCHA counter (Data Center locks API logins behind a CAPTCHA after a few failures) and can lock the service account.
RETRY_STATUSES = frozenset((429, 502, 503, 504))
# A broken proxy can answer with megabytes; a Jira JSON answer of interest is far smaller.
MAX_BODY_BYTES = 1024 * 1024
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0

# X-Seraph-LoginReason values that mean "this request was not authenticated as you".
SERAPH_FAILURES = ('AUTHENTICATED_FAILED', 'AUTHENTICATION_DENIED', 'AUTHORISATION_FAILED')

URL_EXAMPLE = 'https://your-site.atlassian.net'
# Atlassian Cloud service accounts have addresses in this domain, and only scoped API tokens.
SERVICE_ACCOUNT_EMAIL_SUFFIX = '@serviceaccount.atlassian.com'
_HOST_LABEL_RE = re.compile(r'^(?!-)[a-z0-9-]{1,63}(?<!-)$')
_REST_PATH_RE = re.compile(r'/(rest|ex/jira)(/|$)', re.IGNORECASE)
# host, [IPv6] or host:port, [IPv6]:port and nothing else (userinfo is refused before this).
_AUTHORITY_RE = re.compile(r'^(?:\[(?P<ipv6>[^\[\]]*)\]|(?P<host>[^:\[\]]*))(?::(?P<port>[^:]*))?\Z')
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: none belongs in a URL,
# a user name or a token, and each can split a line in a log or a config file.
_CONTROL_RE = re.compile(u'[\x00-\x1f\x7f-\x9f\u2028\u2029]')


class JiraError(Exception):
    """A failure with one ``failure_reason`` and a message that says what to do.

    Messages are built by this module only and never contain the token: every message
    passes through :func:`mask_secrets` before it is raised.
    """

    def __init__(self, failure_reason, msg, status=None, details=None):
        if failure_reason not in FAILURE_REASONS:
            raise ValueError('unknown failure_reason %r' % (failure_reason,))
        super(JiraError, self).__init__(msg)
        self.failure_reason = failure_reason
        self.msg = msg
        self.status = status
        self.details = details or {}


# ---------------------------------------------------------------------------------------------
# Pure helpers (standard library only)
# ---------------------------------------------------------------------------------------------

# The fingerprint of a token is public: it is in the 0644 rotation record, in diffs and in job
# logs. A plain hash of it would let anyone who reads it test a word list offline at billions of
# guesses per second, which matters when a weak secret (a Data Center password) is used as the
# token. PBKDF2-HMAC-SHA256 with a high iteration count makes each guess cost as much as one
# fingerprint: 300,000 iterations take about 75 ms on one core of the reference machine
# (Python 3.12, OpenSSL), so an attacker gets about 13 guesses per second per core. The salt is
# fixed and public (documented in docs/vault-workflow.md) so that the same token has the same
# fingerprint on every host and on the controller; it only keeps tables computed for other uses
# of PBKDF2 from applying. Changing salt or count changes every fingerprint: give the result a
# new prefix then.
FINGERPRINT_PREFIX = 'pbkdf2-sha256:'
FINGERPRINT_SALT = b'integrations.jira token fingerprint v1'
FINGERPRINT_ITERATIONS = 300000
# The form written before: a truncated unsalted SHA-256. Only recognised (records and expected
# fingerprints from older runs), never produced.
LEGACY_FINGERPRINT_PREFIX = 'sha256:'
_FINGERPRINT_HEX = 16
_fingerprint_cache = {}


def _token_bytes(token):
    return token if isinstance(token, bytes) else token.encode('utf-8', 'surrogateescape')


def token_fingerprint(token):
    """``pbkdf2-sha256:`` + 16 hex digits of PBKDF2-HMAC-SHA256 of the token (fixed salt, see
    FINGERPRINT_ITERATIONS), or None without a token.

    Identifies a token across hosts without revealing it, and is deliberately slow to compute;
    the result is kept for the life of the process, so a module run pays once per distinct token
    (its new token, the file's old one and the diff markers are often the same). The config
    writer, the info modules and the role all use this one function.
    """
    if token is None:
        return None
    b_token = _token_bytes(token)
    fingerprint = _fingerprint_cache.get(b_token)
    if fingerprint is None:
        digest = hashlib.pbkdf2_hmac('sha256', b_token, FINGERPRINT_SALT, FINGERPRINT_ITERATIONS)
        fingerprint = FINGERPRINT_PREFIX + digest.hex()[:_FINGERPRINT_HEX]
        _fingerprint_cache[b_token] = fingerprint
    return fingerprint


def legacy_token_fingerprint(token):
    """The older ``sha256:`` form (16 hex digits of an unsalted SHA-256): only to recognise a
    fingerprint recorded or given in that form; never output it."""
    if token is None:
        return None
    return LEGACY_FINGERPRINT_PREFIX + hashlib.sha256(_token_bytes(token)).hexdigest()[:_FINGERPRINT_HEX]


def is_legacy_fingerprint(fingerprint):
    return isinstance(fingerprint, str) and fingerprint.startswith(LEGACY_FINGERPRINT_PREFIX)


def fingerprint_matches(token, fingerprint):
    """Whether ``fingerprint`` (in the current or the older form) is the token's, compared in
    the form given. False for no token, no fingerprint or an unknown form."""
    if token is None or not isinstance(fingerprint, str):
        return False
    given = fingerprint.strip().lower()
    if given.startswith(FINGERPRINT_PREFIX):
        return token_fingerprint(token) == given
    if is_legacy_fingerprint(given):
        return legacy_token_fingerprint(token) == given
    return False


def basic_auth_value(username, token):
    """The base64 of ``username:token`` as Jira's basic auth expects it (UTF-8)."""
    raw = ('%s:%s' % (username, token)).encode('utf-8')
    return base64.b64encode(raw).decode('ascii')


def token_spellings(token):
    """Every way this collection or Ansible may write the token itself: raw (ini, headers), URL
    encodings, JSON with and without ensure_ascii, the YAML double-quoted form and the env
    quoting the config writer produces, YAML single quotes and Python's repr."""
    forms = set([token, quote(token, safe='', errors='surrogateescape'), quote(token, errors='surrogateescape'),
                 quote_plus(token, safe='', errors='surrogateescape'),
                 json.dumps(token)[1:-1], json.dumps(token, ensure_ascii=False)[1:-1],
                 _yaml_quote(token)[1:-1], env_quote(token)[1:-1], repr(token)[1:-1],
                 token.replace("'", "''")])
    return set(f for f in forms if f)


def secret_values(username, token):
    """Every form of the token that must never reach output: its spellings (see
    :func:`token_spellings`), base64 of the token and of ``username:token`` (what an
    Authorization header carries). :func:`mask_secrets` also masks any 16-character slice of
    them, in any letter case."""
    values = set()
    if token:
        values.update(token_spellings(token))
        values.add(base64.b64encode(token.encode('utf-8', 'surrogateescape')).decode('ascii'))
        if username is not None:
            raw = ('%s:%s' % (username, token)).encode('utf-8', 'surrogateescape')
            values.add(base64.b64encode(raw).decode('ascii'))
    return values


REDACTED = '<redacted>'
# A cut, re-cased or partly echoed secret still leaks when a long piece of it shows: any run of
# SLICE_LENGTH characters of a secret form is masked. Detection samples the text every
# _PROBE_STEP characters with a shorter probe, so a long text costs a fraction of a set lookup
# per character; every sampled hit is then confirmed against the full slices.
SLICE_LENGTH = 16
_PROBE_STEP = 8
_PROBE_LENGTH = SLICE_LENGTH - _PROBE_STEP + 1
_MASK_CACHE = {}


def _fold(text):
    """Lower-case ``text`` without changing its length (so positions stay valid)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return ''.join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _mask_tables(secrets):
    key = frozenset(s for s in secrets if s)
    tables = _MASK_CACHE.get(key)
    if tables is None:
        whole, slices, probes = set(), set(), set()
        for secret in key:
            low = _fold(secret)
            whole.add(low)
            if len(low) >= SLICE_LENGTH:
                slices.update(low[i:i + SLICE_LENGTH] for i in range(len(low) - SLICE_LENGTH + 1))
                probes.update(low[i:i + _PROBE_LENGTH] for i in range(len(low) - _PROBE_LENGTH + 1))
        tables = (sorted(whole, key=len, reverse=True), slices, probes)
        if len(_MASK_CACHE) > 16:
            _MASK_CACHE.clear()
        _MASK_CACHE[key] = tables
    return tables


def secret_spans(text, secrets):
    """Sorted, merged (start, end) ranges of ``text`` that show a secret: a whole form or any
    SLICE_LENGTH-character slice of one, compared case-insensitively."""
    if not text:
        return []
    whole, slices, probes = _mask_tables(secrets)
    low = _fold(text)
    spans = []
    for secret in whole:
        at = low.find(secret)
        while at >= 0:
            spans.append((at, at + len(secret)))
            at = low.find(secret, at + 1)
    if slices:
        n = len(low)
        for i in range(0, n - _PROBE_LENGTH + 1, _PROBE_STEP):
            if low[i:i + _PROBE_LENGTH] not in probes:
                continue
            for start in range(max(0, i - (SLICE_LENGTH - _PROBE_LENGTH)), min(i, n - SLICE_LENGTH) + 1):
                if low[start:start + SLICE_LENGTH] in slices:
                    spans.append((start, start + SLICE_LENGTH))
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [tuple(m) for m in merged]


def mask_secrets(text, secrets):
    """``text`` with every secret form, and every SLICE_LENGTH-character slice of one, replaced
    by ``<redacted>`` in any letter case (server text may echo a header upper- or lower-cased)."""
    if not text:
        return text
    spans = secret_spans(text, secrets)
    if not spans:
        return text
    out = []
    pos = 0
    for start, end in spans:
        out.append(text[pos:start])
        out.append(REDACTED)
        pos = end
    out.append(text[pos:])
    return ''.join(out)


def mask_then_cut(text, secrets, limit, keep='head'):
    """Mask first, then cut to ``limit`` characters (the start, or with ``keep='tail'`` the end):
    cutting first could split a secret into pieces the mask no longer recognises."""
    if not text:
        return text
    text = mask_secrets(text, secrets)
    if len(text) <= limit:
        return text
    return text[-limit:] if keep == 'tail' else text[:limit]


def mask_data(value, secrets):
    """A copy of ``value`` (dicts, lists, strings) with :func:`mask_secrets` applied to every
    string, keys included: module results carry fields the server chose."""
    if isinstance(value, str):
        return mask_secrets(value, secrets)
    if isinstance(value, dict):
        return dict((mask_data(k, secrets), mask_data(v, secrets)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [mask_data(v, secrets) for v in value]
    return value


def is_cloud_host(hostname):
    hostname = (hostname or '').lower().rstrip('.')
    return hostname in CLOUD_GATEWAY_HOSTS or any(hostname.endswith(s) for s in CLOUD_HOST_SUFFIXES)


def _has_control(text):
    return bool(_CONTROL_RE.search(text))


def _bad_url(option, problem, fix):
    return JiraError('invalid_url', 'Option %s %s. %s' % (option, problem, fix))


def _authority(netloc, scheme, option, fix_root):
    """(host name, host[:port] for the URL) of a URL's authority, checked; the default port is dropped."""
    # The authority is parsed here, not by urlsplit: urlsplit ignores what follows "]" in
    # "[::1]x", drops an empty port ("host:") and leaves percent-escapes in the host.
    bad_port = ('has an invalid port', 'Use a number from 1 to 65535 after the host, or no port.')
    authority = _AUTHORITY_RE.match(netloc)
    if not authority:
        raise _bad_url(option, 'has junk after the host or an invalid host (an IPv6 address goes in [...], '
                               'followed by nothing or :port)', fix_root)
    ipv6, hostname, port_text = authority.group('ipv6'), authority.group('host'), authority.group('port')
    if port_text is not None:
        if port_text == '':
            raise _bad_url(option, 'has an empty port after ":"', 'Give the port number, or remove the ":".')
        if not re.match(r'^[0-9]{1,5}\Z', port_text) or not 0 < int(port_text) <= 65535:
            raise _bad_url(option, *bad_port)
    port = int(port_text) if port_text else None
    if ipv6 is not None:
        try:
            if '%' in ipv6:
                raise ValueError('zone id')
            hostname = ipaddress.IPv6Address(ipv6).compressed
        except ValueError:
            raise _bad_url(option, 'has an invalid IPv6 address in [...] (no zone id)', fix_root)
        host_for_url = '[%s]' % hostname
    else:
        if not hostname:
            raise _bad_url(option, 'has no host', fix_root)
        if '%' in hostname:
            raise _bad_url(option, 'has a percent-encoded host name', 'Write the host name out: ' + fix_root)
        try:
            hostname.encode('ascii')
        except UnicodeError:
            # Look-alike characters in host names are a phishing classic; insist on the ASCII form.
            raise _bad_url(option, 'has a non-ASCII host name', 'Give the ASCII (punycode, xn--...) form of the host name.')
        hostname = hostname.lower().rstrip('.')
        if not hostname or not all(_HOST_LABEL_RE.match(label) for label in hostname.split('.')):
            raise _bad_url(option, 'has an invalid host name', fix_root)
        host_for_url = hostname
    if port is not None and not ((scheme == 'https' and port == 443) or (scheme == 'http' and port == 80)):
        host_for_url = '%s:%d' % (host_for_url, port)
    return hostname, host_for_url


def normalize_url(url, allow_insecure_http=False, option='url'):
    """Check a Jira root URL and return it normalised (lower-case scheme and host, default port
    dropped, no trailing slash, Data Center context path kept).

    Raises :class:`JiraError` (``invalid_url`` or ``insecure_url``). Messages never repeat the
    URL itself: a mistyped URL can carry a secret (``https://user:token@host``).
    """
    fix_root = 'Give the root URL of the Jira site, for example %s (Data Center: https://jira.example.com or https://jira.example.com/jira).' % URL_EXAMPLE
    if not isinstance(url, str) or not url:
        raise _bad_url(option, 'is empty', fix_root)
    if len(url) > 2048:
        raise _bad_url(option, 'is longer than 2048 characters', fix_root)
    if re.search(r'\s', url):
        raise _bad_url(option, 'contains whitespace (a space, tab or newline)', 'Remove it: ' + fix_root)
    if _has_control(url):
        raise _bad_url(option, 'contains control characters', fix_root)
    if '\\' in url:
        # Browsers and some proxies read a backslash as "/", Python's URL parser does not.
        raise _bad_url(option, 'contains a backslash', 'Use forward slashes: ' + fix_root)
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _bad_url(option, 'is not a valid URL', fix_root)
    scheme = parts.scheme.lower()
    if scheme not in ('https', 'http'):
        raise _bad_url(option, 'must use https:// (got %s)' % ('no scheme' if not scheme else 'another scheme'), fix_root)
    if '@' in parts.netloc:
        raise _bad_url(option, 'must not contain a user name or password before the host',
                       'Put the user in the username option and the API token in api_token (a token in a URL ends up in logs).')
    if parts.query or parts.fragment or '?' in url or '#' in url:
        raise _bad_url(option, 'must not contain a query string or fragment', fix_root)
    hostname, host_for_url = _authority(parts.netloc, scheme, option, fix_root)

    path = parts.path.rstrip('/')
    if '//' in path or '/./' in path + '/' or '/../' in path + '/':
        raise _bad_url(option, "has empty, '.' or '..' path segments", fix_root)
    if _REST_PATH_RE.search(path):
        raise _bad_url(option, 'points at a REST API path',
                       'Give the root URL, without /rest/api/... (for example %s); the modules add the API path.' % URL_EXAMPLE)
    if path and is_cloud_host(hostname):
        raise _bad_url(option, 'has a path after a Jira Cloud host',
                       'Jira Cloud has no context path: give just https://%s.' % hostname)

    if scheme == 'http' and not allow_insecure_http:
        raise JiraError('insecure_url', 'Option %s uses http://, so the credentials would travel in clear text. '
                                        'Use the https:// URL, or set allow_insecure_http=true for a test instance.' % option)
    return '%s://%s%s' % (scheme, host_for_url, path)


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    value = str(value).strip()
    if re.match(r'^\d+(\.\d+)?$', value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    current = now() if now else time.time()
    return max(0.0, when.timestamp() - current)


# Jira's X-RateLimit-Reset is an ISO 8601 time (Cloud documents yyyy-MM-ddTHH:mmZ); seconds, a fraction
# and a numeric offset are accepted too.
_ISO_RESET_RE = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?'
                           r'(Z|[+-]\d{2}:?\d{2})$', re.IGNORECASE)


def parse_rate_limit_reset(value, now=None):
    """Seconds until the ISO 8601 time in X-RateLimit-Reset, or None when absent, malformed or past."""
    if value is None:
        return None
    match = _ISO_RESET_RE.match(str(value).strip()[:64])
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        when = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                                 int((fraction or '0').ljust(6, '0')[:6]), tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    current = now() if now else time.time()
    try:
        if zone.upper() != 'Z':
            sign = -1 if zone[0] == '-' else 1
            digits = zone[1:].replace(':', '')
            when -= sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        wait = when.timestamp() - current
    except (OverflowError, ValueError):
        return None
    return wait if wait > 0 else None


# What each documented RateLimit-Reason means, for the rate_limited message.
RATE_LIMIT_REASONS = (
    ('jira-burst-based', 'a short burst of requests went over the per-second limit'),
    ('jira-quota-', 'the hourly request quota is used up until the reset time'),
    ('jira-per-issue-on-write', 'too many writes to one issue in a short time'),
)


def rate_limit_reason(value):
    """``'<reason> (<what it means>)'`` from a RateLimit-Reason header, or None when absent or not a
    plain token (server text never reaches a message unchecked)."""
    if value is None:
        return None
    value = str(value).strip()
    if not re.match(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', value):
        return None
    for prefix, meaning in RATE_LIMIT_REASONS:
        if value.lower().startswith(prefix):
            return '%s: %s' % (value, meaning)
    return value


class RetryPolicy:
    """When to try again, and how long to wait first.

    A positive Retry-After is honoured; without one, a future X-RateLimit-Reset is; otherwise (also
    for ``Retry-After: 0``, which Data Center sends and which would fire the retries back to back)
    exponential backoff with jitter. The sum of all waits never exceeds ``max_retry_wait``: when the
    next wait would pass it, the policy gives up at once instead of sleeping for nothing.
    """

    def __init__(self, retries=3, max_retry_wait=60.0, rand=random.random):
        self.retries = max(0, int(retries))
        self.max_retry_wait = max(0.0, float(max_retry_wait))
        self._rand = rand

    def backoff(self, attempt):
        ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * (2 ** min(attempt, 32)))
        return ceiling * (0.5 + 0.5 * self._rand())

    def delay(self, attempt, retry_after=None, reset_in=None):
        """Wait before retry number ``attempt`` (0-based)."""
        for hint in (retry_after, reset_in):
            if hint is not None and hint > 0:
                return float(hint)
        return self.backoff(attempt)

    def next_wait(self, attempt, waited, retry_after=None, reset_in=None):
        """Seconds to sleep before the next attempt, or None to stop."""
        if attempt >= self.retries:
            return None
        wait = self.delay(attempt, retry_after, reset_in)
        if waited + wait > self.max_retry_wait:
            return None
        return wait


# ---------------------------------------------------------------------------------------------
# Module integration
# ---------------------------------------------------------------------------------------------

class ArgumentSpec(object):
    """An argument spec and its constraints as one bundle, merged and turned into the
    AnsibleModule together (the shape of community.crypto's ``module_utils/argspec.py``
    ArgumentSpec), so a caller cannot take the options and forget their constraints."""

    def __init__(self, argument_spec=None, mutually_exclusive=None, required_together=None, required_one_of=None,
                 required_if=None, required_by=None):
        self.argument_spec = dict(argument_spec or {})
        self.mutually_exclusive = list(mutually_exclusive or [])
        self.required_together = list(required_together or [])
        self.required_one_of = list(required_one_of or [])
        self.required_if = list(required_if or [])
        self.required_by = dict(required_by or {})

    def update_argspec(self, **options):
        self.argument_spec.update(options)
        return self

    def update(self, mutually_exclusive=None, required_together=None, required_one_of=None, required_if=None,
               required_by=None):
        self.mutually_exclusive.extend(mutually_exclusive or [])
        self.required_together.extend(required_together or [])
        self.required_one_of.extend(required_one_of or [])
        self.required_if.extend(required_if or [])
        for option, needs in (required_by or {}).items():
            self.required_by[option] = list(self.required_by.get(option, [])) + list(needs)
        return self

    def merge(self, other):
        """Add ``other``'s options (they win over these) and constraints; returns self."""
        self.update_argspec(**other.argument_spec)
        return self.update(mutually_exclusive=other.mutually_exclusive, required_together=other.required_together,
                           required_one_of=other.required_one_of, required_if=other.required_if,
                           required_by=other.required_by)

    def create_ansible_module(self, **kwargs):
        return AnsibleModule(argument_spec=self.argument_spec, mutually_exclusive=self.mutually_exclusive,
                             required_together=self.required_together, required_one_of=self.required_one_of,
                             required_if=self.required_if, required_by=self.required_by, **kwargs)


def connection_spec():
    """The connection options with their constraints (documented once in the
    ``integrations.jira.connection`` doc fragment)."""
    return ArgumentSpec(
        argument_spec=connection_argument_spec(),
        required_if=[('auth_type', 'basic', ('username',))],
        required_together=[('client_cert', 'client_key')],
    )


def connection_argument_spec():
    """The options of :func:`connection_spec`, without their constraints."""
    return dict(
        url=dict(type='str', required=True, fallback=(env_fallback, ['JIRA_URL'])),
        username=dict(type='str', fallback=(env_fallback, ['JIRA_USERNAME'])),
        api_token=dict(type='str', required=True, no_log=True, aliases=['password'],
                       fallback=(env_fallback, ['JIRA_API_TOKEN'])),
        auth_type=dict(type='str', default='basic', choices=['basic', 'bearer']),
        deployment=dict(type='str', default='auto', choices=['auto', 'cloud', 'datacenter']),
        scoped_token=dict(type='bool', default=False),
        api_gateway_url=dict(type='str', default=DEFAULT_API_GATEWAY_URL),
        allow_insecure_http=dict(type='bool', default=False),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        client_cert=dict(type='path'),
        client_key=dict(type='path', no_log=False),
        timeout=dict(type='float', default=10.0),
        retries=dict(type='int', default=3),
        max_retry_wait=dict(type='float', default=60.0),
    )


# Bounds of the numeric connection options: (smallest, largest, zero allowed). A timeout beyond an hour,
# inf or nan would make the deadline meaningless (or crash the timer); the same goes for the retry budget.
NUMERIC_OPTION_BOUNDS = {
    'timeout': (0.0, 3600.0, False),
    'max_retry_wait': (0.0, 3600.0, True),
    'retries': (0, 100, True),
}


def numeric_option_problem(option, value):
    """A message naming the option when ``value`` is out of its bounds (also nan, inf, None), else None."""
    low, high, zero_ok = NUMERIC_OPTION_BOUNDS[option]
    if option == 'retries':
        wanted = 'a whole number from %d to %d' % (low, high)
    elif zero_ok:
        wanted = 'a number of seconds from %g to %g' % (low, high)
    else:
        wanted = 'a number of seconds above %g and at most %g' % (low, high)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return 'Option %s must be %s (got no number).' % (option, wanted)
    if math.isnan(number) or math.isinf(number):
        return 'Option %s must be %s (got %s).' % (option, wanted, 'nan' if math.isnan(number) else 'an infinite value')
    if number < low or number > high or (number == 0 and not zero_ok):
        return 'Option %s must be %s (got %s).' % (option, wanted, ('%g' % number)[:32])
    return None


def register_secrets(module, username, token):
    """Make Ansible scrub every derived form of the token from the module's result too (Ansible
    compares exactly, so the upper- and lower-case spellings are added as well)."""
    if not isinstance(token, str) or not token or not _is_utf8_text(token):
        return
    if username is not None and (not isinstance(username, str) or not _is_utf8_text(username)):
        username = None
    values = secret_values(username, token)
    if len(token) >= MIN_TOKEN_LENGTH:
        for value in list(values):
            values.update((value.upper(), value.lower()))
    module.no_log_values.update(values)


MAX_TOKEN_LENGTH = 8192
# Atlassian API tokens and personal access tokens are far longer. A very short "token" is a
# slip, and Ansible would mask its characters wherever they occur in any message (no_log).
MIN_TOKEN_LENGTH = 8
MAX_USERNAME_LENGTH = 255


def _is_utf8_text(text):
    try:
        text.encode('utf-8')
    except UnicodeError:  # lone surrogates (undecodable bytes in a variable)
        return False
    return True


def check_credentials(username, token, auth_type='basic', url=None):
    """Refuse, before any request, credentials that could only fail: each failed login feeds
    Jira's CAPTCHA counter, and an empty token would be answered as anonymous. Every module
    that takes credentials (the API modules and the config writer) runs this one check; with
    ``url`` the URL is checked for control characters too (its full rules: :func:`normalize_url`)."""
    if url is not None and isinstance(url, str) and (_has_control(url) or not _is_utf8_text(url)):
        raise JiraError('invalid_url', 'Option url contains control characters (a newline, NUL or similar) or '
                                       'undecodable bytes. Give the plain https:// root URL of the Jira site.')
    if token is None or token == '':
        raise JiraError('invalid_credentials', 'Option api_token is empty: Jira would answer as an anonymous user. '
                                               'Give the API token (from Ansible Vault).')
    if not isinstance(token, str) or not _is_utf8_text(token):
        raise JiraError('invalid_credentials', 'Option api_token is not valid text (undecodable bytes). Give the '
                                               'token exactly as Atlassian showed it.')
    if token != token.strip():
        raise JiraError('invalid_credentials', 'Option api_token has leading or trailing whitespace (a copy-paste '
                                               'slip?). API tokens contain none: remove it.')
    if _has_control(token):
        raise JiraError('invalid_credentials', 'Option api_token contains control characters (a newline, NUL or '
                                               'similar). Give the token exactly as Atlassian showed it.')
    if len(token) > MAX_TOKEN_LENGTH:
        raise JiraError('invalid_credentials', 'Option api_token is longer than %d characters; Atlassian API tokens '
                                               'and personal access tokens are far shorter. Check what the variable '
                                               'holds.' % MAX_TOKEN_LENGTH)
    if auth_type == 'bearer':
        try:
            token.encode('latin-1')
        except UnicodeError:
            # HTTP header values are latin-1: such a token cannot even be sent, and no Jira
            # personal access token contains these characters.
            raise JiraError('invalid_credentials', 'Option api_token contains characters that cannot be sent in an '
                                                   'HTTP Authorization header (outside Latin-1). Jira personal '
                                                   'access tokens are plain ASCII: check what the variable holds.')
    if username is not None and (not isinstance(username, str) or not _is_utf8_text(username)
                                 or _has_control(username)):
        raise JiraError('invalid_credentials', 'Option username contains control characters (a newline, NUL or '
                                               'similar) or undecodable bytes. Give the account name as plain text '
                                               '(Cloud: the email address; Data Center: the login name).')
    if auth_type == 'basic':
        if not username or username != username.strip():
            raise JiraError('invalid_credentials', 'Option username must be a non-empty account name without '
                                                   'surrounding whitespace or control characters (Cloud: the email '
                                                   'address; Data Center: the login name).')
        if ':' in username:
            raise JiraError('invalid_credentials', 'Option username must not contain ":" (HTTP basic authentication '
                                                   'cannot carry it).')
    if username is not None and len(username) > MAX_USERNAME_LENGTH:
        raise JiraError('invalid_credentials', 'Option username is longer than %d characters.' % MAX_USERNAME_LENGTH)
    if len(token) < MIN_TOKEN_LENGTH:
        raise JiraError('invalid_credentials', 'Option api_token is shorter than %d characters, which no Atlassian '
                                               'API token or personal access token is (a placeholder or a slip?). '
                                               'Give the real token.' % MIN_TOKEN_LENGTH)


def client_from_module(module, fail_on_error=True):
    """Build a :class:`JiraClient` from the shared connection options, or fail the module with a
    clear message (missing requests, refused credentials or URL). With ``fail_on_error=False`` a
    refused URL or credential raises :class:`JiraError` for the caller to report.

    ``module`` comes from ``_jira_admin.connection_module``, which has registered the token's
    forms with Ansible already."""
    try:
        return _client_from_params(module)
    except JiraError as e:
        if not fail_on_error:
            raise
        module.fail_json(msg=e.msg, failure_reason=e.failure_reason)


def _client_from_params(module):
    if import_requests() is None:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR,
                         failure_reason=None)
    p = module.params
    check_credentials(p.get('username'), p.get('api_token'), p.get('auth_type', 'basic'))
    for option in ('timeout', 'max_retry_wait', 'retries'):
        problem = numeric_option_problem(option, p.get(option))
        if problem:
            module.fail_json(msg=problem, failure_reason=None)
    return JiraClient(
        url=p['url'], username=p.get('username'), api_token=p['api_token'], auth_type=p['auth_type'],
        deployment=p['deployment'], scoped_token=p['scoped_token'], api_gateway_url=p['api_gateway_url'],
        allow_insecure_http=p['allow_insecure_http'], validate_certs=p['validate_certs'],
        ca_path=p.get('ca_path'), client_cert=p.get('client_cert'), client_key=p.get('client_key'),
        timeout=p['timeout'], retries=p['retries'], max_retry_wait=p['max_retry_wait'],
    )


# ---------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------

# Environment inputs the client honours, decided here rather than left to requests' trust_env (which
# also reads ~/.netrc or $NETRC and then REPLACES the Authorization header given with each request, even
# on the anonymous calls): the proxy variables (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY, any case)
# through requests' own helper, and REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE when ca_path is not given.
# Nothing else: netrc never, so only the credentials given to the module are ever sent.
CA_BUNDLE_ENV = ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')


def environment_proxies(url):
    """The proxies requests would take from the environment for ``url`` (NO_PROXY applied)."""
    return import_requests().utils.get_environ_proxies(url) or {}


def environment_ca_bundle():
    for name in CA_BUNDLE_ENV:
        if os.environ.get(name):
            return os.environ[name]
    return None


class _Deadline:
    """Shuts the request's sockets down when ``seconds`` have passed, so ``timeout`` bounds connect, TLS
    handshake, status line, headers and body together (the socket timeout alone is per read: a server
    sending one header byte every few seconds never trips it). One timer thread waits; nothing polls."""

    def __init__(self, seconds):
        self.expired = False
        self._lock = threading.Lock()
        self._socks = []
        self._timer = None
        if seconds is not None and 0 < seconds < 1e6:
            self._timer = threading.Timer(seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def watch(self, sock):
        """Track ``sock`` (a duplicate of its descriptor: shutdown acts on the connection, and a closed
        original can never let the timer hit a reused descriptor number)."""
        try:
            dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except (OSError, ValueError, AttributeError):
            return
        with self._lock:
            self._socks.append(dup)
            if self.expired:
                _shutdown(dup)

    def _expire(self):
        with self._lock:
            self.expired = True
            for sock in self._socks:
                _shutdown(sock)

    def close(self):
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            socks, self._socks = self._socks, []
        for sock in socks:
            try:
                sock.close()
            except OSError:
                pass


def _shutdown(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


# The deadline of the request this thread is sending (read by the connection classes below).
_current = threading.local()


def _watch_socket(sock):
    deadline = getattr(_current, 'deadline', None)
    if deadline is not None and sock is not None:
        deadline.watch(sock)


_ADAPTER_CLASS = []


def _deadline_adapter():
    """A requests HTTPAdapter whose connections report their socket to the current :class:`_Deadline`:
    when a connection is opened (before connect finishes its TLS handshake) and each time a kept-alive
    one sends a request. Built on first use, as requests is imported lazily. SOCKS proxies keep their
    own connection classes: there the body phase stays bounded, the header phase only per read."""
    if _ADAPTER_CLASS:
        return _ADAPTER_CLASS[0]()
    rq = import_requests()
    import urllib3.connection
    import urllib3.connectionpool

    def watching(base):
        class Watching(base):
            def _new_conn(self, *args, **kwargs):
                sock = super(Watching, self)._new_conn(*args, **kwargs)
                _watch_socket(sock)
                return sock

            def request(self, *args, **kwargs):
                _watch_socket(getattr(self, 'sock', None))
                return super(Watching, self).request(*args, **kwargs)
        Watching.__name__ = 'Deadline' + base.__name__
        return Watching

    class HTTPPool(urllib3.connectionpool.HTTPConnectionPool):
        ConnectionCls = watching(urllib3.connection.HTTPConnection)

    class HTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
        ConnectionCls = watching(urllib3.connection.HTTPSConnection)

    pools = {'http': HTTPPool, 'https': HTTPSPool}

    class DeadlineAdapter(rq.adapters.HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super(DeadlineAdapter, self).init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = dict(pools)

        def proxy_manager_for(self, proxy, **proxy_kwargs):
            manager = super(DeadlineAdapter, self).proxy_manager_for(proxy, **proxy_kwargs)
            if not proxy.lower().startswith('socks'):
                manager.pool_classes_by_scheme = dict(pools)
            return manager

    _ADAPTER_CLASS.append(DeadlineAdapter)
    return DeadlineAdapter()


class _BodyDecoder:
    """Decodes a gzip or deflate answer incrementally, never producing more than ``limit`` bytes: the
    body bound holds on the DECODED size, so a few kilobytes of gzip bomb stop at the bound too."""

    def __init__(self, encoding, limit):
        self.encoding = encoding
        self.limit = limit
        self.size = 0
        self._obj = self._new()
        self._first = True

    def _new(self):
        if self.encoding == 'identity':
            return None
        if self.encoding in ('gzip', 'x-gzip'):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj()  # deflate: zlib-wrapped as RFC 9110 says; raw deflate tried below

    def feed(self, data):
        """Decoded bytes of ``data``; raises ValueError beyond the bound or on a corrupt stream."""
        if self._obj is None:
            return self._count(data)
        out = []
        while data:
            if self._obj.eof:
                # gzip allows several members in a row; after a deflate stream, or before padding, stop.
                if self.encoding == 'deflate' or not data.strip(b'\0'):
                    break
                self._obj = self._new()
            try:
                piece = self._obj.decompress(data, self.limit - self.size + 1)
            except zlib.error:
                if self.encoding == 'deflate' and self._first:
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, without the zlib wrapper
                    self._first = False
                    continue
                raise ValueError('corrupt %s stream' % self.encoding)
            self._first = False
            out.append(self._count(piece))
            data = self._obj.unused_data if self._obj.eof else self._obj.unconsumed_tail
        return b''.join(out)

    def _count(self, piece):
        self.size += len(piece)
        if self.size > self.limit:
            raise ValueError('larger than the bound')
        return piece


class _BrokenAnswer(Exception):
    """The connection failed after the status line: retried like a connection error."""


# Jira's answers nest a few levels; far deeper JSON is hostile (Python's parser would run out
# of stack on it) and is treated as "not Jira".
MAX_JSON_DEPTH = 64
# What is kept of each message Jira (or whatever answers) sends, after masking.
MAX_SERVER_MESSAGE = 300
MAX_SERVER_MESSAGES = 5


def _too_deep(data, limit=MAX_JSON_DEPTH):
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return False


class JiraResponse:
    def __init__(self, status, headers, body, url):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
        self._data = None
        self._parsed = False
        # Set by the client that received the answer: server text is masked with them before
        # any cut (see error_messages).
        self.secrets = ()

    @property
    def content_type(self):
        return (self.headers.get('Content-Type') or '').split(';')[0].strip().lower()

    def json(self):
        """The decoded JSON body, or None when the body is not JSON (or nests absurdly deep)."""
        if not self._parsed:
            self._parsed = True
            try:
                data = json.loads(self.body.decode('utf-8'))
            except (ValueError, UnicodeDecodeError, RecursionError):
                data = None
            if data is not None and _too_deep(data):
                data = None
            self._data = data
        return self._data

    def looks_like_html(self):
        head = self.body[:512].lstrip().lower()
        return self.content_type in ('text/html', 'application/xhtml+xml') or head.startswith(b'<!doctype') or head.startswith(b'<html')

    def error_messages(self):
        """Jira's ErrorCollection messages (errorMessages + errors), when the body has them:
        each masked first, then cut (a cut could split a secret past recognition)."""
        data = self.json()
        messages = []
        if isinstance(data, dict):
            listed = data.get('errorMessages')
            if isinstance(listed, list):
                messages.extend(str(m) for m in listed[:MAX_SERVER_MESSAGES] if isinstance(m, (str, int, float)))
            errors = data.get('errors')
            if isinstance(errors, dict):
                for k, v in sorted(errors.items())[:MAX_SERVER_MESSAGES]:
                    if isinstance(v, (str, int, float)):
                        messages.append('%s: %s' % (k, v))
            if not messages and isinstance(data.get('message'), str):
                messages.append(data['message'])
        return [mask_then_cut(m, self.secrets, MAX_SERVER_MESSAGE) for m in messages[:MAX_SERVER_MESSAGES]]


class JiraClient:
    """HTTP client for one Jira site with one set of credentials.

    ``sleep``, ``clock`` and ``session`` are injectable so the retry policy is unit-tested
    with a fake clock and no real sleeping.
    """

    def __init__(self, url, username, api_token, auth_type='basic', deployment='auto', scoped_token=False,
                 api_gateway_url=DEFAULT_API_GATEWAY_URL, allow_insecure_http=False, validate_certs=True,
                 ca_path=None, client_cert=None, client_key=None, timeout=10.0, retries=3, max_retry_wait=60.0,
                 session=None, sleep=time.sleep, clock=time.monotonic, rand=random.random):
        self.username = username
        self._token = api_token
        self._secrets = secret_values(username, api_token)
        self.auth_type = auth_type
        self.url = normalize_url(url, allow_insecure_http=allow_insecure_http)
        self.scoped_token = bool(scoped_token)
        self.api_gateway_url = normalize_url(api_gateway_url or DEFAULT_API_GATEWAY_URL,
                                             allow_insecure_http=allow_insecure_http, option='api_gateway_url') \
            if self.scoped_token else None
        self.requested_deployment = deployment
        self.timeout = float(timeout)
        self.policy = RetryPolicy(retries, max_retry_wait, rand=rand)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.client_cert = client_cert
        self.client_key = client_key
        self._session = session
        self._sleep = sleep
        self._clock = clock
        self.deployment = None
        self.api_url = None
        self.cloud_id = None
        self.server_info = None
        self.request_count = 0

    # -- low level ------------------------------------------------------------------------

    def _mask(self, text):
        return mask_secrets(text, self._secrets)

    def _fail(self, reason, msg, status=None, **details):
        return JiraError(reason, self._mask(msg), status=status, details=details)

    def _auth_header(self):
        if self.auth_type == 'bearer':
            return 'Bearer %s' % self._token
        return 'Basic %s' % basic_auth_value(self.username, self._token)

    def _get_session(self):
        if self._session is None:
            session = import_requests().Session()
            # No netrc, no implicit environment: see environment_proxies / environment_ca_bundle.
            session.trust_env = False
            adapter = _deadline_adapter()
            session.mount('https://', adapter)
            session.mount('http://', adapter)
            self._session = session
        return self._session

    def _verify(self):
        if not self.validate_certs:
            return False
        return self.ca_path or environment_ca_bundle() or True

    def _timeout_error(self, url):
        return self._fail('timeout', 'Could not reach Jira at %s in time: no complete answer within timeout=%s '
                                     'seconds (from connecting to the last byte). Check the network path (proxy, '
                                     'firewall) to it, or raise timeout.' % (_origin(url), self.timeout))

    def _read_body(self, resp, deadline):
        """Read and decode at most MAX_BODY_BYTES, and give up at the deadline even when the server drips
        bytes slowly enough never to trip the socket timeout."""
        encoding = (resp.headers.get('Content-Encoding') or 'identity').strip().lower()
        if encoding not in ('identity', 'gzip', 'x-gzip', 'deflate'):
            raise self._fail('not_jira', 'The answer from %s is compressed with an encoding this client does not '
                                         'decode (it asks for none): a proxy in front of Jira rewrites answers.' % self.url)
        decoder = _BodyDecoder(encoding, MAX_BODY_BYTES)
        chunks = []
        read1 = getattr(resp.raw, 'read1', None)
        while True:
            if self._clock() > deadline:
                raise self._timeout_error(self.url)
            # Raw bytes: requests opens the stream with decode_content=False, decoding is ours (bounded).
            if read1 is not None:
                chunk = read1(65536)
            else:  # urllib3 < 2
                chunk = resp.raw.read(16384)
            if not chunk:
                break
            try:
                chunks.append(decoder.feed(chunk))
            except ValueError as e:
                if decoder.size > MAX_BODY_BYTES:
                    raise self._fail('not_jira', 'The answer from %s is larger than %d bytes%s, which no Jira REST '
                                                 'answer of interest is: the URL probably points at something other '
                                                 'than Jira (a proxy or a file server).'
                                     % (self.url, MAX_BODY_BYTES, ' once decoded' if encoding != 'identity' else ''))
                raise self._fail('not_jira', 'The answer from %s is not valid %s data (%s): a proxy in front of '
                                             'Jira mangles answers.' % (self.url, encoding, e))
        return b''.join(chunks)

    def _send_once(self, method, url, params, json_body, authenticate):
        # identity: Jira's answers are small, and a compressed answer is one more thing to bound (a server
        # that compresses anyway is decoded within the body bound by _read_body).
        headers = {'Accept': 'application/json', 'User-Agent': 'integrations.jira', 'Accept-Encoding': 'identity'}
        if authenticate:
            # Pre-emptive: Jira sends no challenge and would silently answer as anonymous.
            headers['Authorization'] = self._auth_header()
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode('utf-8')
            headers['Content-Type'] = 'application/json'
            headers['X-Atlassian-Token'] = 'no-check'
        cert = (self.client_cert, self.client_key) if self.client_cert else None
        start = self._clock()
        self.request_count += 1
        deadline = _Deadline(self.timeout)
        _current.deadline = deadline
        resp = None
        try:
            resp = self._get_session().request(
                method, url, params=params, data=data, headers=headers, timeout=self.timeout,
                verify=self._verify(), cert=cert, allow_redirects=False, stream=True,
                proxies=environment_proxies(url))
            try:
                body = self._read_body(resp, start + self.timeout)
            finally:
                resp.close()
            if deadline.expired:  # the shutdown can look like a normal end of the body
                raise self._timeout_error(url)
        except JiraError:
            raise
        except Exception as e:
            if deadline.expired:
                raise self._timeout_error(url)
            if resp is None:
                raise  # send() classifies the requests exception
            # urllib3 errors surface unwrapped from the raw stream
            if isinstance(e, socket.timeout) or 'timeout' in e.__class__.__name__.lower():
                raise self._fail('timeout', 'Could not reach Jira at %s in time: it stopped sending its answer for '
                                            'more than timeout=%s seconds. Check the network path (proxy, firewall) '
                                            'to it, or raise timeout.' % (_origin(url), self.timeout))
            raise _BrokenAnswer('the connection broke in the middle of the answer (%s)' % _short_exc(e, self._secrets))
        finally:
            _current.deadline = None
            deadline.close()
        return JiraResponse(resp.status_code, resp.headers, body, url)

    def send(self, method, url, params=None, json_body=None, authenticate=True):
        """One logical request with the retry policy applied. Returns a :class:`JiraResponse`
        for any HTTP status; raises :class:`JiraError` for transport failures."""
        rq = import_requests()
        attempt = 0
        waited = 0.0
        while True:
            retry_after = None
            try:
                resp = self._send_once(method, url, params, json_body, authenticate)
            except JiraError:
                raise
            except rq.exceptions.SSLError as e:
                raise self._fail('tls_error', 'Could not reach Jira at %s: the TLS check failed (%s). If the site '
                                              'uses a private CA, give its certificate in ca_path; check that the URL '
                                              'host matches the certificate and that it has not expired. '
                                              'validate_certs=false only for a throwaway test instance.'
                                 % (_origin(url), _short_exc(e, self._secrets)))
            except (rq.exceptions.ConnectTimeout, rq.exceptions.ReadTimeout) as e:
                raise self._fail('timeout', 'Could not reach Jira at %s: no answer within timeout=%s seconds (%s). '
                                            'Check the network path (proxy, firewall) or raise timeout.'
                                 % (_origin(url), self.timeout, _short_exc(e, self._secrets)))
            except (rq.exceptions.ConnectionError, _BrokenAnswer) as e:
                last = self._fail('connection_error', 'Could not reach Jira at %s: %s. Check the host name, the port, '
                                                      'DNS, any proxy, and that Jira is running and reachable from '
                                                      'this host.' % (_origin(url), _short_exc(e, self._secrets)))
                wait = self.policy.next_wait(attempt, waited)
                if wait is None:
                    raise last
            except rq.exceptions.RequestException as e:
                raise self._fail('connection_error', 'Could not reach Jira at %s: %s.' % (_origin(url), _short_exc(e, self._secrets)))
            else:
                if resp.status not in RETRY_STATUSES:
                    return resp
                retry_after = parse_retry_after(resp.headers.get('Retry-After'))
                reset_in = None
                if resp.status == 429 and not retry_after:
                    reset_in = parse_rate_limit_reset(resp.headers.get('X-RateLimit-Reset'))
                wait = self.policy.next_wait(attempt, waited, retry_after, reset_in)
                if wait is None:
                    return resp
            self._sleep(wait)
            waited += wait
            attempt += 1

    # -- Jira semantics ---------------------------------------------------------------------

    def _adopt(self, resp):
        """Let ``resp`` mask this client's secrets in the server text it hands out."""
        resp.secrets = self._secrets
        return resp

    def _status_error(self, resp, what):
        """Map a non-2xx answer to exactly one failure_reason."""
        self._adopt(resp)
        status = resp.status
        seraph = (resp.headers.get('X-Seraph-LoginReason') or '').upper()
        denied = resp.headers.get('X-Authentication-Denied-Reason') or ''
        jira_says = '; '.join(resp.error_messages())
        jira_says = (' Jira says: %s' % jira_says) if jira_says else ''
        if 300 <= status < 400:
            location = resp.headers.get('Location') or ''
            if re.search(r'login|sso|saml|oauth|authorize|signin', location, re.IGNORECASE):
                return self._fail('anonymous_response', '%s was redirected to a login page: Jira did not accept the '
                                                        'request as an API login (single sign-on enforced, or basic '
                                                        'authentication disabled for this account).' % what, status)
            return self._fail('not_jira', '%s was redirected (HTTP %d) to %s. Give the final https:// root URL of '
                                          'the Jira site in url.' % (what, status, _origin(location) or 'another address'), status)
        if status == 401:
            hints = []
            if self.deployment == 'cloud':
                # Most relevant first. The token itself tells nothing: classic and scoped API
                # tokens both start with ATATT. Service accounts (...@serviceaccount.atlassian.com)
                # only have scoped tokens, so for them the gateway hint leads; otherwise it is last.
                if self.auth_type == 'basic' and self.username and '@' not in self.username:
                    hints.append('on Jira Cloud the username is the account\'s email address')
                scoped_hint = None
                if not self.scoped_token:
                    scoped_hint = ('a scoped API token (and every service-account token) works only through the API '
                                   'gateway: set scoped_token=true')
                    if (self.username or '').lower().endswith(SERVICE_ACCOUNT_EMAIL_SUFFIX):
                        hints.append(scoped_hint)
                        scoped_hint = None
                elif 'scope does not match' in resp.body.decode('utf-8', 'replace'):
                    hints.append('the scoped token lacks a scope this check needs (read:jira-user)')
                hints.append('tokens expire (at most one year after creation) and are revoked when the account leaves')
                if scoped_hint:
                    hints.append(scoped_hint)
            else:
                hints.append('on Data Center the username is the login name, not the email')
                if self.auth_type == 'basic':
                    hints.append('Jira 11 disables basic authentication by default: use a personal access token '
                                 'with auth_type=bearer')
            return self._fail('invalid_credentials', 'Jira rejected the credentials for %s (HTTP 401). Check the '
                                                     'username and create a new API token if this one was revoked '
                                                     'or has expired; %s.' % (what, '; '.join(hints)), status)
        if status == 403:
            if 'CAPTCHA' in denied.upper() or 'AUTHENTICATION_DENIED' in seraph:
                return self._fail('captcha_required', 'Jira has locked API logins for this account behind a CAPTCHA '
                                                      'after failed logins (HTTP 403, X-Authentication-Denied-Reason). '
                                                      'Log in once as this user in a browser and solve the CAPTCHA, '
                                                      'then fix the token; no retry was attempted, as each one would '
                                                      'count as another failed login.', status)
            return self._fail('forbidden', 'Jira refused %s (HTTP 403).%s Check that the account has the permission '
                                           'this needs (for administration steps: Jira administrator).' % (what, jira_says), status)
        if status == 404:
            return self._fail('not_jira', 'Jira has no REST API at %s (HTTP 404). Check the URL: on Data Center '
                                          'include the context path (e.g. https://jira.example.com/jira); on Cloud '
                                          'give just https://<site>.atlassian.net.%s' % (_origin(resp.url) + _path(resp.url), jira_says), status)
        if status == 429:
            reason = rate_limit_reason(resp.headers.get('RateLimit-Reason'))
            return self._fail('rate_limited', 'Jira kept answering "429 Too Many Requests" to %s%s after %d retries '
                                              'within max_retry_wait=%ss. Retry later, or raise retries / max_retry_wait.'
                              % (what, (' (RateLimit-Reason: %s)' % reason) if reason else '', self.policy.retries,
                                 self.policy.max_retry_wait), status)
        if status >= 500:
            return self._fail('server_error', 'Jira answered HTTP %d to %s (after retries for 502/503/504). Jira or a '
                                              'proxy in front of it has a problem: check its status and retry later.%s'
                              % (status, what, jira_says), status)
        return self._fail('not_jira', 'Unexpected HTTP %d from %s.%s' % (status, what, jira_says), status)

    def _anonymous_or_not_jira(self, resp, what):
        """A 2xx that is not what an authenticated Jira REST call returns."""
        self._adopt(resp)
        seraph = _seraph_failure(resp)
        if seraph:
            # Only the known reason is repeated, never the header as sent (it is server text).
            return self._fail('anonymous_response', 'Jira answered %s as an anonymous user (X-Seraph-LoginReason: %s): '
                                                    'the credentials were not accepted. Check the username and the '
                                                    'API token.' % (what, seraph), resp.status)
        if not resp.body.strip():
            return self._fail('anonymous_response', 'Jira answered %s with an empty body instead of the account: the '
                                                    'credentials were not accepted.' % what, resp.status)
        if resp.looks_like_html():
            head = resp.body[:4096].decode('utf-8', 'replace').lower()
            if re.search(r'log ?in|sign ?in|sso|saml|password', head):
                return self._fail('anonymous_response', 'Jira answered %s with a login or single sign-on page (HTML) '
                                                        'instead of the account: the request was not authenticated. '
                                                        'SSO may intercept API calls; use an API token for a local or '
                                                        'service account.' % what, resp.status)
            return self._fail('not_jira', 'The answer to %s is an HTML page, not Jira REST JSON: url points at a '
                                          'web site but not at the Jira root (check the host and context path).' % what, resp.status)
        return self._fail('not_jira', 'The answer to %s is not the JSON Jira returns: url probably points at '
                                      'something other than the Jira root.' % what, resp.status)

    def get_json(self, path, params=None, what=None, expect=dict):
        """GET ``<api_url><path>`` and return the decoded JSON, or raise JiraError."""
        self.resolve()
        what = what or 'GET %s' % path
        resp = self.send('GET', self.api_url + path, params=params)
        return self.check_json(resp, what, expect)

    def check_json(self, resp, what, expect=dict):
        self._adopt(resp)
        if not 200 <= resp.status < 300:
            raise self._status_error(resp, what)
        data = resp.json()
        if expect is not None and not isinstance(data, expect):
            raise self._anonymous_or_not_jira(resp, what)
        return data

    def request(self, method, path, params=None, json_body=None, what=None, ok=(200, 201, 204)):
        """Any REST call for modules that change Jira (group, user, ...). ``path`` is relative to
        the REST base (``/group``). Returns the JiraResponse for ``ok`` statuses (plus 400/404
        so callers can read Jira's ErrorCollection), raises JiraError for the rest."""
        self.resolve()
        what = what or '%s %s' % (method, path)
        resp = self._adopt(self.send(method, self.api_url + path, params=params, json_body=json_body))
        if resp.status in ok or resp.status in (400, 404):
            if 200 <= resp.status < 300 and resp.body.strip() and resp.json() is None:
                raise self._anonymous_or_not_jira(resp, what)
            return resp
        raise self._status_error(resp, what)

    # -- deployment and base URL -----------------------------------------------------------------

    def resolve(self):
        """Settle the deployment and the REST base URL, asking Jira only when needed."""
        if self.api_url is not None:
            return
        deployment = self.requested_deployment
        if self.scoped_token:
            deployment = 'cloud'
        elif deployment == 'auto':
            if is_cloud_host(urlsplit(self.url).hostname):
                deployment = 'cloud'
            else:
                deployment = self._detect_deployment()
        self.deployment = deployment
        if deployment == 'cloud' and self.auth_type == 'bearer':
            raise self._fail('invalid_credentials', 'auth_type=bearer is for Data Center personal access tokens; '
                                                    'Jira Cloud API tokens use basic authentication with the email '
                                                    'address as username (auth_type=basic).')
        if self.scoped_token:
            self.cloud_id = self._tenant_cloud_id()
            self.api_url = '%s/ex/jira/%s/rest/api/3' % (self.api_gateway_url, self.cloud_id)
        elif deployment == 'cloud':
            self.api_url = self.url + '/rest/api/3'
        else:
            self.api_url = self.url + '/rest/api/2'

    def _detect_deployment(self):
        # Anonymous on purpose: serverInfo answers anyone, and a failed login here would feed the
        # CAPTCHA counter for nothing.
        resp = self.send('GET', self.url + '/rest/api/2/serverInfo', authenticate=False)
        if resp.status in (401, 403):
            return 'datacenter'  # public access disabled: only self-hosted Jira does that
        data = self.check_json(resp, 'GET /rest/api/2/serverInfo')
        if 'deploymentType' not in data and 'baseUrl' not in data:
            raise self._anonymous_or_not_jira(resp, 'GET /rest/api/2/serverInfo')
        self.server_info = data
        return 'cloud' if str(data.get('deploymentType', '')).lower() == 'cloud' else 'datacenter'

    def _tenant_cloud_id(self):
        resp = self.send('GET', self.url + '/_edge/tenant_info', authenticate=False)
        data = self.check_json(resp, 'GET /_edge/tenant_info (cloudId lookup for the scoped token)')
        cloud_id = data.get('cloudId')
        if not isinstance(cloud_id, str) or not re.match(r'^[A-Za-z0-9-]{1,64}\Z', cloud_id):
            raise self._fail('not_jira', 'GET /_edge/tenant_info gave no cloudId: scoped_token=true needs a Jira '
                                         'Cloud site URL.')
        return cloud_id

    # -- calls used by the modules ------------------------------------------------------------

    def myself(self, expand=()):
        """The authenticated account, proven: raises unless Jira answered with a real user."""
        params = {'expand': ','.join(expand)} if expand else None
        self.resolve()
        what = 'GET /myself'
        resp = self.send('GET', self.api_url + '/myself', params=params)
        data = self.check_json(resp, what)
        identity = data.get('accountId') if self.deployment == 'cloud' else (data.get('name') or data.get('key'))
        # A 2xx with a complete user object still proves nothing when Seraph says the login
        # failed: Jira Cloud answers bad credentials as anonymous, and a proxy may add a user.
        if _seraph_failure(resp) or not identity or not isinstance(identity, str):
            raise self._anonymous_or_not_jira(resp, what)
        if data.get('active') is False:
            name = data.get('displayName')
            raise self._fail('account_inactive', 'The Jira account %s is deactivated. Reactivate it (Jira '
                                                 'administration, User management) or use an active service account.'
                             % (name if isinstance(name, str) and name else identity))
        return data

    def get_server_info(self):
        if self.server_info is None:
            self.resolve()
            self.server_info = self.get_json('/serverInfo', what='GET /serverInfo')
        return self.server_info

    def my_permissions(self, project_key, permissions):
        """``{PERMISSION: bool}`` for one project. Data Center takes no ``permissions`` parameter
        and returns all of them."""
        self.resolve()
        params = {'projectKey': project_key}
        if self.deployment == 'cloud':
            params['permissions'] = ','.join(permissions)
        what = 'GET /mypermissions for project %s' % project_key
        resp = self._adopt(self.send('GET', self.api_url + '/mypermissions', params=params))
        if resp.status in (400, 404) and resp.json() is not None:
            raise self._fail('project_not_found', 'Project %s does not exist or this account cannot see it (HTTP %d). '
                                                  'Check the project key and the account\'s project access.%s'
                             % (project_key, resp.status,
                                (' Jira says: ' + '; '.join(resp.error_messages())) if resp.error_messages() else ''),
                             resp.status)
        data = self.check_json(resp, what)
        table = data.get('permissions')
        if not isinstance(table, dict) or not all(isinstance(table.get(key, {}), dict) for key in permissions):
            raise self._anonymous_or_not_jira(resp, what)
        return dict((key, (table.get(key) or {}).get('havePermission') is True) for key in permissions)


def _seraph_failure(resp):
    """The SERAPH_FAILURES value in the X-Seraph-LoginReason header (any case), or None."""
    header = (resp.headers.get('X-Seraph-LoginReason') or '').upper()
    for reason in SERAPH_FAILURES:
        if reason in header:
            return reason
    return None


# (words found in the exception text, lower case) -> the clean phrase a message shows.
_EXC_PHRASES = (
    (('connection refused', 'errno 111', 'winerror 10061'), 'connection refused'),
    (('name or service not known', 'nodename nor servname', 'temporary failure in name resolution',
      'getaddrinfo failed', 'no address associated', 'nameresolutionerror', 'failed to resolve'),
     'host name not resolved (DNS)'),
    (('no route to host',), 'no route to host'),
    (('network is unreachable',), 'network unreachable'),
    (('connection reset', 'errno 104'), 'connection reset'),
    (('remotedisconnected', 'remote end closed connection', 'connection aborted', 'connection broken'),
     'the server closed the connection without a complete answer'),
    (('timed out', 'timeout'), 'timed out'),
)
_CERT_REASON_RE = re.compile(r"certificate verify failed: (.*?)\s*(?:\(_ssl\.c|[\"\]]|'\)|$)", re.IGNORECASE)


def _short_exc(exc, secrets=()):
    """A clean phrase for a transport exception (connection refused, host name not resolved (DNS),
    timed out, connection reset, certificate verify failed: <reason>) without nested reprs or errno.
    Free text is masked before it is cut (a cut secret would escape the mask)."""
    text = ' '.join(str(exc).split())
    low = text.lower()
    if 'certificate_verify_failed' in low or 'certificate verify failed' in low:
        match = _CERT_REASON_RE.search(text)
        reason = match.group(1).strip().rstrip('.') if match else ''
        return mask_then_cut('certificate verify failed: %s' % reason if reason else 'certificate verify failed', secrets, 200)
    if 'wrong_version_number' in low or 'wrong version number' in low:
        return 'TLS handshake failed (the server does not speak TLS on this port)'
    for markers, phrase in _EXC_PHRASES:
        if any(marker in low for marker in markers):
            return phrase
    text = re.sub(r'<[^<>]* object at 0x[0-9a-fA-F]+>:?\s*', '', text)
    return mask_then_cut(text, secrets, 200) if text else exc.__class__.__name__


def _origin(url):
    try:
        parts = urlsplit(url)
    except ValueError:
        return ''
    if not parts.scheme or not parts.hostname:
        return ''
    netloc = parts.hostname + (':%d' % parts.port if parts.port else '')
    return '%s://%s' % (parts.scheme, netloc)


def _path(url):
    try:
        return urlsplit(url).path
    except ValueError:
        return ''
