"""jira_integration_config against a hostile local user and hostile files, through real Ansible.

- A user who owns the config directory and swaps each new name (backup, created parent
  directory) for a symbolic link the moment it appears gets no chown, chmod or utime of another
  file. The module runs as root under strace, which delays fsync/mkdir so the swap is sure to
  land in the window between creating a name and setting its attributes; the attacker runs as
  ``nobody``.
- A hard link's other name keeps its mode and owner when only the attributes need fixing (the
  content is unchanged), for the config and for the rotation record.
- Parent directories made by ``create_parent`` are removed again when the run fails; a path
  ending in ``/`` is refused before anything is made.
- Credentials with control characters are refused in every format, naming the option.
- An existing file larger than the read bound is never loaded: merge refuses it clearly, the
  diff does not show it, the info module reports ``too_large``.
- The validate command's output is masked before it is cut: no tail of the token survives.
- A path or rotation_fact.path holding the token is refused, nothing is created.
- ``--diff`` shows a mode-only fix and the rotation record's removal.

Every run is at -vvvv with --diff and goes through the leak scan.
"""

import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile

import pytest

from support.ansible import _scratch_dir, run_module
from support.leakscan import exposure_env, new_workdir, scan_run

MODULE = 'jira_integration_config'
URL = 'https://example.atlassian.net'
USER = 'svc-ansible@example.com'
NOBODY = 65534
MAX_READ = 1024 * 1024

ATTACKER = r'''
import os, sys, time
directory, victim, wanted, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
deadline = time.time() + seconds
done = set()
while time.time() < deadline:
    try:
        names = os.listdir(directory)
    except OSError:
        names = []
    for name in names:
        p = os.path.join(directory, name)
        hit = name.endswith(wanted[1:]) if wanted.startswith('*') else name == wanted
        if hit and name not in done and not os.path.islink(p):
            try:
                os.rename(p, p + '.moved-away')
                os.symlink(victim, p)
            except OSError:
                continue
            done.add(name)
            print('swapped %s' % name, flush=True)
    time.sleep(0.001)
'''


def token():
    return 'tok' + secrets.token_hex(20)


def args(path, tok, **extra):
    a = dict(path=path, url=URL, username=USER, api_token=tok)
    a.update(extra)
    return a


def run(module_args, tokens, watch=(), **kw):
    """One real run at -vvvv with --diff, leak-scanned (file names under ``watch`` too)."""
    workdir = new_workdir('harden')
    result = run_module(MODULE, module_args, verbosity=4, diff=kw.pop('diff', True), env=exposure_env(workdir),
                        workdir=workdir, **kw)
    for t in tokens:
        scan_run(result, t, USER, name_only_paths=list(watch))
    return result


def ok(result):
    assert result.rc == 0, result
    return result.last()


def refused(result, *words):
    assert result.rc != 0, result
    out = result.last()
    assert out.get('failed') is True and 'Traceback' not in out.get('msg', ''), out
    for w in words:
        assert w in out['msg'], out['msg']
    assert not out.get('changed'), out
    return out['msg']


def tree(directory):
    found = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            found[os.path.relpath(p, directory)] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid)
    return found


def needs_root_tools(*tools):
    if os.geteuid() != 0:
        pytest.skip('the attack runs as nobody and the module as root: needs root (uid %d)' % os.geteuid())
    for tool in tools:
        if not shutil.which(tool):
            pytest.skip('%s is not installed' % tool)
    if not os.access('/usr/bin/python3', os.X_OK):
        pytest.skip('no /usr/bin/python3 for the attacker (nobody cannot run the test venv)')


def slow_python(syscalls, delay_us=400000):
    """An interpreter wrapper: the module runs under strace, each of ``syscalls`` held for
    ``delay_us`` microseconds after it returns (the race window made wide, not made up)."""
    d = tempfile.mkdtemp(prefix='slow-py-', dir=_scratch_dir())
    wrapper = os.path.join(d, 'python')
    with open(wrapper, 'w') as f:
        f.write('#!/bin/sh\nexec strace -f -qq -o /dev/null -e trace=%s -e inject=%s:delay_exit=%d %s "$@"\n'
                % (syscalls, syscalls, delay_us, sys.executable))
    os.chmod(wrapper, 0o755)
    return 'localhost ansible_connection=local ansible_python_interpreter=%s\n' % wrapper


def hostile_dir():
    """A config directory owned by nobody (the hostile user), under a root-owned 0755 parent."""
    parent = tempfile.mkdtemp(prefix='harden-', dir=_scratch_dir())
    os.chmod(parent, 0o755)
    d = os.path.join(parent, 'conf')
    os.mkdir(d)
    os.chown(d, NOBODY, NOBODY)
    os.chmod(d, 0o755)
    return parent, d


def victim_file(mode=0o600):
    """A root file the attacker must not get: root-only directory, old times."""
    d = tempfile.mkdtemp(prefix='victim-', dir=_scratch_dir())
    v = os.path.join(d, 'shadow')
    with open(v, 'w') as f:
        f.write('root:secret-hash:19000::::::\n')
    os.chmod(v, mode)
    os.utime(v, (1000000000, 1000000000))
    st = os.stat(v)
    return v, (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), st.st_mtime)


def start_attacker(directory, victim, wanted, seconds=60):
    script = os.path.join(tempfile.mkdtemp(prefix='attacker-', dir=_scratch_dir()), 'attack.py')
    with open(script, 'w') as f:
        f.write(ATTACKER)
    os.chmod(os.path.dirname(script), 0o755)
    os.chmod(script, 0o644)
    return subprocess.Popen(['setpriv', '--reuid=%d' % NOBODY, '--regid=%d' % NOBODY, '--clear-groups',
                             '/usr/bin/python3', script, directory, victim, wanted, str(seconds)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def stop_attacker(proc):
    proc.terminate()
    out, err = proc.communicate(timeout=30)
    return out.decode(), err.decode()


def victim_state(v):
    st = os.stat(v)
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), st.st_mtime


# --------------------------------------------------------------------------- defect: attributes by name

def test_backup_swapped_for_a_symlink_gives_the_attacker_nothing():
    needs_root_tools('strace', 'setpriv')
    parent, d = hostile_dir()
    path = os.path.join(d, 'jira.yml')
    old, new = token(), token()
    ok(run(args(path, old, owner='nobody'), [old], watch=[parent]))
    os.utime(path, (1500000000, 1500000000))
    victim, before = victim_file()
    attacker = start_attacker(d, victim, '*~')
    try:
        result = run(args(path, new, owner='nobody', backup=True), [old, new], watch=[parent],
                     inventory=slow_python('fsync'))
    finally:
        out, err = stop_attacker(attacker)
    assert 'swapped' in out, 'the attacker never swapped the backup: the test proved nothing (%s)' % err
    assert victim_state(victim) == before, 'root changed the victim through the swapped backup name'
    ok(result)
    moved = [n for n in os.listdir(d) if n.endswith('~.moved-away')]
    assert len(moved) == 1, os.listdir(d)
    st = os.lstat(os.path.join(d, moved[0]))
    # The real backup (moved away by the attacker) got the old file's owner, mode and times.
    assert (st.st_uid, stat.S_IMODE(st.st_mode), st.st_mtime) == (NOBODY, 0o600, 1500000000)


def test_created_parent_swapped_for_a_symlink_is_never_chmoded():
    needs_root_tools('strace', 'setpriv')
    parent, d = hostile_dir()
    path = os.path.join(d, 'new', 'jira.yml')
    tok = token()
    victim, before = victim_file(0o640)
    attacker = start_attacker(d, victim, 'new')
    try:
        result = run(args(path, tok, create_parent=True), [tok], watch=[parent],
                     inventory=slow_python('mkdir,mkdirat'))
    finally:
        out, err = stop_attacker(attacker)
    assert 'swapped' in out, 'the attacker never swapped the new directory: the test proved nothing (%s)' % err
    assert victim_state(victim) == before, 'root chmod-ed the victim through the swapped directory name'
    # The directory the module made was moved away by the attacker; going on through the link is refused.
    assert result.rc != 0, result
    with open(victim) as f:
        assert f.read() == 'root:secret-hash:19000::::::\n'


# --------------------------------------------------------------------------- defect: hard links

def _config_with_other_link(tmp_name='cfg'):
    d = tempfile.mkdtemp(prefix='harden-%s-' % tmp_name, dir=_scratch_dir())
    elsewhere = tempfile.mkdtemp(prefix='harden-other-', dir=_scratch_dir())
    return d, elsewhere


@pytest.mark.parametrize('change', ['mode', 'owner'])
def test_attribute_fix_on_a_hard_link_leaves_the_other_file_alone(change):
    d, elsewhere = _config_with_other_link()
    path = os.path.join(d, 'jira.yml')
    tok = token()
    ok(run(args(path, tok), [tok], watch=[d]))
    with open(path, 'rb') as f:
        content = f.read()
    other = os.path.join(elsewhere, 'other.yml')
    os.link(path, other)
    extra = {'mode': '0640'} if change == 'mode' else {'owner': 'nobody'}
    if change == 'owner' and os.geteuid() != 0:
        pytest.skip('changing the owner needs root (uid %d)' % os.geteuid())
    out = ok(run(args(path, tok, **extra), [tok], watch=[d, elsewhere]))
    assert out['changed'] is True
    st_other = os.stat(other)
    assert (stat.S_IMODE(st_other.st_mode), st_other.st_uid) == (0o600, os.geteuid()), 'the other name was changed'
    st = os.stat(path)
    assert st.st_ino != st_other.st_ino and st.st_nlink == 1
    assert (stat.S_IMODE(st.st_mode) if change == 'mode' else st.st_uid) == (0o640 if change == 'mode' else NOBODY)
    with open(path, 'rb') as f:
        assert f.read() == content
    with open(other, 'rb') as f:
        assert f.read() == content
    again = ok(run(args(path, tok, **extra), [tok], watch=[d]))
    assert again['changed'] is False


def test_rotation_record_mode_fix_on_a_hard_link_leaves_the_other_file_alone():
    d, elsewhere = _config_with_other_link()
    path = os.path.join(d, 'jira.yml')
    fact = os.path.join(d, 'facts', 'jira.fact')
    tok = token()
    ok(run(args(path, tok, rotation_fact={'path': fact}), [tok], watch=[d]))
    os.chmod(fact, 0o600)
    other = os.path.join(elsewhere, 'other.fact')
    os.link(fact, other)
    out = ok(run(args(path, tok, rotation_fact={'path': fact}), [tok], watch=[d, elsewhere]))
    assert out['changed'] is True and out['config_changed'] is False
    assert stat.S_IMODE(os.stat(other).st_mode) == 0o600, 'the other name was chmod-ed'
    assert stat.S_IMODE(os.stat(fact).st_mode) == 0o644 and os.stat(fact).st_nlink == 1


# --------------------------------------------------------------------------- create_parent and paths

def test_create_parent_failing_halfway_leaves_no_directory():
    d = tempfile.mkdtemp(prefix='harden-parent-', dir=_scratch_dir())
    path = os.path.join(d, 'a', 'b', 'x' * 300, 'jira.yml')  # the third level cannot be made: name too long
    tok = token()
    msg = refused(run(args(path, tok, create_parent=True), [tok], watch=[d]), 'Could not create the directory')
    assert 'too long' in msg.lower()
    assert os.listdir(d) == []


def test_create_parent_then_failing_write_removes_the_directories_again():
    d = tempfile.mkdtemp(prefix='harden-parent-', dir=_scratch_dir())
    path = os.path.join(d, 'a', 'b', 'jira.yml')
    tok = token()
    refused(run(args(path, tok, create_parent=True, validate='/bin/false %s'), [tok], watch=[d]), 'validate')
    assert os.listdir(d) == []


@pytest.mark.parametrize('suffix', ['/', '/.'])
def test_path_naming_a_directory_is_refused_before_anything_is_made(suffix):
    d = tempfile.mkdtemp(prefix='harden-slash-', dir=_scratch_dir())
    path = os.path.join(d, 'newdir') + suffix
    tok = token()
    refused(run(args(path, tok, create_parent=True), [tok], watch=[d]), 'Option path', 'must name a file')
    assert os.listdir(d) == []


# --------------------------------------------------------------------------- credentials

BAD_CREDENTIALS = {
    'token with a trailing newline': ('api_token', lambda t: t + '\n'),
    'token with NUL': ('api_token', lambda t: t[:10] + '\x00' + t[10:]),
    'token with an escape character': ('api_token', lambda t: t[:10] + '\x1b[2J' + t[10:]),
    'username with a newline': ('username', lambda u: u + '\nX-Injected: 1'),
}


@pytest.mark.parametrize('fmt', ['yaml', 'json', 'ini', 'env'])
def test_control_characters_in_credentials_are_refused_in_every_format(fmt):
    d = tempfile.mkdtemp(prefix='harden-cred-', dir=_scratch_dir())
    for name, (option, spoil) in BAD_CREDENTIALS.items():
        tok = token()
        a = args(os.path.join(d, 'jira.' + fmt), tok, format=fmt)
        a[option] = spoil(a[option])
        msg = refused(run(a, [tok], watch=[d]), 'Option %s' % option)
        assert tok not in msg, name
        assert os.listdir(d) == [], name


# --------------------------------------------------------------------------- bounded reads

def _big_json(path, planted=None):
    data = {'padding': 'x' * (MAX_READ + 10)}
    if planted:
        data['api_token'] = planted
    with open(path, 'w') as f:
        json.dump(data, f)
    os.chmod(path, 0o600)


def test_existing_file_larger_than_the_bound_is_refused_for_merge_and_not_shown_in_the_diff():
    d = tempfile.mkdtemp(prefix='harden-big-', dir=_scratch_dir())
    path = os.path.join(d, 'jira.json')
    _big_json(path)
    with open(path, 'rb') as f:
        before = f.read()
    tok = token()
    msg = refused(run(args(path, tok, format='json', merge=True), [tok], watch=[d]), path, 'larger than')
    assert 'xxxxxxxx' not in msg
    with open(path, 'rb') as f:
        assert f.read() == before
    # Without merge the module owns the file: rewritten, and the old content is never shown.
    result = run(args(path, tok, format='json'), [tok], watch=[d])
    out = ok(result)
    assert out['changed'] is True and 'larger than' in out['diff']['before']
    assert 'xxxxxxxx' not in result.stdout
    assert os.path.getsize(path) < 4096


def test_info_reports_a_file_larger_than_the_bound_without_reading_it():
    d = tempfile.mkdtemp(prefix='harden-big-', dir=_scratch_dir())
    path = os.path.join(d, 'jira.json')
    planted = token()  # a token in a file too large to read must not come out either
    _big_json(path, planted)
    workdir = new_workdir('harden')
    result = run_module('jira_integration_config_info', dict(path=path, format='json'), verbosity=4,
                        env=exposure_env(workdir), workdir=workdir)
    scan_run(result, planted, USER)
    out = ok(result)
    assert any(p.startswith('too_large') for p in out['problems']), out['problems']
    assert 'xxxxxxxx' not in result.stdout


# --------------------------------------------------------------------------- validate output

def test_validate_output_is_masked_before_it_is_cut():
    d = tempfile.mkdtemp(prefix='harden-validate-', dir=_scratch_dir())
    path = os.path.join(d, 'jira.yml')
    tok = token()
    # The file ends with the token line; 980 more characters put the 1000-character cut inside the token.
    validate = '/bin/sh -c \'cat "$0"; printf "%%0980d" 0; exit 1\' %s'
    result = run(args(path, tok, validate=validate), [tok], watch=[d])
    refused(result, 'validate command failed')
    text = result.all_text()
    for size in (8, 12, 16):
        tail = tok[-size:]
        assert tail not in text, 'the last %d characters of the token are in the output' % size
    assert not os.path.exists(path)


# --------------------------------------------------------------------------- the token in a file name

@pytest.mark.parametrize('where', ['path', 'directory of path', 'rotation_fact.path', 'backup of path'])
def test_a_path_holding_the_token_is_refused_and_nothing_is_created(where):
    d = tempfile.mkdtemp(prefix='harden-name-', dir=_scratch_dir())
    tok = token()
    path = os.path.join(d, 'jira.yml')
    extra = {}
    if where == 'path':
        path = os.path.join(d, 'jira-%s.yml' % tok)
    elif where == 'directory of path':
        path = os.path.join(d, tok, 'jira.yml')
        extra['create_parent'] = True
    elif where == 'rotation_fact.path':
        extra['rotation_fact'] = {'path': os.path.join(d, 'facts', '%s.fact' % tok)}
    else:
        path = os.path.join(d, 'cfg-%s' % tok)
        with open(path, 'w') as f:
            f.write('url: "%s"\n' % URL)
        extra['backup'] = True
    existing = sorted(os.listdir(d))
    msg = refused(run(args(path, tok, **extra), [tok], watch=[]), 'must not contain the API token')
    assert tok not in msg and tok[:16] not in msg
    assert sorted(os.listdir(d)) == existing
    for root, dirs, files in os.walk(d):
        for name in dirs + files:
            assert tok not in name or os.path.join(root, name) == path, name


# --------------------------------------------------------------------------- diffs

def test_diff_shows_a_mode_only_fix_in_check_mode_and_for_real():
    d = tempfile.mkdtemp(prefix='harden-diff-', dir=_scratch_dir())
    path = os.path.join(d, 'jira.yml')
    tok = token()
    ok(run(args(path, tok), [tok], watch=[d]))
    for check in (True, False):
        result = run(args(path, tok, mode='0640'), [tok], watch=[d], check=check)
        out = ok(result)
        assert out['changed'] is True
        diff = out['diff']
        assert 'mode: 0600' in diff['before'] and 'mode: 0640' in diff['after'], diff
        assert '-mode: 0600' in result.stdout and '+mode: 0640' in result.stdout, result.stdout[-3000:]
        assert stat.S_IMODE(os.stat(path).st_mode) == (0o600 if check else 0o640)


def test_decommission_check_diff_shows_the_rotation_record_removal():
    d = tempfile.mkdtemp(prefix='harden-diff-', dir=_scratch_dir())
    path = os.path.join(d, 'jira.yml')
    fact = os.path.join(d, 'jira.fact')
    tok = token()
    ok(run(args(path, tok, rotation_fact={'path': fact}), [tok], watch=[d]))
    with open(fact) as f:
        record = json.load(f)
    absent = dict(path=path, state='absent', rotation_fact={'path': fact})
    result = run(absent, [tok], watch=[d], check=True)
    out = ok(result)
    entries = out['diff'] if isinstance(out['diff'], list) else [out['diff']]
    removal = [e for e in entries if e.get('before_header') == fact]
    assert removal and record['token_fingerprint'] in removal[0]['before'] and removal[0]['after'] == '', entries
    assert record['token_fingerprint'] in result.stdout
    assert os.path.exists(fact) and os.path.exists(path)
