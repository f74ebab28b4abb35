"""jira_integration_config through real Ansible (ansible-playbook, local connection).

Every format goes through create, unchanged re-run, change of one field, token rotation (with
backup and diff), check mode, validate ok/failing, attribute-only changes, merge into an existing
file with foreign keys and comments, and state=absent. Files are read back with each format's
ordinary reader (PyYAML, json, configparser, sh). Every run is at -vvvv with --diff and must not
contain any of the tokens involved; file names must not either. Faults (read-only directory,
full disk, permission denied, missing parent, directory or symlink at path) must give a clear
error, leave the old file byte for byte intact and leave no temp file.

Target Pythons: JIRA_TEST_TARGET_PYTHONS (comma list, e.g. "3.6,3.9") selects the interpreters of
the old-Python tests (default: every version from 3.6 on that scripts/find-python finds); those
older than what the running ansible-core supports on targets are skipped, saying so.
"""

import configparser
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile

import pytest
import yaml

from support.ansible import FQCN_PREFIX, _scratch_dir, assert_no_secret, run_playbook, to_unsafe_yaml
from support.collection import REPO_ROOT

MODULE = FQCN_PREFIX + 'jira_integration_config'
FORMATS = ['yaml', 'json', 'ini', 'env']
TEMP_PREFIX = '.jira-tmp-'
URL = 'https://example.atlassian.net'
USER = 'svc-ansible@example.com'
ENV_KEYS = {'url': 'JIRA_URL', 'username': 'JIRA_USERNAME', 'api_token': 'JIRA_API_TOKEN'}


def new_token(tag):
    # Quotes, $, backticks, backslash, #;=: and non-ASCII: every format must keep them literally.
    return 'Tk%s-%s $HOME `id` "q" \'s\' #;=:\\ \u00e9\u20ac' % (tag, secrets.token_hex(8))


def fingerprint(token):
    # The documented construction (PBKDF2-HMAC-SHA256, the collection's fixed salt), computed here.
    import hashlib
    digest = hashlib.pbkdf2_hmac('sha256', token.encode('utf-8'), b'integrations.jira token fingerprint v1', 300000)
    return 'pbkdf2-sha256:' + digest.hex()[:16]


def target_dir():
    return tempfile.mkdtemp(prefix='cfg-', dir=_scratch_dir())


def task(name, args, module=MODULE, **keywords):
    parts = ['"name": %s' % json.dumps(name), '%s: %s' % (json.dumps(module), to_unsafe_yaml(args))]
    parts += ['%s: %s' % (json.dumps(k), json.dumps(v)) for k, v in keywords.items()]
    return '{' + ', '.join(parts) + '}'


def play(tasks, tokens, inventory=None, check_files_in=(), **kw):
    """Run the tasks in one playbook at -vvvv with --diff; check that no token leaked."""
    workdir = tempfile.mkdtemp(prefix='cfg-run-', dir=_scratch_dir())
    path = os.path.join(workdir, 'play.yml')
    with open(path, 'w', encoding='utf-8') as f:
        f.write('- hosts: all\n  gather_facts: false\n  tasks:\n')
        for t in tasks:
            f.write('    - %s\n' % t)
    result = run_playbook(path, inventory=inventory, verbosity=4, diff=True, workdir=workdir, **kw)
    for token in tokens:
        assert_no_secret(result, token)
        for directory in check_files_in:
            for root, dirs, files in os.walk(directory):
                for name in dirs + files:
                    assert token not in name
    return result


def out(result, name):
    found = result.task_results(task=name)
    assert found, 'task %r did not run: %r' % (name, result)
    return found[-1]['result']


def read_config(fmt, path, section='jira', root_key=None):
    """What the format's ordinary reader gets from the file, as {key: value}."""
    if fmt == 'yaml':
        with open(path, encoding='utf-8') as f:
            data = yaml.safe_load(f)
        return data[root_key] if root_key else data
    if fmt == 'json':
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        return data[root_key] if root_key else data
    if fmt == 'ini':
        parser = configparser.RawConfigParser()
        with open(path, encoding='utf-8') as f:
            parser.read_file(f)
        return dict(parser.items(section))
    names = sorted(set(re.findall(r'^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=', open(path, encoding='utf-8').read(), re.M)))
    script = '. "$1"; printf "%s\\0" ' + ' '.join('"${%s}"' % n for n in names)
    done = subprocess.run(['/bin/sh', '-c', script, 'sh', path], stdout=subprocess.PIPE, check=True)
    return dict(zip(names, done.stdout.decode('utf-8').split('\0')[:-1]))


def keys_of(fmt):
    return ENV_KEYS if fmt == 'env' else {'url': 'url', 'username': 'username', 'api_token': 'api_token'}


def base_args(fmt, path, token, **extra):
    settings = {'timeout': 30, 'verify': True} if fmt != 'env' else {'JIRA_TIMEOUT': 30}
    args = dict(path=path, format=fmt, url=URL + '/', username=USER, api_token=token, settings=settings)
    args.update(extra)
    return args


def temp_files(directory):
    return [n for n in os.listdir(directory) if n.startswith(TEMP_PREFIX)]


def checksum(path):
    with open(path, 'rb') as f:
        return f.read()


# --- the whole life of a file, per format --------------------------------------------------------

@pytest.mark.parametrize('fmt', FORMATS)
def test_lifecycle_create_rerun_check_rotate_change_validate(fmt):
    d = target_dir()
    path = os.path.join(d, 'jira.' + fmt)
    t1, t2, t3 = new_token('1'), new_token('2'), new_token('3')
    k = keys_of(fmt)
    py = sys.executable
    ok_validate = '%s -c "import sys; assert open(sys.argv[1], \'rb\').read()" %%s' % py
    tasks = [
        task('check create', base_args(fmt, path, t1), check_mode=True),
        task('stat after check create', {'path': path}, module='ansible.builtin.stat'),
        task('create', base_args(fmt, path, t1)),
        task('rerun', base_args(fmt, path, t1)),
        task('check rotate', base_args(fmt, path, t2), check_mode=True),
        task('rotate', base_args(fmt, path, t2, backup=True)),
        task('change username', base_args(fmt, path, t2, username='other@example.com')),
        task('validate ok', base_args(fmt, path, t2, username='other@example.com', url='https://other.atlassian.net',
                                      validate=ok_validate)),
        task('validate failing', base_args(fmt, path, t3, username='other@example.com', url='https://other.atlassian.net',
                                           validate='/bin/false %s'), ignore_errors=True),
        task('mode only', base_args(fmt, path, t2, username='other@example.com', url='https://other.atlassian.net',
                                    mode='0640')),
        task('mode back to default', base_args(fmt, path, t2, username='other@example.com',
                                               url='https://other.atlassian.net')),
        task('no diff requested', base_args(fmt, path, t2, username='other@example.com',
                                            url='https://other.atlassian.net'), diff=False),
        task('absent in check mode', dict(path=path, format=fmt, state='absent'), check_mode=True),
        task('absent with backup', dict(path=path, format=fmt, state='absent', backup=True)),
        task('absent again', dict(path=path, format=fmt, state='absent')),
    ]
    r = play(tasks, [t1, t2, t3], check_files_in=[d])
    assert r.rc == 0, r

    check_create = out(r, 'check create')
    assert check_create['changed'] is True and check_create['changed_keys'][:3] == ['url', 'username', 'api_token']
    assert out(r, 'stat after check create')['stat']['exists'] is False

    created = out(r, 'create')
    assert created['changed'] is True and created['token_fingerprint'] == fingerprint(t1)
    assert created['changed_keys'] == ['url', 'username', 'api_token'] + (
        ['JIRA_TIMEOUT'] if fmt == 'env' else ['timeout', 'verify'])
    assert created['diff']['before'] == '' and fingerprint(t1) in created['diff']['after']

    rerun = out(r, 'rerun')
    assert rerun['changed'] is False and rerun['changed_keys'] == []

    check = out(r, 'check rotate')
    assert check['changed'] is True and check['changed_keys'] == ['api_token']

    rotate = out(r, 'rotate')
    assert rotate['changed'] is True and rotate['changed_keys'] == ['api_token']
    assert rotate['token_fingerprint'] == fingerprint(t2)
    before, after = rotate['diff']['before'], rotate['diff']['after']
    assert '<%s %s>' % (k['api_token'], fingerprint(t1)) in before
    assert '<%s %s>' % (k['api_token'], fingerprint(t2)) in after
    changed_lines = [line for line in before.splitlines() if line not in after.splitlines()]
    assert len(changed_lines) == 1 and fingerprint(t1) in changed_lines[0]

    backup = rotate['backup_file']
    assert os.path.dirname(backup) == d and os.path.basename(backup).startswith('jira.%s.' % fmt)
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert read_config(fmt, backup)[k['api_token']] == t1  # the check-mode run wrote nothing

    assert out(r, 'change username')['changed_keys'] == ['username']
    assert out(r, 'validate ok')['changed_keys'] == ['url']

    failed = out(r, 'validate failing')
    assert failed['failed'] is True and 'validate' in failed['msg'] and path in failed['msg']

    mode_only = out(r, 'mode only')
    assert mode_only['changed'] is True and mode_only['changed_keys'] == []
    assert out(r, 'mode back to default')['changed'] is True
    no_diff = out(r, 'no diff requested')
    assert no_diff['changed'] is False and 'diff' not in no_diff

    assert out(r, 'absent in check mode')['changed'] is True
    gone = out(r, 'absent with backup')
    assert gone['changed'] is True and gone['changed_keys'][:3] == ['url', 'username', 'api_token']
    assert fingerprint(t2) in gone['diff']['before'] and gone['diff']['after'] == ''
    assert out(r, 'absent again')['changed'] is False and not os.path.exists(path)

    final = gone['backup_file']  # the last content before state=absent removed it
    assert stat.S_IMODE(os.stat(final).st_mode) == 0o600  # it was 0600 again after 'mode back to default'
    values = read_config(fmt, final)
    assert values[k['api_token']] == t2 and values[k['username']] == 'other@example.com'
    assert values[k['url']] == 'https://other.atlassian.net'
    assert temp_files(d) == []


# --- merge ---------------------------------------------------------------------------------------

EXISTING = {
    'yaml': u'# managed by hand\nlogging:\n  level: debug\nurl: https://old.example.com\nowner: "team"\n',
    'json': u'{"logging": {"level": "debug"}, "url": "https://old.example.com", "owner": "team"}\n',
    'ini': u'; app config\n[app]\nname = demo\n\n[jira]\n# keep this comment\nurl = https://old.example.com\nowner = team\n',
    'env': u'# app env\nAPP_NAME="demo"\nJIRA_URL=https://old.example.com\n# trailing comment\n',
}


@pytest.mark.parametrize('fmt', FORMATS)
def test_merge_keeps_foreign_keys_and_comments_then_absent_removes_only_managed_keys(fmt):
    d = target_dir()
    path = os.path.join(d, 'app.' + fmt)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(EXISTING[fmt])
    os.chmod(path, 0o644)
    t = new_token('m')
    k = keys_of(fmt)
    args = dict(path=path, format=fmt, url=URL, username=USER, api_token=t, merge=True)
    absent = dict(path=path, format=fmt, merge=True, state='absent')
    r = play([task('merge', args), task('merge again', args), task('remove keys', dict(absent, backup=True)),
              task('remove keys again', absent)], [t], check_files_in=[d])
    assert r.rc == 0, r
    first = out(r, 'merge')
    assert first['changed'] is True and first['changed_keys'] == ['url', 'username', 'api_token']
    assert 'https://old.example.com' in first['diff']['before'] and fingerprint(t) in first['diff']['after']
    assert out(r, 'merge again')['changed'] is False

    merged = out(r, 'remove keys')['backup_file']  # the file as the merge left it
    values = read_config(fmt, merged)
    assert values[k['url']] == URL and values[k['api_token']] == t and values[k['username']] == USER
    text = open(merged, encoding='utf-8').read()
    if fmt == 'env':
        assert values['APP_NAME'] == 'demo' and '# app env\n' in text and '# trailing comment\n' in text
    elif fmt == 'ini':
        assert values['owner'] == 'team' and '# keep this comment\n' in text and '[app]\nname = demo\n' in text
    else:
        assert values['owner'] == 'team' and values['logging'] == {'level': 'debug'}
    assert stat.S_IMODE(os.stat(merged).st_mode) == 0o600  # the merge applied the default mode

    assert out(r, 'remove keys')['changed_keys'] == ['url', 'username', 'api_token']
    assert fingerprint(t) in out(r, 'remove keys')['diff']['before']
    assert out(r, 'remove keys again')['changed'] is False
    values = read_config(fmt, path)
    assert not set(k.values()) & set(values)
    assert (values.get('APP_NAME') if fmt == 'env' else values.get('owner')) in ('demo', 'team')
    assert temp_files(d) == []


# --- what the module refuses ---------------------------------------------------------------------

REFUSALS = [
    ('env', {'api_token': 'line1\nline2'}, ['api_token', 'newline']),
    ('ini', {'api_token': ' padded'}, ['api_token', 'whitespace']),
    ('ini', {'settings': {'a=b': 'x'}}, ['a=b']),
    ('env', {'settings': {'1BAD': 'x'}}, ['1BAD']),
    ('env', {'settings': {'NESTED': {'a': 1}}}, ['NESTED', 'nested']),
    ('json', {'settings': {'url': 'x'}}, ['url', 'twice']),
    ('yaml', {'url': 'https://user:pw@example.atlassian.net'}, ['url', 'user name']),
    ('yaml', {'url': 'http://jira.example.com'}, ['http', 'allow_insecure_http']),
    ('ini', {'section': 'DEFAULT'}, ['DEFAULT']),
    ('env', {'root_key': 'jira'}, ['root_key']),
]


def test_refuses_what_the_format_cannot_hold_naming_the_key():
    d = target_dir()
    tasks, tokens = [], []
    for n, (fmt, args, _words) in enumerate(REFUSALS):
        t = args.get('api_token') or new_token('r')
        tokens += [t] if 'api_token' not in args else []
        tasks.append(task('refuse %d' % n, base_args(fmt, os.path.join(d, 'jira%d.%s' % (n, fmt)), t, **args),
                          ignore_errors=True))
    r = play(tasks, tokens)
    for n, (fmt, args, words) in enumerate(REFUSALS):
        o = out(r, 'refuse %d' % n)
        assert o['failed'] is True, (n, o)
        for w in words:
            assert w.lower() in o['msg'].lower(), (n, o['msg'])
        if 'api_token' in args:
            assert args['api_token'] not in o['msg']
    assert os.listdir(d) == []


def test_http_url_root_key_ini_section_and_custom_keys():
    d = target_dir()
    t = new_token('k')
    h, y, i = os.path.join(d, 'h.yaml'), os.path.join(d, 'a.yaml'), os.path.join(d, 'a.ini')
    keys = {'url': 'jira_url', 'username': 'jira_user', 'api_token': 'jira_secret'}
    r = play([task('http', base_args('yaml', h, t, url='http://127.0.0.1:8080/jira/', allow_insecure_http=True)),
              task('yaml', base_args('yaml', y, t, root_key='jira', keys=keys)),
              task('ini', base_args('ini', i, t, section='jira integration', keys=keys))], [t])
    assert r.rc == 0, r
    assert read_config('yaml', h)['url'] == 'http://127.0.0.1:8080/jira'
    assert read_config('yaml', y, root_key='jira')['jira_secret'] == t
    assert read_config('ini', i, section='jira integration')['jira_secret'] == t
    assert '<jira_secret %s>' % fingerprint(t) in out(r, 'yaml')['diff']['after']


# --- faults --------------------------------------------------------------------------------------

def write_old(fmt, path, token):
    """An existing config file (set-up only: written here with the module's own renderer; the
    writes under test all go through Ansible)."""
    from ansible_collections.integrations.jira.plugins.module_utils import _config_formats as cf
    k = keys_of(fmt)
    settings = base_args(fmt, path, token)['settings']
    text = cf.render(fmt, [(k['url'], URL), (k['username'], USER), (k['api_token'], token)] + list(settings.items()))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        f.write(text)
    return checksum(path), os.stat(path)


def expect_clear_failure(r, path, words):
    assert r.rc != 0, r
    o = r.last()
    assert o['failed'] is True
    assert 'MODULE FAILURE' not in o['msg'] and 'Traceback' not in o['msg'], o
    assert path in o['msg'], o['msg']
    assert any(w.lower() in o['msg'].lower() for w in words), o['msg']
    return o['msg']


def _mount_tmpfs(size='256k'):
    if os.geteuid() != 0:
        pytest.skip('mounting a tmpfs needs root; tests run as uid %d' % os.geteuid())
    where = tempfile.mkdtemp(prefix='cfg-mnt-', dir=_scratch_dir())
    done = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%s,mode=0755' % size, 'tmpfs', where],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        os.rmdir(where)
        pytest.skip('cannot mount a tmpfs here: %s' % done.stderr.decode().strip())
    return where


@pytest.fixture
def tmpfs():
    where = _mount_tmpfs()
    yield where
    subprocess.run(['umount', '-l', where], check=False)
    os.rmdir(where)


def test_read_only_directory_keeps_the_old_file(tmpfs):
    path = os.path.join(tmpfs, 'jira.yaml')
    t1, t2 = new_token('o'), new_token('n')
    old, _st = write_old('yaml', path, t1)
    subprocess.run(['mount', '-o', 'remount,ro', tmpfs], check=True)
    r = play([task('ro', base_args('yaml', path, t2))], [t1, t2])
    expect_clear_failure(r, path, ['read-only'])
    assert r.last()['changed'] is False  # B2: a refused write is no change
    assert checksum(path) == old and temp_files(tmpfs) == []


def test_full_disk_keeps_the_old_file(tmpfs):
    path = os.path.join(tmpfs, 'jira.yaml')
    t1 = new_token('o')
    old, _st = write_old('yaml', path, t1)
    fd = os.open(os.path.join(tmpfs, 'filler'), os.O_WRONLY | os.O_CREAT)
    try:  # fill the tmpfs to the last page
        while True:
            os.write(fd, b'\0' * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    t2 = new_token('n')
    r = play([task('full', base_args('yaml', path, t2, settings={'pad': 'x' * 9000}))], [t1, t2])
    expect_clear_failure(r, path, ['no space'])
    assert checksum(path) == old and temp_files(tmpfs) == []


def _nobody_interpreter():
    """A Python that runs the module as nobody (with pipelining the module arrives on stdin, so
    nobody needs no access to the controller's temp files). Needs root and setpriv."""
    if os.geteuid() != 0 or not shutil.which('setpriv'):
        pytest.skip('running the module as nobody needs root and setpriv')
    python = '/usr/bin/python3'
    if not os.access(python, os.X_OK):
        pytest.skip('no system /usr/bin/python3 that nobody can run')
    wrapper = os.path.join(tempfile.mkdtemp(prefix='cfg-nobody-', dir='/tmp'), 'python-as-nobody')
    with open(wrapper, 'w') as f:
        f.write('#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups env TMPDIR=/tmp HOME=/tmp %s "$@"\n'
                % python)
    os.chmod(wrapper, 0o755)
    os.chmod(os.path.dirname(wrapper), 0o755)
    return wrapper


def test_permission_denied_keeps_the_old_file():
    wrapper = _nobody_interpreter()
    d = target_dir()
    os.chmod(d, 0o755)
    path = os.path.join(d, 'jira.yaml')
    t1, t2 = new_token('o'), new_token('n')
    old, _st = write_old('yaml', path, t1)
    os.chmod(path, 0o644)  # nobody may read it, not write the directory
    inventory = 'localhost ansible_connection=local ansible_python_interpreter=%s ansible_pipelining=true\n' % wrapper
    r = play([task('denied', base_args('yaml', path, t2, mode='0644'))], [t1, t2], inventory=inventory)
    expect_clear_failure(r, path, ['permission denied'])
    assert checksum(path) == old and temp_files(d) == []


def test_failing_validate_leaves_old_file_and_no_temp_file():
    d = target_dir()
    path = os.path.join(d, 'jira.env')
    t1, t2 = new_token('o'), new_token('n')
    old, st = write_old('env', path, t1)
    r = play([task('validate', base_args('env', path, t2, validate='/bin/sh -c "echo broken config >&2; exit 3" %s'))],
             [t1, t2])
    msg = expect_clear_failure(r, path, ['validate'])
    assert 'rc=3' in msg and 'broken config' in msg
    assert checksum(path) == old and os.stat(path).st_mtime == st.st_mtime and temp_files(d) == []


def test_missing_parent_fails_unless_create_parent():
    d = target_dir()
    path = os.path.join(d, 'a', 'b', 'jira.yaml')
    t = new_token('p')
    r = play([task('missing', base_args('yaml', path, t), ignore_errors=True),
              task('create', base_args('yaml', path, t, create_parent=True))], [t])
    assert r.rc == 0, r
    missing = out(r, 'missing')
    assert missing['failed'] is True and os.path.dirname(path) in missing['msg'] and 'create_parent' in missing['msg']
    for sub in (os.path.join(d, 'a'), os.path.join(d, 'a', 'b')):
        assert stat.S_IMODE(os.stat(sub).st_mode) == 0o700
    assert read_config('yaml', path)['api_token'] == t


def test_directory_at_path_is_refused():
    d = target_dir()
    path = os.path.join(d, 'jira.yaml')
    os.mkdir(path)
    t = new_token('d')
    r = play([task('dir', base_args('yaml', path, t))], [t])
    expect_clear_failure(r, path, ['directory'])
    assert os.listdir(path) == [] and temp_files(d) == []


def test_symlink_at_path_is_refused_and_its_target_untouched():
    d = target_dir()
    real = os.path.join(d, 'real.yaml')
    link = os.path.join(d, 'jira.yaml')
    t1, t2 = new_token('o'), new_token('n')
    old, _st = write_old('yaml', real, t1)
    os.symlink(real, link)
    r = play([task('link', base_args('yaml', link, t2))], [t1, t2])
    expect_clear_failure(r, link, ['symbolic link'])
    assert checksum(real) == old and os.path.islink(link) and temp_files(d) == []


def test_wide_old_file_and_hard_link_are_replaced_never_chmoded_and_owner_kept():
    """B3: the new file gets its mode before the move and the old inode is never touched, so a
    hard link at path does not pass the chmod/chown on to the other file. Owner and group not
    asked for stay the old file's."""
    d = target_dir()
    elsewhere = target_dir()
    path, linked = os.path.join(d, 'jira.json'), os.path.join(d, 'linked.yaml')
    other = os.path.join(elsewhere, 'other.conf')
    t1, t2 = new_token('o'), new_token('n')
    write_old('json', path, t1)
    os.chmod(path, 0o644)
    keep = os.path.join(elsewhere, 'old-inode')
    os.link(path, keep)  # the old inode, seen from elsewhere
    with open(other, 'wb') as f:
        f.write(b'someone else\'s file\n')
    os.chmod(other, 0o644)
    os.link(other, linked)
    tasks = [task('rotate', base_args('json', path, t2)),
             task('hard link', base_args('yaml', linked, t2, mode='0640', group='0'))]
    if os.geteuid() == 0:
        os.chown(path, 65534, 65534)
        tasks.append(task('rotate again, owner not given', base_args('json', path, t1)))
    r = play(tasks, [t1, t2])
    assert r.rc == 0, r
    assert out(r, 'rotate')['changed_keys'] == ['api_token']
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and read_config('json', path)['api_token'] in (t1, t2)
    assert stat.S_IMODE(os.stat(keep).st_mode) == 0o644 and read_config('json', keep)['api_token'] == t1
    assert os.stat(keep).st_ino != os.stat(path).st_ino
    st = os.stat(other)
    assert (stat.S_IMODE(st.st_mode), st.st_nlink, checksum(other)) == (0o644, 1, b'someone else\'s file\n')
    assert stat.S_IMODE(os.stat(linked).st_mode) == 0o640 and read_config('yaml', linked)['api_token'] == t2
    if os.geteuid() == 0:
        st = os.stat(path)
        assert (st.st_uid, st.st_gid) == (65534, 65534) and read_config('json', path)['api_token'] == t1


def test_immutable_file_fails_with_the_reason_and_reports_no_change():
    """B1: the EPERM behind atomic_move's wrapped error is reported; B2: changed is false."""
    if os.geteuid() != 0 or not shutil.which('chattr'):
        pytest.skip('chattr +i needs root and chattr (uid %d)' % os.geteuid())
    d = target_dir()
    path = os.path.join(d, 'jira.yaml')
    t1, t2 = new_token('o'), new_token('n')
    old, _st = write_old('yaml', path, t1)
    done = subprocess.run(['chattr', '+i', path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        pytest.skip('chattr +i is not supported here: %s' % done.stderr.decode().strip())
    try:
        r = play([task('immutable', base_args('yaml', path, t2, mode='0640'))], [t1, t2])
    finally:
        subprocess.run(['chattr', '-i', path], check=False)
    msg = expect_clear_failure(r, path, ['operation not permitted'])
    assert 'is the file immutable? lsattr %s' % path in msg and '.ansible_tmp' not in msg and TEMP_PREFIX not in msg
    assert r.last()['changed'] is False
    assert checksum(path) == old and stat.S_IMODE(os.stat(path).st_mode) == 0o600 and temp_files(d) == []


def test_rotation_fact_is_kept_in_the_same_run_and_changes_only_with_the_token():
    """The record lives next to the config: created 0644 with its parent, unchanged on a re-run,
    rotated_at moves only with the token, expires_on alone changes the record but not the config
    (config_changed=false), check mode writes nothing, state=absent removes it."""
    d = target_dir()
    t1, t2 = new_token('r1'), new_token('r2')
    path, fact_path = os.path.join(d, 'jira.yaml'), os.path.join(d, 'facts.d', 'jira_integration.fact')

    def args(token, **fact):
        rec = dict(path=fact_path, account_id='5b10-acc', validated=True)
        rec.update(fact)
        return dict(base_args('yaml', path, token), rotation_fact=rec)

    r = play([task('first', args(t1)), task('again', args(t1)),
              task('check rotate', args(t2), check_mode=True)], [t1, t2], check_files_in=[d])
    first, again, check = out(r, 'first'), out(r, 'again'), out(r, 'check rotate')
    with open(fact_path, encoding='utf-8') as f:
        fact = json.load(f)
    assert fact == first['rotation_fact']
    assert set(fact) == {'url', 'username', 'account_id', 'token_fingerprint', 'expires_on', 'config_path',
                         'rotated_at', 'validated_at'}
    assert fact['token_fingerprint'] == fingerprint(t1) and fact['url'] == URL and fact['config_path'] == path
    assert fact['account_id'] == '5b10-acc' and fact['expires_on'] is None
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', fact['rotated_at'])
    assert fact['rotated_at'] == fact['validated_at']
    assert stat.S_IMODE(os.stat(fact_path).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(os.path.dirname(fact_path)).st_mode) == 0o755
    assert first['changed'] and first['config_changed']
    assert again['changed'] is False and again['rotation_fact'] == fact
    assert check['changed'] and check['rotation_fact']['token_fingerprint'] == fingerprint(t2)
    assert read_config('yaml', path)['api_token'] == t1  # check mode wrote nothing
    with open(fact_path, encoding='utf-8') as f:
        assert json.load(f) == fact

    # An old record (as the role test writes it), then a rotation and an expiry date alone.
    fact['rotated_at'] = fact['validated_at'] = '2026-01-01T00:00:00Z'
    with open(fact_path, 'w', encoding='utf-8') as f:
        json.dump(fact, f)
    r = play([task('rotate', args(t2)), task('expiry only', args(t2, expires_on='2027-03-01')),
              task('remove', dict(path=path, state='absent', rotation_fact={'path': fact_path}))],
             [t1, t2], check_files_in=[d])
    rotate, expiry, remove = out(r, 'rotate'), out(r, 'expiry only'), out(r, 'remove')
    assert rotate['changed_keys'] == ['api_token'] and rotate['rotation_fact']['rotated_at'] > '2026-01-01'
    assert rotate['rotation_fact']['token_fingerprint'] == fingerprint(t2)
    assert expiry['changed'] is True and expiry['config_changed'] is False and expiry['changed_keys'] == []
    assert expiry['rotation_fact']['expires_on'] == '2027-03-01'
    assert expiry['rotation_fact']['rotated_at'] == rotate['rotation_fact']['rotated_at']
    assert remove['changed'] and not os.path.exists(path) and not os.path.exists(fact_path)
    assert t2 not in json.dumps([rotate, expiry, remove])


def test_bad_path_attributes_and_empty_values_are_refused_before_anything_is_written():
    """Bad paths, modes, owners, empty credentials and empty setting names: each fails naming the option;
    no file appears (not even a new one)."""
    d = target_dir()
    t = new_token('b')
    p = os.path.join(d, 'new.yaml')
    cases = [
        ('relative path', dict(path='jira-relative.yaml'), 'Option path must be an absolute path'),
        ('empty path', dict(path=''), 'Option path must be an absolute path'),
        ('dot-dot path', dict(path=os.path.join(d, '..', os.path.basename(d), 'new.yaml')),
         "Option path must not contain '..'"),
        ('NUL in path', dict(path=p + '\x00x'), 'Option path must not contain a NUL'),
        ('mode 0999', dict(mode='0999'), 'Option mode'),
        ('symbolic mode typo', dict(mode='u=rwz'), 'Option mode'),
        ('owner unknown', dict(owner='no-such-user-cfgtest'), 'Option owner'),
        ('group unknown', dict(group='no-such-group-cfgtest'), 'Option group'),
        ('empty api_token', dict(api_token=''), 'Option api_token must not be empty'),
        ('whitespace api_token', dict(api_token=' \t '), 'Option api_token must not be empty'),
        ('empty username', dict(username=''), 'Option username must not be empty'),
        ('whitespace username', dict(username='  '), 'Option username must not be empty'),
        ('empty setting name', dict(settings={'': 'x'}), 'setting name'),
        ('rotation_fact relative path', dict(rotation_fact={'path': 'x.fact'}),
         'Option rotation_fact.path must be an absolute path'),
        ('rotation_fact path is the config', dict(rotation_fact={'path': p}), 'Option rotation_fact.path must not be'),
        ('rotation_fact expires_on not a date', dict(rotation_fact={'path': os.path.join(d, 'j.fact'),
                                                                    'expires_on': '2027/03/01'}),
         'Option rotation_fact.expires_on must be a date written YYYY-MM-DD'),
    ]
    tasks = [task(name, dict(base_args('yaml', p, t), **over), ignore_errors=True) for name, over, _m in cases]
    info = [('info relative path', {'path': 'jira-relative.yaml'}, 'Option path must be an absolute path'),
            ('info dot-dot path', {'path': os.path.join(d, '..', 'x.yaml')}, "Option path must not contain '..'"),
            ('info ini section DEFAULT', {'path': os.path.join(d, 'x.ini'), 'format': 'ini', 'section': 'DEFAULT'},
             'The ini section cannot be DEFAULT')]
    tasks += [task(name, args, module=FQCN_PREFIX + 'jira_integration_config_info', ignore_errors=True)
              for name, args, _m in info]
    cwd = target_dir()  # where a relative path would land with the local connection
    # Ansible's own syslog call chokes on a NUL before the module runs; without it the module answers.
    r = play(tasks, [t], check_files_in=[d], cwd=cwd, env={'ANSIBLE_NO_TARGET_SYSLOG': 'True'})
    for name, _over, words in cases + [(n, None, m) for n, _p, m in info]:
        o = out(r, name)
        assert o.get('failed') is True and o.get('changed') is False, (name, o)
        assert words in o['msg'], (name, o['msg'])
    assert os.listdir(d) == [] and os.listdir(cwd) == []


def test_yaml_merge_without_pyyaml_on_the_target_fails_clearly_and_own_files_still_work():
    python = _python_without_yaml()
    d = target_dir()
    own, foreign = os.path.join(d, 'own.yaml'), os.path.join(d, 'foreign.yaml')
    with open(foreign, 'w') as f:
        f.write('# by hand\nother: 1\n')
    t = new_token('y')
    inventory = 'localhost ansible_connection=local ansible_python_interpreter=%s\n' % python
    r = play([task('own', base_args('yaml', own, t)), task('own merge', base_args('yaml', own, t, merge=True)),
              task('foreign merge', base_args('yaml', foreign, t, merge=True), ignore_errors=True)],
             [t], inventory=inventory)
    assert out(r, 'own')['changed'] is True
    assert out(r, 'own merge')['changed'] is False
    failed = out(r, 'foreign merge')
    assert failed['failed'] is True and 'PyYAML' in failed['msg']
    assert open(foreign).read() == '# by hand\nother: 1\n'


# --- old target Pythons --------------------------------------------------------------------------

def _ansible_min_target_python():
    """The oldest target Python the running ansible-core manages (module_utils.basic._PY_MIN)."""
    from ansible.module_utils import basic
    from ansible.release import __version__
    minimum = getattr(basic, '_PY_MIN', (3, 6))
    if not isinstance(minimum, tuple):  # ansible-core 2.16: a bool (_PY3_MIN or _PY2_MIN); it manages 3.6+
        minimum = (3, 6)
    return tuple(minimum[:2]), __version__


def _find_python(version):
    done = subprocess.run([os.path.join(REPO_ROOT, 'scripts', 'find-python'), version], stdout=subprocess.PIPE, check=False)
    return done.stdout.decode().strip() if done.returncode == 0 else None


def _python_without_yaml():
    for v in ('3.9', '3.10', '3.12', '3.13'):
        p = _find_python(v)
        if p and subprocess.run([p, '-c', 'import yaml'], stderr=subprocess.DEVNULL, check=False).returncode != 0:
            return p
    pytest.skip('no target Python without PyYAML found by scripts/find-python (3.9-3.13)')


TARGET_VERSIONS = [v.strip() for v in os.environ.get('JIRA_TEST_TARGET_PYTHONS', '').split(',') if v.strip()] or \
    ['3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13']


@pytest.mark.parametrize('version', TARGET_VERSIONS)
def test_runs_on_old_target_pythons(version):
    minimum, core = _ansible_min_target_python()
    if tuple(int(x) for x in version.split('.')) < minimum:
        pytest.skip('ansible-core %s manages targets from Python %d.%d on; %s is exercised by the matrix cell with an '
                    'older ansible-core (set JIRA_TEST_TARGET_PYTHONS)' % (core, minimum[0], minimum[1], version))
    python = _find_python(version)
    if not python:
        pytest.skip('no Python %s on this machine (scripts/find-python %s found none)' % (version, version))
    d = target_dir()
    t1, t2 = new_token('o'), new_token('n')
    inventory = 'localhost ansible_connection=local ansible_python_interpreter=%s\n' % python
    tasks = []
    for fmt in FORMATS:
        path = os.path.join(d, 'jira.' + fmt)
        tasks += [task('%s create' % fmt, base_args(fmt, path, t1)),
                  task('%s rotate' % fmt, base_args(fmt, path, t2, backup=True)),
                  task('%s again' % fmt, base_args(fmt, path, t2)),
                  task('%s info' % fmt, dict(path=path, format=fmt), module=FQCN_PREFIX + 'jira_integration_config_info')]
    r = play(tasks, [t1, t2], inventory=inventory, check_files_in=[d])
    assert r.rc == 0, r
    for fmt in FORMATS:
        assert out(r, '%s rotate' % fmt)['changed_keys'] == ['api_token']
        assert out(r, '%s again' % fmt)['changed'] is False
        info = out(r, '%s info' % fmt)
        assert info['token_fingerprint'] == fingerprint(t2) and info['problems'] == []
        assert read_config(fmt, os.path.join(d, 'jira.' + fmt))[keys_of(fmt)['api_token']] == t2


def legacy_fingerprint(token):
    """The unsalted form earlier versions recorded."""
    import hashlib
    return 'sha256:' + hashlib.sha256(token.encode('utf-8')).hexdigest()[:16]


def assert_no_unsalted_sha256(text, *tokens):
    """No 16-hex-digit slice of a plain SHA-256 of any token: that is what a word list can be
    tested against at full speed."""
    import hashlib
    low = text.lower()
    for token in tokens:
        plain = hashlib.sha256(token.encode('utf-8')).hexdigest()
        for i in range(len(plain) - 15):
            assert plain[i:i + 16] not in low, 'an unsalted SHA-256 slice of a token is shown'


def test_fingerprints_are_slow_hashes_and_old_form_records_are_upgraded_once():
    """A record and a --diff rotation show only the slow fingerprint; a record holding the older
    sha256: form of the same token is upgraded once (changed, rotated_at and validated_at kept),
    then converges; an older-form record of another token is a rotation; the info module compares
    fingerprints in either form."""
    d = target_dir()
    t1, t2 = new_token('m1'), new_token('m2')
    path, fact_path = os.path.join(d, 'jira.yaml'), os.path.join(d, 'facts.d', 'jira_integration.fact')

    def args(token):
        return dict(base_args('yaml', path, token), rotation_fact=dict(path=fact_path, account_id='5b10-acc',
                                                                       validated=True))

    def read_fact():
        with open(fact_path, encoding='utf-8') as f:
            return f.read()

    def write_fact(record):
        with open(fact_path, 'w', encoding='utf-8') as f:
            json.dump(record, f, indent=4, sort_keys=True)

    r = play([task('create', args(t1)), task('rotate', args(t2))], [t1, t2], check_files_in=[d])
    assert r.rc == 0, r
    assert '<api_token %s>' % fingerprint(t1) in r.stdout and '<api_token %s>' % fingerprint(t2) in r.stdout
    assert json.loads(read_fact())['token_fingerprint'] == fingerprint(t2)
    assert_no_unsalted_sha256(read_fact() + r.all_text(), t1, t2)

    old = dict(json.loads(read_fact()), token_fingerprint=legacy_fingerprint(t2),
               rotated_at='2026-01-01T00:00:00Z', validated_at='2026-01-02T00:00:00Z')
    write_fact(old)
    r = play([task('upgrade', args(t2)), task('again', args(t2))], [t1, t2], check_files_in=[d])
    upgrade, again = out(r, 'upgrade'), out(r, 'again')
    assert upgrade['changed'] is True and upgrade['config_changed'] is False and upgrade['changed_keys'] == []
    assert upgrade['rotation_fact'] == dict(old, token_fingerprint=fingerprint(t2))
    assert again['changed'] is False and again['rotation_fact'] == upgrade['rotation_fact']
    assert json.loads(read_fact()) == upgrade['rotation_fact']
    assert_no_unsalted_sha256(read_fact() + json.dumps(again), t1, t2)

    write_fact(dict(old, token_fingerprint=legacy_fingerprint(t1)))
    rotated = out(play([task('older form, other token', args(t2))], [t1, t2]), 'older form, other token')
    assert rotated['changed'] is True and rotated['rotation_fact']['rotated_at'] > old['rotated_at']
    assert rotated['rotation_fact']['token_fingerprint'] == fingerprint(t2)

    given = [legacy_fingerprint(t2), fingerprint(t2).upper(), legacy_fingerprint(t1), fingerprint(t1), 'md5:0']
    info = out(play([task('info', dict(path=path, format='yaml', compare_token_fingerprints=given),
                          module=FQCN_PREFIX + 'jira_integration_config_info')], [t1, t2]), 'info')
    assert info['token_fingerprint'] == fingerprint(t2)
    assert info['token_fingerprint_matches'] == dict(zip(given, [True, True, False, False, False]))
