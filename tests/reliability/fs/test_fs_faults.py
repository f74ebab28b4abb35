"""When the file system refuses the write — a read-only mount, a full disk (during the temp file or
the backup), permission denied, the target swapped for a symbolic link or a directory, an immutable
file or directory — jira_integration_config fails with a message naming the path and the reason,
leaves the old file byte for byte as it was (mode and owner too), writes nothing through a link,
and leaves no temporary file behind. Every run is real Ansible and goes through the leak scan.

Faults are real: tmpfs and bind mounts made for the test (root needed), ``chattr +i``, a module
run as ``nobody`` through ``become_method: su``. Each test undoes its fault at teardown.
"""

import errno
import os
import secrets
import subprocess
import tempfile

import pytest

from support.ansible import _scratch_dir, run_module
from support.leakscan import exposure_env, new_workdir, scan_run
from support.snapshot import tree_snapshot

MODULE = 'jira_integration_config'
URL = 'https://example.atlassian.net'
USER = 'svc-ansible@example.com'
TEMP_PREFIX = '.jira-tmp-'

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason='mounts, chattr and su need root; tests run as uid %d' % os.geteuid())


def token():
    return 'tok-' + secrets.token_urlsafe(24)


def args(path, tok, **extra):
    a = dict(path=path, url=URL, username=USER, api_token=tok, settings={'generation': secrets.token_hex(4)})
    a.update(extra)
    return a


def target_dir(prefix='fs-target-'):
    """A directory for config files, outside any run's work dir (the leak scan reads those)."""
    return tempfile.mkdtemp(prefix=prefix, dir=_scratch_dir())


def snapshot(directory):
    """Everything in ``directory`` (recursively): type, mode, owner, content or link target."""
    return tree_snapshot(directory, ('body', 'perm', 'uid', 'gid'))


def temp_files(directory):
    return [n for n in os.listdir(directory) if n.startswith(TEMP_PREFIX)]


def run(rec, module_args, tokens, watch_dirs, **kw):
    """One real module run at -vvvv with --diff, leak-scanned for every token involved."""
    workdir = new_workdir('fs')
    result = run_module(MODULE, module_args, verbosity=4, diff=True, env=exposure_env(workdir), workdir=workdir, **kw)
    for t in tokens:
        scan_run(result, t, USER, name_only_paths=watch_dirs)
    rec.inputs += 1
    return result


def write_old(rec, path, tok, **extra):
    result = run(rec, args(path, tok, **extra), [tok], [os.path.dirname(path)])
    assert result.rc == 0, result
    assert os.path.isfile(path)
    return result


def expect_refusal(rec, result, path, reason_words):
    """A handled failure (fail_json, not a traceback) whose message names the path and the reason."""
    assert result.rc != 0, result
    out = result.last()
    assert out.get('failed') is True, out
    msg = out.get('msg', '')
    # fail_json, not a crash (-vvv adds an 'exception' key even to fail_json results).
    assert 'MODULE FAILURE' not in msg and 'Traceback' not in msg and 'module_stderr' not in out, out
    assert path in msg, msg
    assert any(w.lower() in msg.lower() for w in reason_words), msg
    rec.check('clear error naming the path and the reason')
    assert out.get('changed') is False, 'a refused write reported changed: %r' % out
    rec.check('reported changed=false')
    rec.details['message'] = msg
    return msg


def assert_unchanged(rec, directory, before):
    after = snapshot(directory)
    assert not temp_files(directory), temp_files(directory)
    rec.check('no temporary file left')
    assert after == before, _diff(before, after)
    rec.check('old file byte for byte intact (content, mode, owner), nothing else created')


def _diff(before, after):
    lines = []
    for k in sorted(set(before) | set(after)):
        if before.get(k) != after.get(k):
            lines.append('%s: %r -> %r' % (k, str(before.get(k))[:200], str(after.get(k))[:200]))
    return '\n'.join(lines)


def sh(*cmd):
    return subprocess.run(check=False, args=cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


# --------------------------------------------------------------------------- fixtures: faults

@pytest.fixture
def mounts():
    """Mount points made by the test; unmounted at teardown whatever happened."""
    made = []
    yield made
    for point in reversed(made):
        if sh('umount', point).returncode != 0:
            sh('umount', '-l', point)


@pytest.fixture
def immutables():
    paths = []
    yield paths
    for p in paths:
        sh('chattr', '-i', p)


def chattr_immutable(immutables, path):
    proc = sh('chattr', '+i', path)
    if proc.returncode != 0:
        pytest.skip('chattr +i is not supported on the file system of %s: %s' % (
            path, proc.stderr.decode('utf-8', 'replace').strip()))
    immutables.append(path)
    # chattr may report success on a file system that ignores the flag: prove it holds.
    assert 'i' in sh('lsattr', '-d', path).stdout.decode().split()[0]


def tmpfs(mounts, size):
    point = target_dir('fs-tmpfs-')
    proc = sh('mount', '-t', 'tmpfs', '-o', 'size=%s,mode=0700' % size, 'tmpfs', point)
    if proc.returncode != 0:
        pytest.skip('cannot mount a tmpfs here: %s' % proc.stderr.decode('utf-8', 'replace').strip())
    mounts.append(point)
    return point


def fill(directory, leave_pages=0):
    """Fill the file system of ``directory``, then free ``leave_pages`` pages of 4 KiB."""
    filler = os.path.join(directory, 'filler.bin')
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                os.write(fd, b'\0' * 4096)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                break
    finally:
        os.close(fd)
    if leave_pages:
        size = os.path.getsize(filler)
        os.truncate(filler, max(0, size - 4096 * leave_pages))
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


# --------------------------------------------------------------------------- read-only

@needs_root
def test_read_only_parent_directory(reliability_record, mounts):
    rec = reliability_record
    rec.scenario = 'read-only parent directory'
    rec.fault = 'the config directory bind-mounted read-only (mount --bind + remount,ro)'
    d = target_dir()
    path = os.path.join(d, 'jira.yml')
    old, new = token(), token()
    write_old(rec, path, old)
    assert sh('mount', '--bind', d, d).returncode == 0
    mounts.append(d)
    proc = sh('mount', '-o', 'remount,bind,ro', d)
    assert proc.returncode == 0, proc.stderr
    before = snapshot(d)
    result = run(rec, args(path, new), [old, new], [d])
    expect_refusal(rec, result, d, ['read-only file system'])
    assert_unchanged(rec, d, before)


# --------------------------------------------------------------------------- disk full

@needs_root
@pytest.mark.parametrize('free_pages', [0, 1], ids=['no-space-left', 'space-runs-out-mid-write'])
def test_disk_full_during_the_write(reliability_record, mounts, free_pages):
    rec = reliability_record
    rec.scenario = 'disk full during the write (%s)' % ('no free block' if not free_pages else 'one free 4 KiB block, 16 KiB to write')
    rec.fault = 'tmpfs of 64 KiB, pre-filled: ENOSPC while writing the temporary file'
    d = tmpfs(mounts, '64k')
    path = os.path.join(d, 'jira.yml')
    old, new = token(), token()
    write_old(rec, path, old)
    free = fill(d, leave_pages=free_pages)
    assert free <= 4096 * free_pages
    before = snapshot(d)
    # 16 KiB of settings: the temp file is created, its first block fits, the rest does not.
    result = run(rec, args(path, new, settings={'padding': 'x' * 16384}), [old, new], [d])
    expect_refusal(rec, result, path, ['no space left'])
    assert_unchanged(rec, d, before)
    rec.details['free_bytes_before_the_run'] = free


@needs_root
def test_disk_full_while_making_the_backup(reliability_record, mounts):
    rec = reliability_record
    rec.scenario = 'disk full while making the backup (backup=true)'
    rec.fault = 'tmpfs of 64 KiB with one free block: the temp file fits, the backup copy does not'
    d = tmpfs(mounts, '64k')
    path = os.path.join(d, 'jira.yml')
    old, new = token(), token()
    write_old(rec, path, old)
    fill(d, leave_pages=1)
    before = snapshot(d)
    result = run(rec, args(path, new, backup=True), [old, new], [d])
    expect_refusal(rec, result, path, ['no space left'])
    assert_unchanged(rec, d, before)
    rec.check('no partial backup file')


# --------------------------------------------------------------------------- permission denied

def unprivileged_python():
    """A Python that the user nobody can run (the dev venv lives under /root, mode 0700)."""
    for cand in ('/usr/bin/python3', '/usr/local/bin/python3'):
        if os.path.exists(cand):
            proc = sh('su', '-s', '/bin/sh', 'nobody', '-c', '%s -c "import json"' % cand)
            if proc.returncode == 0:
                return cand
    return None


def as_nobody():
    if os.geteuid() != 0:
        pytest.skip('running a module as nobody with become_method su needs root (uid %d)' % os.geteuid())
    python = unprivileged_python()
    if python is None:
        pytest.skip('no Python the user nobody can run (tried /usr/bin/python3, /usr/local/bin/python3 via su)')
    inventory = 'localhost ansible_connection=local ansible_python_interpreter=%s\n' % python
    # nobody's login shell is nologin; su needs a shell to run the module with.
    become = {'ansible_become': True, 'ansible_become_method': 'su', 'ansible_become_user': 'nobody',
              'ansible_become_flags': '-s /bin/sh'}
    return inventory, become


def nobody_dir(mode):
    # The directories above must let nobody through (build/test-runs dirs are 0700 by mkdtemp).
    parent = target_dir('fs-nobody-')
    os.chmod(parent, 0o755)
    d = os.path.join(parent, 'conf')
    os.mkdir(d)
    os.chown(d, 65534, 65534)
    os.chmod(d, mode)
    return parent, d


def test_permission_denied_on_the_directory(reliability_record):
    rec = reliability_record
    rec.scenario = 'permission denied: directory not writable by the user the module runs as'
    rec.fault = 'module runs as nobody (become_method su); directory owned by nobody, mode 0500'
    inventory, become = as_nobody()
    parent, d = nobody_dir(0o700)
    path = os.path.join(d, 'jira.yml')
    old, new = token(), token()
    write_old(rec, path, old, owner='nobody')
    os.chmod(d, 0o500)
    before = snapshot(parent)
    result = run(rec, args(path, new), [old, new], [parent], inventory=inventory, task_vars=become)
    expect_refusal(rec, result, d, ['permission denied'])
    assert_unchanged(rec, parent, before)


def test_permission_denied_reading_the_old_file(reliability_record):
    rec = reliability_record
    rec.scenario = 'permission denied: the existing file is not readable by the user the module runs as'
    rec.fault = 'module runs as nobody (become_method su); file owned by root, mode 0600, in a directory nobody may write'
    inventory, become = as_nobody()
    parent, d = nobody_dir(0o700)
    path = os.path.join(d, 'jira.yml')
    old, new = token(), token()
    write_old(rec, path, old, owner='root')
    before = snapshot(parent)
    result = run(rec, args(path, new), [old, new], [parent], inventory=inventory, task_vars=become)
    expect_refusal(rec, result, path, ['permission denied'])
    assert_unchanged(rec, parent, before)


# --------------------------------------------------------------------------- symlink / directory

@pytest.mark.parametrize('variant', ['link-to-another-file', 'dangling-link', 'state-absent-on-link'])
def test_target_swapped_for_a_symlink(reliability_record, variant):
    rec = reliability_record
    rec.scenario = 'target swapped for a symbolic link between runs (%s)' % variant
    rec.fault = 'after a good run, the config file is replaced by a symlink to a file the user did not name'
    # Documented policy (path option): a symbolic link at path makes the module fail.
    d = target_dir()
    elsewhere = target_dir('fs-elsewhere-')
    path = os.path.join(d, 'jira.yml')
    old, new = token(), token()
    write_old(rec, path, old)
    victim = os.path.join(elsewhere, 'victim.conf')
    if variant != 'dangling-link':
        with open(victim, 'wb') as f:
            f.write(b'someone else\'s file\n')
        os.chmod(victim, 0o644)
    os.rename(path, os.path.join(elsewhere, 'moved-away.yml'))
    os.symlink(victim, path)
    before, before_elsewhere = snapshot(d), snapshot(elsewhere)
    extra = {'state': 'absent'} if variant == 'state-absent-on-link' else {}
    result = run(rec, args(path, new, **extra), [old, new], [d, elsewhere])
    expect_refusal(rec, result, path, ['symbolic link'])
    assert_unchanged(rec, d, before)
    assert snapshot(elsewhere) == before_elsewhere
    assert os.path.lexists(victim) == (variant != 'dangling-link')
    rec.check('nothing written or removed through the link; the link itself left alone')


def test_target_swapped_for_a_hard_link(reliability_record):
    rec = reliability_record
    rec.scenario = 'target swapped for a hard link to another file between runs'
    rec.fault = 'after a good run, the config file is replaced by a hard link to a 0644 file elsewhere'
    d = target_dir()
    elsewhere = target_dir('fs-elsewhere-')
    path = os.path.join(d, 'jira.yml')
    old, new = token(), token()
    write_old(rec, path, old)
    victim = os.path.join(elsewhere, 'victim.conf')
    with open(victim, 'wb') as f:
        f.write(b'someone else\'s file\n')
    os.chmod(victim, 0o644)
    os.unlink(path)
    os.link(victim, path)
    before_elsewhere = snapshot(elsewhere)
    result = run(rec, args(path, new), [old, new], [d, elsewhere])
    # Refusing or replacing the link with a new file are both fine; touching the other file is not.
    assert snapshot(elsewhere) == before_elsewhere, _diff(before_elsewhere, snapshot(elsewhere))
    rec.check('the other file keeps its content, mode and owner')
    if result.rc == 0:
        assert os.stat(path).st_ino != os.stat(victim).st_ino
    assert not temp_files(d)
    rec.check('no temporary file left')


def test_directory_at_the_path(reliability_record):
    rec = reliability_record
    rec.scenario = 'a directory where the config file was'
    rec.fault = 'after a good run, the config file is replaced by a directory holding a file'
    d = target_dir()
    path = os.path.join(d, 'jira.yml')
    old, new = token(), token()
    write_old(rec, path, old)
    os.unlink(path)
    os.mkdir(path, 0o750)
    with open(os.path.join(path, 'inside.txt'), 'w') as f:
        f.write('keep me\n')
    before = snapshot(d)
    result = run(rec, args(path, new), [old, new], [d])
    expect_refusal(rec, result, path, ['is a directory'])
    assert_unchanged(rec, d, before)


# --------------------------------------------------------------------------- immutable

@needs_root
@pytest.mark.parametrize('what', ['file', 'directory'])
def test_immutable(reliability_record, immutables, what):
    rec = reliability_record
    rec.scenario = 'immutable %s (chattr +i)' % what
    rec.fault = 'chattr +i on the config %s' % ('file: rename over it fails with EPERM' if what == 'file'
                                                else 'directory: no temp file can be created')
    d = target_dir()
    path = os.path.join(d, 'jira.yml')
    old, new = token(), token()
    write_old(rec, path, old)
    chattr_immutable(immutables, path if what == 'file' else d)
    before = snapshot(d)
    # A new mode too: the attribute change must not get through either.
    result = run(rec, args(path, new, mode='0640'), [old, new], [d])
    expect_refusal(rec, result, path if what == 'file' else d, ['operation not permitted', 'immutable'])
    assert_unchanged(rec, d, before)
