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
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import contextlib
import errno
import grp
import inspect
import os
import pwd
import re
import stat
import time

TEMP_PREFIX = '.jira-tmp-'


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
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0)
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


def make_backup(path):
    """Copy ``path`` to ``path.<YYYY-mm-dd@HH:MM:SS>~`` with mode at most 0600 (never wider than
    the original) and the original's owner when allowed. Returns the backup's path."""
    st = os.stat(path)
    with open(path, 'rb') as f:
        data = f.read()
    stamp = time.strftime('%Y-%m-%d@%H:%M:%S')
    for n in range(100):
        name = '%s.%s%s~' % (path, stamp, '' if n == 0 else '.%d' % n)
        try:
            create_private_file(name, data, stat.S_IMODE(st.st_mode) & 0o600)
        except OSError as e:
            if e.errno == errno.EEXIST:
                continue
            raise SafeFileError('Could not create a backup of %s: %s.' % (path, _reason(e)))
        break
    else:
        raise SafeFileError('Could not find a free backup name for %s.' % path)
    try:
        os.chown(name, st.st_uid, st.st_gid)
    except OSError:
        pass
    os.utime(name, (st.st_atime, st.st_mtime))
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


def write_file(module, path, data, file_args, validate=None, backup=False):
    """Replace ``path`` with ``data`` (bytes) safely; returns the backup's path or None.

    ``file_args`` comes from ``module.load_file_common_arguments``. Raises SafeFileError with a
    message that names the path (or the option) and the reason, never the content.
    """
    check_path(path)
    attrs = _new_attrs(path, *resolve_attrs(module, file_args))
    if validate and '%s' not in validate:
        raise SafeFileError('Option validate must contain %%s (the new file); got %s.' % validate)
    directory = os.path.dirname(path) or '.'
    try:
        dir_st = os.stat(directory)
    except OSError:
        dir_st = None
    try:
        return _replace(module, path, data, file_args, attrs, directory, validate, backup)
    except SafeFileError:
        if dir_st is not None:
            # The temp file came and went: leave the directory's times as they were too, so a
            # refused write shows no trace (best effort).
            try:
                os.utime(directory, ns=(dir_st.st_atime_ns, dir_st.st_mtime_ns))
            except (OSError, AttributeError, TypeError):
                pass
        raise


def _replace(module, path, data, file_args, attrs, directory, validate, backup):
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
                detail = (err or out or '').strip()[-1000:]
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
    """Delete ``path`` (optionally backing it up first); returns the backup's path or None."""
    backup_file = make_backup(path) if backup else None
    try:
        os.unlink(path)
    except OSError as e:
        raise SafeFileError('Could not remove %s: %s.' % (path, _os_reason(e, path)))
    return backup_file


def ensure_parent(directory, mode):
    """Create missing parent directories with ``mode`` (an int). Returns the list created."""
    created = []
    missing = []
    current = os.path.abspath(directory)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for d in reversed(missing):
        try:
            os.mkdir(d, mode)
        except OSError as e:
            # Another fork (another host of the same play on this machine) made it meanwhile.
            if e.errno == errno.EEXIST and os.path.isdir(d) and not os.path.islink(d):
                continue
            raise SafeFileError('Could not create the directory %s: %s.' % (d, _reason(e)))
        try:
            os.chmod(d, mode)  # mkdir's mode is masked by the umask
        except OSError as e:
            raise SafeFileError('Could not create the directory %s: %s.' % (d, _reason(e)))
        created.append(d)
    return created
