"""Secret-looking keys whose values are lists or maps are masked at any depth, through real Ansible:
jira_integration_config_info's ``settings`` and jira_integration_config's ``--diff`` (merge keeps the
keys in the file) show a fingerprint marker for every scalar under ``previous_tokens: [...]`` or
``credentials: {jira_pat: ..., nested: [...]}``, keep the shape, and no spelling of any of those
secrets appears in any output (-vvvv, --diff)."""

import json
import os

import yaml

from support.ansible import FQCN_PREFIX

from test_jira_integration_config import URL, USER, fingerprint, new_token, out, play, read_config, target_dir, task

INFO = FQCN_PREFIX + 'jira_integration_config_info'


def _secrets():
    return dict(token=new_token('main'), old1=new_token('old1'), old2=new_token('old2'), pat=new_token('pat'),
                deep=new_token('deep'))


def _content(s):
    return {'url': URL, 'username': USER, 'api_token': s['token'],
            'previous_tokens': [s['old1'], s['old2']],
            'credentials': {'jira_pat': s['pat'], 'nested': [{'deeper': s['deep']}, None]},
            'timeout': 30}


def _write(fmt, path, data):
    with open(path, 'w', encoding='utf-8') as f:
        if fmt == 'yaml':
            yaml.safe_dump(data, f, allow_unicode=True, default_flow_style=False)
        else:
            json.dump(data, f, ensure_ascii=False, indent=1)
    os.chmod(path, 0o600)


def _marker(key, secret):
    return '<%s %s>' % (key, fingerprint(secret))


def _expected_masked(s):
    return {'previous_tokens': [_marker('previous_tokens', s['old1']), _marker('previous_tokens', s['old2'])],
            'credentials': {'jira_pat': _marker('jira_pat', s['pat']),
                            'nested': [{'deeper': _marker('deeper', s['deep'])}, None]},
            'timeout': 30}


def test_info_masks_lists_and_maps_under_secret_keys():
    d = target_dir()
    s = _secrets()
    tasks = []
    for fmt in ('yaml', 'json'):
        path = os.path.join(d, 'jira.' + fmt)
        _write(fmt, path, _content(s))
        tasks.append(task('%s info' % fmt, dict(path=path, format=fmt), module=INFO))
    result = play(tasks, list(s.values()))
    assert result.rc == 0, result
    for fmt in ('yaml', 'json'):
        info = out(result, '%s info' % fmt)
        assert info['settings'] == _expected_masked(s), info['settings']
        assert info['token_fingerprint'] == fingerprint(s['token'])


def test_merge_diff_masks_lists_and_maps_under_secret_keys():
    d = target_dir()
    s = _secrets()
    new = new_token('new')
    tasks = []
    paths = {}
    for fmt in ('yaml', 'json'):
        path = paths[fmt] = os.path.join(d, 'jira.' + fmt)
        _write(fmt, path, _content(s))
        tasks.append(task('%s merge' % fmt, dict(path=path, format=fmt, url=URL, username=USER, api_token=new, merge=True)))
    result = play(tasks, list(s.values()) + [new])
    assert result.rc == 0, result
    for fmt in ('yaml', 'json'):
        res = out(result, '%s merge' % fmt)
        assert res['changed'] is True
        diff = res['diff'] if isinstance(res['diff'], dict) else res['diff'][0]
        for side in ('before', 'after'):
            text = diff[side]
            assert _marker('previous_tokens', s['old1']) in text and _marker('deeper', s['deep']) in text, text
            assert _marker('jira_pat', s['pat']) in text, text
        # merge kept every secret in the file itself, where it belongs
        on_disk = read_config(fmt, paths[fmt])
        assert on_disk['previous_tokens'] == [s['old1'], s['old2']]
        assert on_disk['credentials']['nested'][0]['deeper'] == s['deep'] and on_disk['api_token'] == new
