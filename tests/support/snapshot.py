"""Snapshots of a directory tree, to tell what a run changed on disk.

Each suite compares what it promises to keep: ``tree_snapshot(base, fields)`` maps every path under
``base`` (relative, links not followed by the walk) to a tuple of the named ``fields``, so two
snapshots compare equal exactly when those fields are unchanged everywhere and no path came or went.
"""

import os
import stat


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def _body(path, st):
    if stat.S_ISLNK(st.st_mode):
        return ('link', os.readlink(path))
    if stat.S_ISREG(st.st_mode):
        return ('file', _read(path))
    return ('dir', None)


# name -> value for (path, lstat result)
FIELDS = {
    'mode': lambda p, st: st.st_mode,
    'perm': lambda p, st: stat.S_IMODE(st.st_mode),
    'ino': lambda p, st: st.st_ino,
    'mtime_ns': lambda p, st: st.st_mtime_ns,
    'uid': lambda p, st: st.st_uid,
    'gid': lambda p, st: st.st_gid,
    # content of a regular file; None for anything else (a symlink included)
    'data': lambda p, st: _read(p) if stat.S_ISREG(st.st_mode) else None,
    # content of a regular file or of the file a symlink points to; None for anything else
    'data_via_links': lambda p, st: _read(p) if os.path.isfile(p) else None,
    # ('link', target) | ('file', content) | ('dir', None) for anything else
    'body': _body,
}


def tree_snapshot(base, fields, dir_fields=None):
    """{relative path: tuple of ``fields``} for everything under ``base``; directories get
    ``dir_fields`` instead when given (e.g. without mtime_ns, which a temp file created and removed
    again changes)."""
    unknown = (set(fields) | set(dir_fields or ())) - set(FIELDS)
    if unknown:
        raise ValueError('unknown snapshot fields: %s' % sorted(unknown))
    snap = {}
    for root, dirs, files in os.walk(base):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            use = dir_fields if dir_fields is not None and stat.S_ISDIR(st.st_mode) else fields
            snap[os.path.relpath(p, base)] = tuple(FIELDS[f](p, st) for f in use)
    return snap
