"""Unit tests of _safe_file with a real AnsibleModule: private temp file from the first byte,
validate, backup, and cleanup on injected failures (ENOSPC in write or fsync, EACCES, a failing
atomic move)."""

import errno
import json
import os
import stat

import pytest

from ansible.module_utils import basic

from ansible_collections.integrations.jira.plugins.module_utils import _safe_file as sf


@pytest.fixture
def module(monkeypatch):
    args = {'ANSIBLE_MODULE_ARGS': {'_ansible_check_mode': False, '_ansible_remote_tmp': '/tmp',
                                    '_ansible_keep_remote_files': False}}
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core < 2.19
        monkeypatch.setattr(basic, '_ANSIBLE_ARGS', json.dumps(args).encode())
        return basic.AnsibleModule(argument_spec={}, add_file_common_args=True)
    with patch_module_args(args['ANSIBLE_MODULE_ARGS']):
        return basic.AnsibleModule(argument_spec={}, add_file_common_args=True)


def file_args(module, path, mode='0600'):
    fa = module.load_file_common_arguments(dict(module.params, mode=mode), path=path)
    return fa


def leftovers(directory):
    return [n for n in os.listdir(directory) if n.startswith(sf.TEMP_PREFIX)]


def test_temp_file_is_private_from_the_first_byte(tmp_path, module, monkeypatch):
    path = str(tmp_path / 'c.yaml')
    seen = []
    real_write = os.write

    def spy(fd, data):
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    old_umask = os.umask(0)  # even with umask 0 the temp file must be 0600
    try:
        monkeypatch.setattr(sf.os, 'write', spy)
        sf.write_file(module, path, b'secret: x\n', file_args(module, path))
    finally:
        os.umask(old_umask)
    assert seen and set(seen) == {0o600}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert open(path, 'rb').read() == b'secret: x\n' and leftovers(str(tmp_path)) == []


@pytest.mark.parametrize('where', ['write', 'fsync'])
def test_disk_full_leaves_old_file_and_no_temp(tmp_path, module, monkeypatch, where):
    path = str(tmp_path / 'c.env')
    with open(path, 'wb') as f:
        f.write(b'OLD=1\n')

    def full(*_a):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sf.os, where, full)
    with pytest.raises(sf.SafeFileError) as e:
        sf.write_file(module, path, b'NEW=2\n', file_args(module, path))
    assert 'No space left on device' in e.value.msg and path in e.value.msg
    assert open(path, 'rb').read() == b'OLD=1\n' and leftovers(str(tmp_path)) == []


def test_failing_move_leaves_old_file_and_no_temp(tmp_path, module, monkeypatch):
    path = str(tmp_path / 'c.ini')
    with open(path, 'wb') as f:
        f.write(b'[jira]\nurl = a\n')

    def boom(*_a, **_k):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(module, 'atomic_move', boom)
    with pytest.raises(sf.SafeFileError) as e:
        sf.write_file(module, path, b'[jira]\nurl = b\n', file_args(module, path))
    assert 'Permission denied' in e.value.msg
    assert open(path, 'rb').read() == b'[jira]\nurl = a\n' and leftovers(str(tmp_path)) == []


def test_validate_gets_the_temp_file_and_failure_keeps_the_old_file(tmp_path, module):
    path = str(tmp_path / 'c.json')
    with open(path, 'wb') as f:
        f.write(b'{}\n')
    record = str(tmp_path / 'seen')
    sf.write_file(module, path, b'{"a": 1}\n', file_args(module, path),
                  validate='/bin/sh -c \'cp "$0" %s.copy; echo "$0" > %s\' %%s' % (record, record))
    seen = open(record).read().strip()
    assert os.path.dirname(seen) == str(tmp_path) and os.path.basename(seen).startswith(sf.TEMP_PREFIX)
    assert seen.endswith('.json')
    assert open(record + '.copy', 'rb').read() == b'{"a": 1}\n'
    with pytest.raises(sf.SafeFileError) as e:
        sf.write_file(module, path, b'{"a": 2}\n', file_args(module, path), validate='/bin/false %s')
    assert 'validate' in e.value.msg
    with pytest.raises(sf.SafeFileError):
        sf.write_file(module, path, b'{"a": 2}\n', file_args(module, path), validate='/bin/true')
    assert open(path, 'rb').read() == b'{"a": 1}\n' and leftovers(str(tmp_path)) == []


def test_backup_is_private_and_timestamped(tmp_path, module):
    path = str(tmp_path / 'c.yaml')
    with open(path, 'wb') as f:
        f.write(b'old\n')
    os.chmod(path, 0o644)
    backup = sf.write_file(module, path, b'new\n', file_args(module, path), backup=True)
    assert backup.startswith(path + '.') and backup.endswith('~')
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert open(backup, 'rb').read() == b'old\n' and open(path, 'rb').read() == b'new\n'
    second = sf.make_backup(path)  # same second: a distinct name, never an overwrite
    assert second != backup and open(backup, 'rb').read() == b'old\n'


def test_ensure_parent_creates_with_mode(tmp_path):
    target = str(tmp_path / 'a' / 'b')
    old = os.umask(0o022)
    try:
        created = sf.ensure_parent(target, 0o700)
    finally:
        os.umask(old)
    assert created == [str(tmp_path / 'a'), target]
    assert all(stat.S_IMODE(os.stat(d).st_mode) == 0o700 for d in created)


def test_wanted_mode():
    assert sf.wanted_mode('0640') == 0o640 and sf.wanted_mode(0o600) == 0o600 and sf.wanted_mode('u=rw') == 0o600
