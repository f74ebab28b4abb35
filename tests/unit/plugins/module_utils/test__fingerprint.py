"""Unit tests of the token fingerprint: a slow, fixed-salt KDF (comparable across hosts), and
recognition of the older unsalted form."""

import hashlib

import pytest

from ansible_collections.integrations.jira.plugins.module_utils import _jira_client as jc

TOKEN = 'ATATT3xFfGF0-fingerprint-example'
SALT = b'integrations.jira token fingerprint v1'
ITERATIONS = 300000


def expected(token):
    """The documented construction, computed here independently of the module."""
    return 'pbkdf2-sha256:' + hashlib.pbkdf2_hmac('sha256', token.encode('utf-8'), SALT, ITERATIONS).hex()[:16]


def test_known_answer_matches_the_documented_construction():
    assert jc.token_fingerprint(TOKEN) == expected(TOKEN)
    assert jc.token_fingerprint(b'raw-bytes-token') == expected('raw-bytes-token')


def test_the_parameters_are_the_documented_ones():
    assert (jc.FINGERPRINT_PREFIX, jc.FINGERPRINT_SALT, jc.FINGERPRINT_ITERATIONS) == ('pbkdf2-sha256:', SALT, ITERATIONS)


def test_stable_and_distinct():
    assert jc.token_fingerprint(TOKEN) == jc.token_fingerprint(TOKEN)
    others = set(jc.token_fingerprint(TOKEN + c) for c in 'ab') | {jc.token_fingerprint(TOKEN)}
    assert len(others) == 3
    assert jc.token_fingerprint(None) is None


def test_no_unsalted_sha256_slice_of_the_token():
    plain = hashlib.sha256(TOKEN.encode('utf-8')).hexdigest()
    fingerprint = jc.token_fingerprint(TOKEN)
    assert not any(plain[i:i + 16] in fingerprint for i in range(len(plain) - 15))
    assert TOKEN not in fingerprint


def test_a_process_computes_each_token_once(monkeypatch):
    jc._fingerprint_cache.clear()
    calls = []
    real = hashlib.pbkdf2_hmac
    monkeypatch.setattr(jc.hashlib, 'pbkdf2_hmac', lambda *a: calls.append(a[1]) or real(*a))
    for _round in range(3):
        jc.token_fingerprint(TOKEN)
        jc.token_fingerprint(TOKEN.encode('utf-8'))
    jc.token_fingerprint(TOKEN + 'x')
    assert calls == [TOKEN.encode('utf-8'), (TOKEN + 'x').encode('utf-8')]


def test_the_old_form_is_recognised_but_never_produced():
    old = 'sha256:' + hashlib.sha256(TOKEN.encode('utf-8')).hexdigest()[:16]
    assert jc.legacy_token_fingerprint(TOKEN) == old
    assert jc.is_legacy_fingerprint(old) and not jc.is_legacy_fingerprint(jc.token_fingerprint(TOKEN))
    assert not jc.token_fingerprint(TOKEN).startswith('sha256:')


@pytest.mark.parametrize('form', ['new', 'old'])
def test_matches_compares_in_the_form_given(form):
    given = jc.token_fingerprint(TOKEN) if form == 'new' else jc.legacy_token_fingerprint(TOKEN)
    assert jc.fingerprint_matches(TOKEN, given)
    assert jc.fingerprint_matches(TOKEN, ' %s ' % given.upper())
    assert not jc.fingerprint_matches(TOKEN + 'x', given)
    assert not jc.fingerprint_matches(None, given)


@pytest.mark.parametrize('given', [None, '', 'md5:0123456789abcdef', '0123456789abcdef', 'pbkdf2-sha256:'])
def test_matches_refuses_unknown_forms(given):
    assert not jc.fingerprint_matches(TOKEN, given)
