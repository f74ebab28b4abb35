# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the integrations.jira collection. It may change at any time,
# without notice. Do not use it from other collections or roles.

"""The one helper that writes a file holding a secret.

The new content goes to a temp file in the destination's directory, created 0600 from the first
byte (``O_CREAT|O_EXCL``), written, flushed and fsync'd, optionally validated, then moved over
the old file with ``atomic_move`` and given its attributes. Any failure before the move leaves
the old file as it was and removes the temp file. Backups get a timestamped name and a mode no
wider than 0600.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import contextlib
import errno
import os
import re
import stat
import time

TEMP_PREFIX = '.jira-tmp-'


class SafeFileError(Exception):
    def __init__(self, msg):
        super(SafeFileError, self).__init__(msg)
        self.msg = msg


def _reason(e):
    return e.strerror or str(e)


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


def create_private_file(path, data, mode=0o600):
    """Create ``path`` (which must not exist) with ``mode`` from the first byte, write ``data``,
    fsync. On failure nothing is left behind."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0)
    fd = os.open(path, flags, mode)
    try:
        _write_fd(fd, data)
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


def wanted_mode(mode):
    """The permission bits of an octal mode option (int or string); 0600 for symbolic modes,
    the safe guess for a file with a secret."""
    if isinstance(mode, int):
        return mode & 0o7777
    try:
        return int(str(mode), 8) & 0o7777
    except (TypeError, ValueError):
        return 0o600


def write_file(module, path, data, file_args, validate=None, backup=False):
    """Replace ``path`` with ``data`` (bytes) safely; returns the backup's path or None.

    ``file_args`` comes from ``module.load_file_common_arguments``. Raises SafeFileError with a
    message that names the path and the reason, never the content.
    """
    directory = os.path.dirname(path) or '.'
    tmp = _temp_name(path)
    try:
        create_private_file(tmp, data)
    except OSError as e:
        raise SafeFileError('Could not write a temporary file in %s: %s. %s is unchanged.' % (directory, _reason(e), path))
    module.add_cleanup_file(tmp)
    try:
        if validate:
            if '%s' not in validate:
                raise SafeFileError('validate must contain %%s (the new file); got %s.' % validate)
            rc, out, err = module.run_command(validate % tmp)
            if rc != 0:
                detail = (err or out or '').strip()[-1000:]
                raise SafeFileError('The validate command failed (rc=%s): %s. %s is unchanged.' % (rc, detail, path))
        backup_file = None
        if backup and os.path.exists(path):
            backup_file = make_backup(path)
        if os.path.exists(path):
            # atomic_move copies the old file's mode onto the new one before the rename. Narrow
            # the old file to what both allow, so the new content is never readable more widely
            # than the old one was or than asked for. (keep_dest_attrs=False would avoid this
            # but needs ansible-core 2.17.)
            old_mode = stat.S_IMODE(os.stat(path).st_mode)
            narrowed = old_mode & wanted_mode(file_args.get('mode'))
            if narrowed != old_mode:
                os.chmod(path, narrowed)
        with _umask(0o077):
            module.atomic_move(tmp, path, unsafe_writes=module.params.get('unsafe_writes', False))
    except SafeFileError:
        raise
    except Exception as e:
        raise SafeFileError('Could not replace %s: %s. The old file is unchanged.' % (
            path, _reason(e) if isinstance(e, OSError) else str(e)))
    finally:
        _unlink_quietly(tmp)
    return backup_file


def remove_file(path, backup=False):
    """Delete ``path`` (optionally backing it up first); returns the backup's path or None."""
    backup_file = make_backup(path) if backup else None
    try:
        os.unlink(path)
    except OSError as e:
        raise SafeFileError('Could not remove %s: %s.' % (path, _reason(e)))
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
            os.chmod(d, mode)  # mkdir's mode is masked by the umask
        except OSError as e:
            raise SafeFileError('Could not create the directory %s: %s.' % (d, _reason(e)))
        created.append(d)
    return created
