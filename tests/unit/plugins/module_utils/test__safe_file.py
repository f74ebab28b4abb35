"""Unit tests of _safe_file with a real AnsibleModule: private temp file from the first byte,
validate, backup, and cleanup on injected failures (ENOSPC in write or fsync, EACCES,
refused rename, the unsafe_writes fallback)."""

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

    def refused(src, dest):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES))

    def not_called(*_a, **_kw):
        raise AssertionError('atomic_move is only for unsafe_writes')

    monkeypatch.setattr(sf.os, 'rename', refused)
    monkeypatch.setattr(module, 'atomic_move', not_called)
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


@pytest.mark.parametrize('validate', ['/bin/false %s', '/bin/true'])
def test_refused_write_leaves_the_directory_as_it_was(tmp_path, module, validate):
    """A failing validate (temp file made and removed) or a validate without %s (refused before
    anything is made) leaves no trace, not even in the directory's mtime."""
    path = str(tmp_path / 'new.yml')
    os.utime(str(tmp_path), ns=(10 ** 18, 10 ** 18))
    with pytest.raises(sf.SafeFileError) as e:
        sf.write_file(module, path, b'x: 1\n', file_args(module, path), validate=validate)
    assert 'validate' in e.value.msg
    assert os.listdir(str(tmp_path)) == [] and os.stat(str(tmp_path)).st_mtime_ns == 10 ** 18


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


def test_wanted_mode(module):
    assert sf.wanted_mode(module, '0640') == 0o640 and sf.wanted_mode(module, 0o600) == 0o600
    assert sf.wanted_mode(module, 'u=rw') == 0o600
    assert sf.wanted_mode(module, 'g+r', 0o600) == 0o640 and sf.wanted_mode(module, 'u=rw,g=r,o=') == 0o640


@pytest.mark.parametrize('mode', ['0999', 'rwx', 'u=rwz', '017777', True])
def test_wanted_mode_refuses_naming_the_option(module, mode):
    with pytest.raises(sf.SafeFileError) as e:
        sf.wanted_mode(module, mode)
    assert e.value.msg.startswith('Option mode')


@pytest.mark.parametrize('option', ['owner', 'group'])
def test_unknown_owner_or_group_is_refused_before_anything_is_written(tmp_path, module, option):
    path = str(tmp_path / 'new.yml')
    fa = file_args(module, path)
    fa[option] = 'no-such-%s-unit' % option
    with pytest.raises(sf.SafeFileError) as e:
        sf.resolve_attrs(module, fa)
    assert e.value.msg.startswith('Option %s' % option) and fa[option] in e.value.msg
    with pytest.raises(sf.SafeFileError):
        sf.write_file(module, path, b'x: 1\n', fa)
    assert os.listdir(str(tmp_path)) == []


def test_numeric_owner_and_group_are_taken_as_ids(tmp_path, module):
    fa = file_args(module, str(tmp_path / 'x.yml'))
    fa.update(owner='0', group='0')
    assert sf.resolve_attrs(module, fa) == (0o600, 0, 0)


@pytest.mark.parametrize('path, words', [
    ('jira.yml', 'absolute'), ('', 'absolute'), ('./jira.yml', 'absolute'),
    ('/etc/a/../jira.yml', "'..'"), ('/etc/..', "'..'"), ('/etc/jira\x00.yml', 'NUL'),
])
def test_check_path_refuses_naming_the_option(path, words):
    with pytest.raises(sf.SafeFileError) as e:
        sf.check_path(path)
    assert e.value.msg.startswith('Option path') and words in e.value.msg


@pytest.mark.parametrize('path', ['/etc/myapp/jira.yml', '/etc/my..app/jira.yml', '/etc/.jira/x'])
def test_check_path_accepts_absolute_paths(path):
    sf.check_path(path)


def test_refused_rename_reports_the_os_reason(tmp_path, module, monkeypatch):
    """B1: the EPERM of a rename over an immutable file (chattr +i) names the likely cause,
    never the temp file (ansible-core 2.18's atomic_move failed the module with temp-file names)."""
    path = str(tmp_path / 'c.yml')
    with open(path, 'wb') as f:
        f.write(b'old\n')

    def immutable(src, dest):
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(sf.os, 'rename', immutable)
    with pytest.raises(sf.SafeFileError) as e:
        sf.write_file(module, path, b'new\n', file_args(module, path))
    assert e.value.msg == ('Could not replace %s: Operation not permitted (is the file immutable? lsattr %s). '
                           'The old file is unchanged.' % (path, path))
    assert sf.TEMP_PREFIX not in e.value.msg and '.ansible_tmp' not in e.value.msg
    assert open(path, 'rb').read() == b'old\n' and leftovers(str(tmp_path)) == []


def test_unsafe_writes_falls_back_to_atomic_move_and_unwraps_its_error(tmp_path, module, monkeypatch):
    """Only with unsafe_writes does a refused rename go to atomic_move (its in-place fallback);
    atomic_move wraps the OSError in a plain Exception, and the message gives the OS reason."""
    path = str(tmp_path / 'c.yml')
    with open(path, 'wb') as f:
        f.write(b'old\n')
    calls = []

    def busy(src, dest):
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))

    def in_place_refused(src, dest, unsafe_writes=False, **kw):
        calls.append((unsafe_writes, kw.get('keep_dest_attrs')))
        try:
            raise OSError(errno.EPERM, os.strerror(errno.EPERM))
        except OSError as ex:
            raise Exception('Could not replace %r with %r.' % (dest, src)) from ex

    monkeypatch.setattr(sf.os, 'rename', busy)
    monkeypatch.setattr(module, 'atomic_move', in_place_refused)
    module.params['unsafe_writes'] = True
    with pytest.raises(sf.SafeFileError) as e:
        sf.write_file(module, path, b'new\n', file_args(module, path))
    assert calls and calls[0][0] is True
    assert 'Operation not permitted (is the file immutable?' in e.value.msg
    assert sf.TEMP_PREFIX not in e.value.msg
    assert open(path, 'rb').read() == b'old\n' and leftovers(str(tmp_path)) == []


def test_hard_link_at_path_leaves_the_other_file_alone(tmp_path, module):
    """B3: the old inode (shared with another file) gets no chmod or chown."""
    other = str(tmp_path / 'other.conf')
    path = str(tmp_path / 'jira.yml')
    with open(other, 'wb') as f:
        f.write(b'other\n')
    os.chmod(other, 0o644)
    os.link(other, path)
    sf.write_file(module, path, b'new\n', file_args(module, path, mode='0640'))
    assert stat.S_IMODE(os.stat(other).st_mode) == 0o644 and open(other, 'rb').read() == b'other\n'
    assert os.stat(other).st_nlink == 1 and os.stat(path).st_ino != os.stat(other).st_ino
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640 and open(path, 'rb').read() == b'new\n'


def test_new_content_never_wider_than_asked_and_old_file_untouched(tmp_path, module, monkeypatch):
    """At the moment of the move the temp file already has the asked mode; the old 0644 file
    is never chmod'ed (it was narrowed in place before B3)."""
    path = str(tmp_path / 'jira.yml')
    with open(path, 'wb') as f:
        f.write(b'old\n')
    os.chmod(path, 0o644)
    seen = []
    real_rename = os.rename

    def spy(src, dst, *a, **k):
        if os.path.basename(str(src)).startswith(sf.TEMP_PREFIX):
            seen.append((stat.S_IMODE(os.stat(src).st_mode), stat.S_IMODE(os.stat(dst).st_mode)))
        return real_rename(src, dst, *a, **k)

    monkeypatch.setattr(sf.os, 'rename', spy)
    sf.write_file(module, path, b'new\n', file_args(module, path, mode='0600'))
    assert seen == [(0o600, 0o644)]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason='giving a file to another user needs root')
def test_owner_not_asked_for_is_kept(tmp_path, module):
    path = str(tmp_path / 'jira.yml')
    with open(path, 'wb') as f:
        f.write(b'old\n')
    os.chown(path, 65534, 65534)
    sf.write_file(module, path, b'new\n', file_args(module, path))
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (65534, 65534) and open(path, 'rb').read() == b'new\n'
    fa = file_args(module, path)
    fa.update(owner='0', group='0')
    sf.write_file(module, path, b'newer\n', fa)
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (0, 0)


def test_backup_keeps_times_and_never_follows_a_link_at_the_original(tmp_path):
    path = str(tmp_path / 'c.yaml')
    with open(path, 'wb') as f:
        f.write(b'old\n')
    os.utime(path, (1500000000, 1500000000))
    backup = sf.make_backup(path)
    assert os.stat(backup).st_mtime == 1500000000
    victim = str(tmp_path / 'victim')
    with open(victim, 'wb') as f:
        f.write(b'not yours\n')
    os.unlink(path)
    os.symlink(victim, path)
    with pytest.raises(sf.SafeFileError, match='backup'):
        sf.make_backup(path)


def test_read_file_is_bounded_and_refuses_links_and_fifos(tmp_path):
    path = str(tmp_path / 'big')
    with open(path, 'wb') as f:
        f.write(b'x' * 101)
    assert sf.read_file(path, limit=101) == b'x' * 101
    with pytest.raises(sf.FileTooLarge, match='larger than'):
        sf.read_file(path, limit=100)
    link = str(tmp_path / 'link')
    os.symlink(path, link)
    with pytest.raises(OSError) as e:
        sf.read_file(link)
    assert e.value.errno == errno.ELOOP
    assert sf.read_file(link, follow=True) == b'x' * 101
    fifo = str(tmp_path / 'fifo')
    os.mkfifo(fifo)
    with pytest.raises(sf.SafeFileError, match='not a regular file'):
        sf.read_file(fifo)  # never blocks waiting for a writer


def test_ensure_parent_failing_halfway_removes_what_it_made(tmp_path):
    target = str(tmp_path / 'a' / 'b' / ('x' * 300))
    with pytest.raises(sf.SafeFileError, match='Could not create the directory'):
        sf.ensure_parent(target, 0o700)
    assert os.listdir(str(tmp_path)) == []


def test_lock_serialises_times_out_clearly_and_is_released_by_a_dead_holder(tmp_path):
    path = str(tmp_path / 'c.yaml')
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the holder: takes the lock, says so, and dies without releasing it
        os.close(r)
        sf.lock_for(path).acquire()
        os.write(w, b'x')
        os.close(w)
        import time
        time.sleep(1.5)
        os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b'x'
    os.close(r)
    with pytest.raises(sf.SafeFileError, match='Another run is writing'):
        sf.lock_for(path, wait_s=0.3).acquire()
    with sf.lock_for(path, wait_s=10):  # the holder died: the kernel released its flock
        pass
    os.waitpid(pid, 0)
    assert os.listdir(str(tmp_path)) == []  # no lock file left


def test_lock_file_fallback_is_not_followed_and_removed(tmp_path):
    path = str(tmp_path / 'c.yaml')
    lock = sf.lock_for(path)
    lock._acquire_file()  # what a file system without directory flock gets
    try:
        assert lock.lock_file and os.path.basename(lock.lock_file).startswith(sf.LOCK_PREFIX)
        assert stat.S_IMODE(os.stat(lock.lock_file).st_mode) == 0o600
    finally:
        lock.release()
    assert os.listdir(str(tmp_path)) == []
    victim = str(tmp_path / 'victim')
    with open(victim, 'wb') as f:
        f.write(b'v')
    os.symlink(victim, lock.lock_file)
    with pytest.raises(sf.SafeFileError, match='symbolic link'):
        sf.lock_for(path)._acquire_file()


def test_fix_attributes_replaces_a_file_with_other_links(tmp_path, module):
    path = str(tmp_path / 'c.yaml')
    other = str(tmp_path / 'other')
    with open(path, 'wb') as f:
        f.write(b'same\n')
    os.chmod(path, 0o600)
    os.link(path, other)
    changed, diff = sf.fix_attributes(module, path, dict(mode=0o640), check_mode=True)
    assert changed and 'mode: 0600' in diff['before'] and 'mode: 0640' in diff['after']
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sf.fix_attributes(module, path, dict(mode=0o640))[0] is True
    assert stat.S_IMODE(os.stat(other).st_mode) == 0o600 and stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert os.stat(path).st_ino != os.stat(other).st_ino and open(path, 'rb').read() == b'same\n'
    assert sf.fix_attributes(module, path, dict(mode=0o640)) == (False, None)


def test_validate_output_is_masked_before_the_cut(tmp_path, module):
    path = str(tmp_path / 'c.yaml')
    secret = 'S' * 30
    cmd = "/bin/sh -c 'printf %s; printf \"%%0990d\" 0; exit 1' %%s" % secret
    with pytest.raises(sf.SafeFileError) as e:
        sf.write_file(module, path, b'x\n', file_args(module, path), validate=cmd,
                      mask=lambda text: text.replace(secret, '<redacted>'))
    assert 'SSSSSSSS' not in e.value.msg


# --- bounds and names, at their edges -------------------------------------------------------------

def test_reading_stops_at_the_bound_even_when_the_size_grew_after_the_check(tmp_path):
    path = tmp_path / 'f'
    for size, expect_whole in ((1000, True), (1001, False)):
        path.write_bytes(b'x' * size)
        fd = os.open(str(path), os.O_RDONLY)
        try:
            got = sf._read_fd(fd, 1000)  # what read_file does after fstat said "small enough"
        finally:
            os.close(fd)
        assert got == (b'x' * size if expect_whole else None)


def test_too_large_message_gives_the_bound_in_kib(tmp_path):
    path = tmp_path / 'big'
    path.write_bytes(b'x' * 5000)
    with pytest.raises(sf.FileTooLarge) as e:
        sf.read_file(str(path), limit=4096, option='path')
    assert 'larger than 4 KiB' in str(e.value)


def test_backup_of_an_executable_file_is_read_write_for_the_owner_only(tmp_path):
    path = tmp_path / 'conf'
    path.write_text('x')
    os.chmod(str(path), 0o757)
    name = sf.make_backup(str(path))
    assert stat.S_IMODE(os.stat(name).st_mode) == 0o600


def test_backup_names_count_up_from_the_plain_stamp_and_give_up_after_100(tmp_path, monkeypatch):
    monkeypatch.setattr(sf.time, 'strftime', lambda fmt: '2026-01-02@03:04:05')
    path = tmp_path / 'conf'
    path.write_text('x')
    stamp = str(path) + '.2026-01-02@03:04:05'
    assert sf.make_backup(str(path)) == stamp + '~'
    assert sf.make_backup(str(path)) == stamp + '.1~'
    for n in range(2, 99):
        open(stamp + '.%d~' % n, 'w').close()
    assert sf.make_backup(str(path)) == stamp + '.99~'  # the hundredth name
    with pytest.raises(sf.SafeFileError) as e:
        sf.make_backup(str(path))
    assert 'free backup name' in e.value.msg


def test_owner_and_group_names_resolve_to_their_ids():
    import grp
    import pwd
    assert sf._lookup_id('root', 'owner', pwd.getpwnam, 'user') == 0
    assert sf._lookup_id(grp.getgrgid(0).gr_name, 'group', grp.getgrnam, 'group') == 0


def test_attribute_text_names_the_owner_and_group():
    import grp
    import pwd
    st = os.stat_result((stat.S_IFREG | 0o640, 0, 0, 1, 0, 0, 0, 0, 0, 0))
    assert sf.attributes_text(st) == 'mode: 0640\nowner: %s\ngroup: %s\n' % (pwd.getpwuid(0)[0], grp.getgrgid(0)[0])
    unknown = os.stat_result((stat.S_IFREG | 0o600, 0, 0, 1, 4000000001, 4000000002, 0, 0, 0, 0))
    assert sf.attributes_text(unknown) == 'mode: 0600\nowner: 4000000001\ngroup: 4000000002\n'


def test_fixing_the_mode_of_a_file_with_one_name_changes_it_in_place(tmp_path, module):
    path = str(tmp_path / 'c.yaml')
    with open(path, 'w') as f:
        f.write('x')
    os.chmod(path, 0o644)
    inode = os.stat(path).st_ino
    changed, diff = sf.fix_attributes(module, path, dict(mode=0o600, owner=None, group=None))
    assert changed and diff['after'].startswith('mode: 0600')
    assert os.stat(path).st_ino == inode and stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_remove_file_backs_up_only_when_asked(tmp_path):
    path = str(tmp_path / 'c.yaml')
    for backup in (False, True):
        with open(path, 'w') as f:
            f.write('old')
        got = sf.remove_file(path, backup=True) if backup else sf.remove_file(path)
        assert not os.path.exists(path)
        if backup:
            assert got.startswith(path + '.') and open(got).read() == 'old'
        else:
            assert got is None and os.listdir(str(tmp_path)) == []


def test_validate_output_is_cut_to_its_last_1000_characters(tmp_path, module):
    path = str(tmp_path / 'c.yaml')
    cmd = "/bin/sh -c 'printf A; printf \"%%01499d\" 0; exit 1' %s"
    with pytest.raises(sf.SafeFileError) as e:
        sf.write_file(module, path, b'x\n', file_args(module, path), validate=cmd)
    assert '(rc=1): %s. ' % ('0' * 1000) in e.value.msg and 'A0' not in e.value.msg


def test_a_write_makes_a_backup_only_when_asked_and_only_of_an_existing_file(tmp_path, module):
    path = str(tmp_path / 'c.yaml')
    assert sf.write_file(module, path, b'first\n', file_args(module, path), backup=True) is None  # nothing to back up
    assert sf.write_file(module, path, b'second\n', file_args(module, path)) is None
    assert sorted(os.listdir(str(tmp_path))) == ['c.yaml'] and open(path, 'rb').read() == b'second\n'


@pytest.mark.parametrize('mode, bits', [('0640', 0o640), ('u=rw,g=r', 0o640), (0o640, 0o640)])
def test_fix_attributes_takes_octal_text_symbolic_and_int_modes(tmp_path, module, mode, bits):
    path = str(tmp_path / 'c.yaml')
    with open(path, 'w') as f:
        f.write('x')
    os.chmod(path, 0o600)
    changed, diff = sf.fix_attributes(module, path, dict(mode=mode, owner=None, group=None))
    assert changed and stat.S_IMODE(os.stat(path).st_mode) == bits


@pytest.mark.parametrize('path', ['/etc/jira/.', '/etc/jira/'])
def test_check_path_refuses_a_directory_spelling(path):
    with pytest.raises(sf.SafeFileError):
        sf.check_path(path)


def test_lock_of_a_relative_name_is_taken_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    lock = sf.lock_for('c.yaml')
    lock.acquire()
    lock.release()


def test_load_if_exists_gives_none_for_nothing_and_the_bytes_of_a_file(tmp_path):
    path = str(tmp_path / 'c.env')
    assert sf.load_if_exists(path) is None
    with open(path, 'wb') as f:
        f.write(b'A=1\n')
    assert sf.load_if_exists(path) == b'A=1\n'


def test_load_if_exists_counts_a_dangling_link_only_when_not_following(tmp_path):
    link = str(tmp_path / 'link')
    os.symlink(str(tmp_path / 'missing'), link)
    assert sf.load_if_exists(link, follow=True) is None
    with pytest.raises(sf.ReadRefused) as e:
        sf.load_if_exists(link)
    assert e.value.reason == os.strerror(errno.ELOOP)
    assert e.value.msg == 'Could not read %s: %s.' % (link, os.strerror(errno.ELOOP))


def test_load_if_exists_follows_a_link_when_asked(tmp_path):
    target = tmp_path / 'real'
    target.write_bytes(b'x')
    link = str(tmp_path / 'link')
    os.symlink(str(target), link)
    assert sf.load_if_exists(link, follow=True) == b'x'


def test_load_if_exists_refuses_a_large_file_and_a_non_file_with_the_option_named(tmp_path):
    big = tmp_path / 'big'
    big.write_bytes(b'x' * (sf.MAX_READ_BYTES + 1))
    with pytest.raises(sf.FileTooLarge) as e:
        sf.load_if_exists(str(big), option='rotation_fact.path')
    assert '(rotation_fact.path) is larger than 1024 KiB' in e.value.msg
    fifo = str(tmp_path / 'fifo')
    os.mkfifo(fifo)
    with pytest.raises(sf.SafeFileError) as e:
        sf.load_if_exists(fifo)
    assert not isinstance(e.value, sf.ReadRefused) and 'is not a regular file' in e.value.msg


def test_load_if_exists_reports_the_systems_reason(tmp_path, monkeypatch):
    path = tmp_path / 'c.env'
    path.write_bytes(b'A=1\n')

    def refuse(*args, **kwargs):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(sf, 'read_file', refuse)
    with pytest.raises(sf.ReadRefused) as e:
        sf.load_if_exists(str(path))
    assert e.value.reason == os.strerror(errno.EACCES)
