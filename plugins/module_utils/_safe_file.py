# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the integrations.jira collection. It may change at any time,
# without notice. Do not use it from other collections or roles.

"""The one helper that writes a file holding a secret.

The new content goes to a temp file in the destination's directory, created 0600 from the first
byte (``O_CREAT|O_EXCL``), written, flushed and fsync'd, given the wanted owner, group and mode,
optionally validated, then moved over the old file without copying the old file's attributes.
The old inode is only read, never changed (a hard link at the path must not pass a chmod or
chown on to another file). Any failure before the move leaves the old file as it was and removes
the temp file. Backups get a timestamped name and a mode no wider than 0600.

Nothing is ever changed by name after it was created or opened: owner, mode and times are set
on the open file descriptor, and every open of an existing name refuses to follow a symbolic
link, so a user who owns the directory cannot redirect a chown, chmod or utime to another file
by swapping a fresh name for a link. Writers of one directory are serialised with ``flock``
(released by the kernel when a run dies), and files are read up to a bound only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import contextlib
import errno
import fcntl
import grp
import hashlib
import inspect
import os
import pwd
import re
import stat
import time

from ansible.module_utils.common.text.converters import to_bytes

TEMP_PREFIX = '.jira-tmp-'
LOCK_PREFIX = '.jira-lock-'
# A config file with a Jira token is a few hundred bytes; a bigger one is not read at all.
MAX_READ_BYTES = 1024 * 1024
LOCK_WAIT_S = 60
_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
_CLOEXEC = getattr(os, 'O_CLOEXEC', 0)
_NONBLOCK = getattr(os, 'O_NONBLOCK', 0)


class SafeFileError(Exception):
    def __init__(self, msg):
        super(SafeFileError, self).__init__(msg)
        self.msg = msg


class _AttrError(Exception):
    def __init__(self, error):
        super(_AttrError, self).__init__(str(error))
        self.error = error


def _reason(e):
    return e.strerror or str(e)


def _os_error(e):
    """The OSError behind ``e``: ansible-core's atomic_move wraps it in a plain Exception."""
    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, OSError):
            return e
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return None


def _os_reason(e, path, what='file'):
    """The OS reason of ``e`` for a message; EPERM where root gets it usually means chattr +i."""
    cause = _os_error(e)
    if cause is None:
        return str(e)
    reason = _reason(cause)
    if cause.errno == errno.EPERM:
        reason += ' (is the %s immutable? lsattr %s%s)' % (what, '-d ' if what == 'directory' else '', path)
    return reason


def check_path(path, option='path'):
    """Raise SafeFileError unless ``path`` is absolute, without NUL and without '..' segments.

    A relative path would be resolved against the module's working directory, which nobody
    chose (with the local connection: the controller's current directory); '..' hides which
    file is written."""
    if '\x00' in path:
        raise SafeFileError('Option %s must not contain a NUL character.' % option)
    if not os.path.isabs(path):
        raise SafeFileError('Option %s must be an absolute path (starting with /); got %r.' % (option, path))
    if '..' in path.split('/'):
        raise SafeFileError("Option %s must not contain '..' segments; got %r." % (option, path))
    if path.endswith('/') or path.endswith('/.'):
        # A name is needed: 'dir/' would make the directory and then fail to write a file named ''.
        raise SafeFileError('Option %s must name a file, not a directory (it ends with /); got %r.' % (option, path))


@contextlib.contextmanager
def _umask(mask):
    # atomic_move chmods a newly created file to 0666 & ~umask; keep that private too.
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _temp_name(path):
    directory = os.path.dirname(path) or '.'
    # Keep the extension (validators may look at it); no user text otherwise, so a temp name
    # never holds spaces or anything else from the path.
    ext = re.sub(r'[^A-Za-z0-9]', '', os.path.splitext(path)[1])[:16]
    suffix = binascii.hexlify(os.urandom(8)).decode('ascii')
    return os.path.join(directory, TEMP_PREFIX + suffix + ('.' + ext if ext else ''))


def _write_fd(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)


def create_private_file(path, data, mode=0o600, finish=None):
    """Create ``path`` (which must not exist) with ``mode`` from the first byte, write ``data``,
    fsync, then call ``finish(fd)`` if given. On failure nothing is left behind."""
    # O_EXCL: a name planted in advance (a symbolic link included) makes this fail, never followed.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    fd = os.open(path, flags, mode)
    try:
        _write_fd(fd, data)
        if finish is not None:
            finish(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(path)
        raise
    os.close(fd)


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


class FileTooLarge(SafeFileError):
    pass


def open_existing(path, follow=False):
    """An fd (read-only) on the regular file ``path``, never through a symbolic link (unless
    ``follow``) and never blocking on a FIFO. Raises OSError (ELOOP for a link) or SafeFileError
    (not a regular file)."""
    fd = os.open(path, os.O_RDONLY | (0 if follow else _NOFOLLOW) | _NONBLOCK | _CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SafeFileError('%s is not a regular file.' % path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_fd(fd, limit):
    chunks = []
    size = 0
    while True:
        chunk = os.read(fd, 65536 if limit is None else min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            return None
    return b''.join(chunks)


def read_file(path, limit=MAX_READ_BYTES, option='path', follow=False):
    """The bytes of the existing regular file ``path``, read through one descriptor opened
    without following a link, at most ``limit`` bytes: a bigger file raises FileTooLarge
    without being loaded. Other failures raise OSError."""
    fd = open_existing(path, follow)
    try:
        if os.fstat(fd).st_size > limit:
            data = None
        else:
            data = _read_fd(fd, limit)  # the size may grow meanwhile
    finally:
        os.close(fd)
    if data is None:
        raise FileTooLarge('%s (%s) is larger than %d KiB; a config file holding a Jira token is far smaller, so it '
                           'is not read. Check the file, or remove it to have it written anew.'
                           % (path, option, limit // 1024))
    return data


class ReadRefused(SafeFileError):
    """The system refused to read an existing file; ``reason`` is its text."""

    def __init__(self, path, reason):
        super(ReadRefused, self).__init__('Could not read %s: %s.' % (path, reason))
        self.reason = reason


def load_if_exists(path, option='path', follow=False):
    """The bytes of the file at ``path`` as :func:`read_file` reads them, or None when nothing is
    there (a dangling link counts as something unless ``follow``: reading it then fails).

    Raises FileTooLarge (the file is not loaded), SafeFileError (not a regular file, a link) or
    ReadRefused (the system's reason, with the message the config writer gives)."""
    b_path = to_bytes(path, errors='surrogate_or_strict')
    if not (os.path.exists(b_path) if follow else os.path.lexists(b_path)):
        return None
    try:
        return read_file(b_path, option=option, follow=follow)
    except SafeFileError:
        raise
    except (IOError, OSError) as e:
        raise ReadRefused(path, e.strerror or e)


def _copy_fd(src, dst):
    while True:
        chunk = os.read(src, 65536)
        if not chunk:
            break
        view = memoryview(chunk)
        while view:
            view = view[os.write(dst, view):]


def _utime_fd(fd, st):
    if os.utime in getattr(os, 'supports_fd', ()):
        os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))


def make_backup(path):
    """Copy ``path`` to ``path.<YYYY-mm-dd@HH:MM:SS>~`` with mode at most 0600 (never wider than
    the original) and the original's owner when allowed. Returns the backup's path.

    The original is read through one descriptor opened without following a link; the backup is
    created with O_EXCL|O_NOFOLLOW and gets its owner, mode and times on its descriptor, so a
    user who owns the directory and swaps the new name for a link gains nothing."""
    try:
        src = open_existing(path)
    except OSError as e:
        raise SafeFileError('Could not create a backup of %s: %s.' % (path, _reason(e)))
    try:
        st = os.fstat(src)
        mode = stat.S_IMODE(st.st_mode) & 0o600

        def finish(fd):
            try:
                os.fchown(fd, st.st_uid, st.st_gid)
            except OSError:
                pass  # another user's file, not run as root: the backup stays ours
            os.fchmod(fd, mode)  # after the chown, and not masked by the umask
            _utime_fd(fd, st)

        def fill(fd):
            os.lseek(src, 0, os.SEEK_SET)
            _copy_fd(src, fd)
            os.fsync(fd)
            finish(fd)

        stamp = time.strftime('%Y-%m-%d@%H:%M:%S')
        for n in range(100):
            name = '%s.%s%s~' % (path, stamp, '' if n == 0 else '.%d' % n)
            try:
                create_private_file(name, b'', mode, finish=fill)
            except OSError as e:
                if e.errno == errno.EEXIST:
                    continue
                raise SafeFileError('Could not create a backup of %s: %s.' % (path, _reason(e)))
            break
        else:
            raise SafeFileError('Could not find a free backup name for %s.' % path)
    finally:
        os.close(src)
    return name


NEW_FILE_MODE = 0o600


def _lookup_id(value, option, getter, what):
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        pass
    try:
        return getter(value)[2]
    except KeyError:
        raise SafeFileError('Option %s: there is no %s %s on the host.' % (option, what, value))


def wanted_mode(module, mode, base_mode=NEW_FILE_MODE):
    """The permission bits (an int) of the mode option: octal (int or string) or symbolic, applied
    to ``base_mode`` (the old file's bits, or those of a new file). Raises SafeFileError naming
    the option."""
    if isinstance(mode, bool):
        raise SafeFileError('Option mode must be an octal string such as 0600 or a symbolic mode such as u=rw.')
    if isinstance(mode, int):
        bits = mode
    else:
        text = str(mode).strip()
        try:
            bits = int(text, 8)
        except ValueError:
            to_octal = getattr(module, '_symbolic_mode_to_octal', None)
            if to_octal is None or not re.match(r'^[ugoa]*[-+=]', text):
                raise SafeFileError('Option mode must be an octal string such as 0600 or a symbolic mode such as '
                                    'u=rw; got %r.' % text)
            fake = os.stat_result((stat.S_IFREG | base_mode, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            try:
                bits = to_octal(fake, text)
            except ValueError as e:
                raise SafeFileError('Option mode: %s.' % e)
    if bits != stat.S_IMODE(bits):
        raise SafeFileError('Option mode %r has bits beyond the permissions (at most 07777).' % (mode,))
    return bits


def resolve_attrs(module, file_args):
    """(mode, uid, gid) that the new file gets, checked before anything is written. uid/gid are
    None when not asked for (the old file's are kept). Raises SafeFileError naming the option."""
    path = file_args['path']
    base = NEW_FILE_MODE
    try:
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode):
            base = stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    mode = wanted_mode(module, NEW_FILE_MODE if file_args.get('mode') is None else file_args['mode'], base)
    uid = _lookup_id(file_args.get('owner'), 'owner', pwd.getpwnam, 'user')
    gid = _lookup_id(file_args.get('group'), 'group', grp.getgrnam, 'group')
    return mode, uid, gid


def _new_attrs(path, mode, uid, gid):
    """What _apply_attrs gives the temp file: owner and group not asked for are the old file's
    (as atomic_move would have copied them), read with lstat only."""
    old = None
    if uid is None or gid is None:
        try:
            old = os.lstat(path)
        except OSError:
            pass
        if old is not None and not stat.S_ISREG(old.st_mode):
            old = None
    return (mode,
            uid if uid is not None else (old.st_uid if old else None),
            gid if gid is not None else (old.st_gid if old else None),
            uid is not None or gid is not None)


def _apply_attrs(fd, mode, uid, gid, asked):
    """Owner and group first (chown may clear set-id bits), then the mode."""
    try:
        if uid is not None or gid is not None:
            try:
                os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
            except OSError as e:
                if asked or e.errno != errno.EPERM:
                    raise
                # Keeping another user's ownership needs root; like atomic_move, go on without
                # it, but keep the old group if it is one of this user's.
                if gid is not None:
                    try:
                        os.fchown(fd, -1, gid)
                    except OSError:
                        pass
        os.fchmod(fd, mode)
    except OSError as e:
        raise _AttrError(e)


def _has_keep_dest_attrs(module):
    try:
        return 'keep_dest_attrs' in inspect.signature(module.atomic_move).parameters
    except (TypeError, ValueError):
        return False


def _move(module, tmp, path, unsafe_writes):
    """Rename ``tmp`` over ``path`` keeping tmp's attributes; the old inode is not touched."""
    if module.selinux_enabled() and os.path.exists(path):
        # Carry the old file's SELinux context over (a read of the old inode only).
        module.set_context_if_different(tmp, module.selinux_context(path), False)
    # Rename here rather than through atomic_move: same directory, so the rename is atomic, and a
    # refusal surfaces as the OSError itself. (atomic_move copies the old file's mode and owner
    # onto the new content before 2.17, and some releases fail the module from inside it with
    # temp-file names instead of raising.) Only a refused rename with unsafe_writes goes to
    # atomic_move's in-place fallback, which the user asked for.
    try:
        os.rename(tmp, path)
    except OSError:
        if not unsafe_writes:
            raise
        if _has_keep_dest_attrs(module):
            module.atomic_move(tmp, path, unsafe_writes=True, keep_dest_attrs=False)
        else:
            module.atomic_move(tmp, path, unsafe_writes=True)


def write_file(module, path, data, file_args, validate=None, backup=False, mask=None):
    """Replace ``path`` with ``data`` (bytes) safely; returns the backup's path or None.

    ``file_args`` comes from ``module.load_file_common_arguments``. Raises SafeFileError with a
    message that names the path (or the option) and the reason, never the content. ``mask``
    (text -> text) hides secrets in the validate command's output; it is applied to the whole
    output before it is cut to its tail, so a cut never leaves half a secret visible.
    """
    check_path(path)
    attrs = _new_attrs(path, *resolve_attrs(module, file_args))
    if validate and '%s' not in validate:
        raise SafeFileError('Option validate must contain %%s (the new file); got %s.' % validate)
    directory = os.path.dirname(path) or '.'
    # The directory's times are put back through a descriptor: by name, a directory swapped for a
    # link meanwhile would pass the utime on to another file.
    try:
        dir_fd = os.open(directory, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0) | _CLOEXEC)
    except OSError:
        dir_fd = None
    dir_st = None
    try:
        if dir_fd is not None:
            dir_st = os.fstat(dir_fd)
        return _replace(module, path, data, file_args, attrs, directory, validate, backup, mask)
    except SafeFileError:
        if dir_st is not None:
            # The temp file came and went: leave the directory's times as they were too, so a
            # refused write shows no trace (best effort).
            try:
                _utime_fd(dir_fd, dir_st)
            except (OSError, AttributeError, TypeError):
                pass
        raise
    finally:
        if dir_fd is not None:
            os.close(dir_fd)


def _replace(module, path, data, file_args, attrs, directory, validate, backup, mask):
    tmp = _temp_name(path)
    try:
        # The temp file gets its final owner and mode before the move: the move then keeps them,
        # and the old file (maybe a hard link to another one) is never chmod'ed or chown'ed.
        create_private_file(tmp, data, finish=lambda fd: _apply_attrs(fd, *attrs))
    except _AttrError as e:
        asked = ', '.join('%s=%s' % (k, file_args[k]) for k in ('owner', 'group', 'mode') if file_args.get(k) is not None)
        raise SafeFileError('Could not give the new file %s: %s. %s is unchanged.' % (asked, _reason(e.error), path))
    except OSError as e:
        raise SafeFileError('Could not write a temporary file in %s: %s. %s is unchanged.' % (
            directory, _os_reason(e, directory, 'directory'), path))
    module.add_cleanup_file(tmp)
    try:
        if validate:
            rc, out, err = module.run_command(validate % tmp)
            if rc != 0:
                detail = err or out or ''
                if mask is not None:
                    detail = mask(detail)
                detail = detail.strip()[-1000:]
                raise SafeFileError('The validate command failed (rc=%s): %s. %s is unchanged.' % (rc, detail, path))
        backup_file = None
        if backup and os.path.exists(path):
            backup_file = make_backup(path)
        with _umask(0o077):
            _move(module, tmp, path, module.params.get('unsafe_writes', False))
    except SafeFileError:
        raise
    except Exception as e:
        raise SafeFileError('Could not replace %s: %s. The old file is unchanged.' % (path, _os_reason(e, path)))
    finally:
        _unlink_quietly(tmp)
    return backup_file


def remove_file(path, backup=False):
    """Delete ``path`` (optionally backing it up first); returns the backup's path or None.
    unlink never follows a link: a link swapped in removes the link only."""
    backup_file = make_backup(path) if backup else None
    try:
        os.unlink(path)
    except OSError as e:
        raise SafeFileError('Could not remove %s: %s.' % (path, _os_reason(e, path)))
    return backup_file


def remove_dirs(created):
    """Undo ensure_parent: remove the directories it made, deepest first, while they are empty."""
    for d in sorted(created, key=len, reverse=True):
        try:
            os.rmdir(d)
        except OSError:
            pass


def ensure_parent(directory, mode):
    """Create missing parent directories with ``mode`` (an int). Returns the list created.

    When one cannot be made, the ones made before it are removed again, so a failure leaves
    nothing behind. The mode is set on a descriptor of the new directory opened without
    following a link (a directory swapped for a link right after mkdir is never chmod'ed)."""
    created = []
    missing = []
    current = os.path.abspath(directory)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    try:
        for d in reversed(missing):
            try:
                os.mkdir(d, mode & 0o700)
            except OSError as e:
                # Another fork (another host of the same play on this machine) made it meanwhile.
                if e.errno == errno.EEXIST and os.path.isdir(d) and not os.path.islink(d):
                    continue
                raise SafeFileError('Could not create the directory %s: %s.' % (d, _reason(e)))
            created.append(d)
            try:
                fd = os.open(d, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0) | _NOFOLLOW | _CLOEXEC)
                try:
                    os.fchmod(fd, mode)  # mkdir's mode is masked by the umask
                finally:
                    os.close(fd)
            except OSError as e:
                raise SafeFileError('Could not create the directory %s: %s.' % (d, _reason(e)))
    except SafeFileError:
        remove_dirs(created)
        raise
    return created


# --------------------------------------------------------------------------- attributes in place

def _mode_text(st_mode):
    return '%04o' % stat.S_IMODE(st_mode)


def _user_name(uid, getter):
    try:
        return getter(uid)[0]
    except KeyError:
        return str(uid)


def attributes_text(st):
    """mode, owner and group of a stat result, one per line (the diff of an attribute fix)."""
    owner = _user_name(st.st_uid, pwd.getpwuid)
    group = _user_name(st.st_gid, grp.getgrgid)
    return 'mode: %s\nowner: %s\ngroup: %s\n' % (_mode_text(st.st_mode), owner, group)


def fix_attributes(module, path, file_args, check_mode=False, mask=None):
    """Give the existing ``path`` the owner, group and mode of ``file_args`` (mode an int or
    None; owner/group names, ids or None). Returns (changed, diff entry or None).

    Works on one descriptor opened without following a link. A file with more than one hard
    link is not changed in place (that would change the other names too): it is replaced by a
    new file with the same content and the wanted attributes, like a content change."""
    mode = file_args.get('mode')
    uid = _lookup_id(file_args.get('owner'), 'owner', pwd.getpwnam, 'user')
    gid = _lookup_id(file_args.get('group'), 'group', grp.getgrnam, 'group')
    try:
        fd = open_existing(path)
    except OSError as e:
        raise SafeFileError('Could not open %s to check its mode and owner: %s.' % (path, _reason(e)))
    try:
        st = os.fstat(fd)
        if mode is not None and (isinstance(mode, bool) or not isinstance(mode, int)):
            mode = wanted_mode(module, mode, stat.S_IMODE(st.st_mode))
        new_mode = stat.S_IMODE(st.st_mode) if mode is None else mode
        new_uid = st.st_uid if uid is None else uid
        new_gid = st.st_gid if gid is None else gid
        if (new_mode, new_uid, new_gid) == (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid):
            return False, None
        wanted = os.stat_result((stat.S_IFREG | new_mode, 0, 0, 1, new_uid, new_gid, 0, 0, 0, 0))
        diff = dict(before_header='%s (attributes)' % path, after_header='%s (attributes)' % path,
                    before=attributes_text(st), after=attributes_text(wanted))
        if check_mode:
            return True, diff
        if st.st_nlink > 1:
            data = _read_fd(fd, None)
            os.close(fd)
            fd = None
            write_file(module, path, data, dict(file_args, mode=new_mode, path=path), mask=mask)
            return True, diff
        try:
            _apply_attrs(fd, new_mode, uid, gid, True)
        except _AttrError as e:
            asked = ', '.join('%s=%s' % (k, file_args[k]) for k in ('owner', 'group', 'mode')
                              if file_args.get(k) is not None)
            raise SafeFileError('Could not give %s %s: %s.' % (path, asked, _os_reason(e.error, path)))
        return True, diff
    finally:
        if fd is not None:
            os.close(fd)


# --------------------------------------------------------------------------- one writer per directory

class _DirLock(object):
    """An exclusive ``flock`` on the directory of a file, held while a run reads, merges and
    writes it, so concurrent runs on one host do not lose each other's updates.

    flock belongs to the open descriptor: a run that dies releases it, nothing to clean up, and
    no file is created (no trace in the directory, no inotify event). Where the file system has
    no flock on directories (NFS maps flock to byte-range locks, which need a file open for
    writing), a lock file named ``.jira-lock-<hash of the file name>`` is used instead: created
    0600 without following a link, never chmod'ed, removed by the holder when done. When the
    directory cannot even be opened (permissions), the write itself fails with its own reason,
    so the run goes on without a lock."""

    def __init__(self, path, wait_s=LOCK_WAIT_S):
        self.path = path
        self.directory = os.path.dirname(path) or '.'
        self.wait_s = wait_s
        self.fd = None
        self.lock_file = None

    def _wait(self, fd, what):
        deadline = time.time() + self.wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except (IOError, OSError) as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.time() >= deadline:
                raise SafeFileError('Another run is writing %s (it holds the lock on %s) and did not finish within '
                                    '%d seconds; nothing was changed. Try again when it is done.'
                                    % (self.path, what, self.wait_s))
            time.sleep(0.05)

    def acquire(self):
        try:
            fd = os.open(self.directory, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0) | _CLOEXEC)
        except OSError:
            return self
        try:
            self._wait(fd, 'its directory %s' % self.directory)
        except (IOError, OSError) as e:
            os.close(fd)
            if e.errno in (errno.EBADF, errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                return self._acquire_file()
            return self
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        return self

    def _acquire_file(self):
        base = os.path.basename(self.path).encode('utf-8', 'surrogateescape')
        name = os.path.join(self.directory, LOCK_PREFIX + hashlib.sha256(base).hexdigest()[:16])
        while True:
            try:
                fd = os.open(name, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _CLOEXEC, 0o600)
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.EISDIR):
                    raise SafeFileError('The lock file %s is %s; remove it.' % (
                        name, 'a symbolic link' if e.errno == errno.ELOOP else 'a directory'))
                return self  # not writable here: the write fails with its own reason
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise SafeFileError('The lock file %s is not a regular file; remove it.' % name)
                try:
                    self._wait(fd, name)
                except (IOError, OSError):
                    os.close(fd)
                    return self  # no locks on this file system at all
                # The holder removes the file when done: make sure this is still the one at the name.
                here = os.fstat(fd)
                try:
                    there = os.lstat(name)
                except OSError:
                    there = None
            except BaseException:
                os.close(fd)
                raise
            if there is not None and (there.st_dev, there.st_ino) == (here.st_dev, here.st_ino):
                self.fd, self.lock_file = fd, name
                return self
            os.close(fd)

    def release(self):
        if self.fd is None:
            return
        if self.lock_file is not None:
            _unlink_quietly(self.lock_file)
        os.close(self.fd)
        self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def lock_for(path, wait_s=LOCK_WAIT_S):
    """A context manager holding the writers' lock of ``path`` (see _DirLock)."""
    return _DirLock(path, wait_s)
