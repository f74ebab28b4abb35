"""jira_integration_config_info through real Ansible: what it reports for files the writer made and
for hand-written files with problems, never the token (checked at -vvvv), same in check mode.
A few plain calls go through pytest-ansible's ``localhost`` fixture."""

import json
import os

import pytest

from support.ansible import FQCN_PREFIX, assert_no_secret

from test_jira_integration_config import (FORMATS, URL, USER, base_args, fingerprint, keys_of, new_token, out,
                                          play, target_dir, task)

INFO = FQCN_PREFIX + 'jira_integration_config_info'


def test_reports_what_the_writer_wrote_without_the_token():
    d = target_dir()
    t = new_token('i')
    tasks = []
    for fmt in FORMATS:
        path = os.path.join(d, 'jira.' + fmt)
        tasks += [task('%s write' % fmt, base_args(fmt, path, t)),
                  task('%s info' % fmt, dict(path=path, format=fmt), module=INFO),
                  task('%s info in check mode' % fmt, dict(path=path, format=fmt), module=INFO, check_mode=True)]
    r = play(tasks, [t])
    assert r.rc == 0, r
    for fmt in FORMATS:
        for name in ('%s info' % fmt, '%s info in check mode' % fmt):
            info = out(r, name)
            assert info['changed'] is False and info['exists'] is True
            assert info['url'] == URL and info['username'] == USER
            assert info['token_fingerprint'] == fingerprint(t)
            assert info['mode'] == '0600' and info['owner'] and info['group']
            assert info['problems'] == []
            expected = {'JIRA_TIMEOUT': '30'} if fmt == 'env' else (
                {'timeout': '30', 'verify': 'true'} if fmt == 'ini' else {'timeout': 30, 'verify': True})
            assert info['settings'] == expected


HAND_WRITTEN = {
    # (format, content, mode, extra info args) -> expected problem codes
    'wide mode and whitespace token': ('yaml', u'url: https://x.atlassian.net\nusername: u\napi_token: " %s "\n', 0o644,
                                       {}, ['mode_too_wide', 'token_whitespace']),
    'missing token': ('json', u'{"url": "https://x.atlassian.net", "username": "u"}', 0o600, {},
                      ['missing_key: api_token']),
    'empty username and http url': ('env', u'JIRA_URL=http://jira.local\nJIRA_USERNAME=\nJIRA_API_TOKEN=%s\n', 0o600,
                                    {}, ['empty_value: username', 'insecure_url']),
    'http allowed': ('env', u'JIRA_URL=http://jira.local\nJIRA_USERNAME=u\nJIRA_API_TOKEN=%s\n', 0o600,
                     {'allow_insecure_http': True}, []),
    'missing section': ('ini', u'[other]\napi_token = %s\n', 0o600, {}, ['missing_section', 'missing_key: url']),
    'invalid url': ('ini', u'[jira]\nurl = https://u:p@x.atlassian.net\nusername = u\napi_token = %s\n', 0o600, {},
                    ['invalid_url']),
    'not json': ('json', u'{"api_token": "%s",', 0o600, {}, ['parse_error']),
    'group readable': ('ini', u'[jira]\nurl = https://x.atlassian.net\nusername = u\napi_token = %s\n', 0o640, {},
                       ['mode_too_wide: 0640 is readable by group (want 0600)']),
    'number token': ('yaml', u'url: https://x.atlassian.net\nusername: u\napi_token: 12345\n', 0o600, {},
                     ['not_a_string: api_token']),
}


CODES = {'not_found', 'not_a_file', 'symlink', 'unreadable', 'not_utf8', 'parse_error', 'missing_section',
         'missing_root_key', 'missing_key', 'empty_value', 'not_a_string', 'token_whitespace', 'invalid_url',
         'insecure_url', 'mode_too_wide'}


def test_problems_have_stable_codes():
    d = target_dir()
    t = 'Tok-' + new_token('h').split('-')[1].split(' ')[0]  # a plain token: the files are written by hand
    tasks = []
    for n, case in enumerate(sorted(HAND_WRITTEN)):
        fmt, content, mode, extra, _expected = HAND_WRITTEN[case]
        path = os.path.join(d, '%d.%s' % (n, fmt))
        with open(path, 'w', encoding='utf-8') as f:
            f.write(content.replace('%s', t))
        os.chmod(path, mode)
        tasks.append(task(case, dict(path=path, format=fmt, **extra), module=INFO))
    r = play(tasks, [t])
    assert r.rc == 0, r
    for case in sorted(HAND_WRITTEN):
        fmt, content, mode, extra, expected = HAND_WRITTEN[case]
        info = out(r, case)
        problems = info['problems']
        for want in expected:
            assert any(p == want or p.split(':')[0] == want for p in problems), (case, want, problems)
        if not expected:
            assert problems == [], case
        codes = [p.split(':')[0] for p in problems]
        assert set(codes) <= CODES, problems
        if '%s' in content and 'parse_error' not in codes and 'missing_section' not in codes:
            assert info['token_fingerprint'] == fingerprint(' %s ' % t if 'whitespace' in case else t), case


def test_missing_file_symlink_and_directory():
    d = target_dir()
    real = os.path.join(d, 'real.yaml')
    t = new_token('s')
    r = play([task('write', base_args('yaml', real, t))], [t])
    assert r.rc == 0, r
    link = os.path.join(d, 'link.yaml')
    os.symlink(real, link)
    r = play([task('missing', dict(path=os.path.join(d, 'nope.yaml')), module=INFO),
              task('link', dict(path=link), module=INFO),
              task('dir', dict(path=d), module=INFO)], [t])
    assert r.rc == 0, r
    missing = out(r, 'missing')
    assert missing['exists'] is False and missing['problems'] == ['not_found'] and missing['token_fingerprint'] is None
    linked = out(r, 'link')
    assert linked['problems'] == ['symlink'] and linked['token_fingerprint'] == fingerprint(t)
    assert out(r, 'dir')['problems'] == ['not_a_file']


def test_root_key_section_and_custom_keys_are_honoured():
    d = target_dir()
    t = new_token('k')
    keys = {'url': 'jira_url', 'username': 'jira_user', 'api_token': 'jira_secret'}
    y, i = os.path.join(d, 'a.json'), os.path.join(d, 'a.ini')
    r = play([task('json', base_args('json', y, t, root_key='jira', keys=keys, merge=True)),
              task('ini', base_args('ini', i, t, section='svc', keys=keys)),
              task('json info', dict(path=y, format='json', root_key='jira', keys=keys), module=INFO),
              task('ini info', dict(path=i, format='ini', section='svc', keys=keys), module=INFO),
              task('json info without root_key', dict(path=y, format='json', keys=keys), module=INFO)], [t])
    assert r.rc == 0, r
    for name in ('json info', 'ini info'):
        assert out(r, name)['token_fingerprint'] == fingerprint(t) and out(r, name)['problems'] == []
    wrong = out(r, 'json info without root_key')
    assert 'missing_key: api_token' in wrong['problems']
    # The token sits in the unrecognised nesting: shown only as a marker in settings.
    assert wrong['settings']['jira']['jira_secret'] == '<jira_secret %s>' % fingerprint(t)


# --- pytest-ansible: a few plain calls through its localhost fixture -----------------------------

@pytest.mark.pytest_ansible
def test_pytest_ansible_write_then_info(localhost):
    d = target_dir()
    path = os.path.join(d, 'pa.env')
    t = new_token('p')
    # pytest-ansible's dispatcher remembers the last attribute looked up: call each one at once.
    first = getattr(localhost, FQCN_PREFIX + 'jira_integration_config')(**base_args('env', path, t))['localhost']
    again = getattr(localhost, FQCN_PREFIX + 'jira_integration_config')(**base_args('env', path, t))['localhost']
    got = getattr(localhost, INFO)(path=path, format='env')['localhost']
    assert first['changed'] is True and again['changed'] is False, dict(first)
    assert got['token_fingerprint'] == fingerprint(t) and got['problems'] == []
    assert got['url'] == URL and got['mode'] == '0600'
    for res in (first, again, got):
        assert_no_secret(json.dumps(dict(res)), t)


@pytest.mark.pytest_ansible
def test_pytest_ansible_info_on_a_missing_file(localhost):
    got = getattr(localhost, INFO)(path='/nonexistent/dir/jira.yaml')['localhost']
    assert got['exists'] is False and got['problems'] == ['not_found']
    assert keys_of('yaml')['api_token'] == 'api_token'
