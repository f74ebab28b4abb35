"""The shared test helpers of tests/support do what the suites that use them rely on."""

import os
import socket
import stat
import tempfile
import threading
import time

import pytest

from support.concurrent_runs import barrier_fifo, release
from support.proxy import pump
from support.snapshot import tree_snapshot


@pytest.fixture
def tree(tmp_path):
    """A file, a symlink to it, a dangling symlink, a sub-directory with a file, a FIFO."""
    (tmp_path / 'a.yml').write_bytes(b'a: 1\n')
    os.chmod(str(tmp_path / 'a.yml'), 0o600)
    os.symlink('a.yml', str(tmp_path / 'link'))
    os.symlink('missing', str(tmp_path / 'dangling'))
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'b.ini').write_bytes(b'[x]\n')
    os.mkfifo(str(tmp_path / 'fifo'))
    return str(tmp_path)


def _entries(base):
    for root, dirs, files in os.walk(base):
        for name in dirs + files:
            p = os.path.join(root, name)
            yield os.path.relpath(p, base), os.lstat(p)


def test_snapshot_fields_read_lstat_and_content(tree):
    snap = tree_snapshot(tree, ('mode', 'ino', 'mtime_ns', 'uid', 'gid', 'perm', 'data', 'data_via_links', 'body'))
    assert sorted(snap) == ['a.yml', 'dangling', 'fifo', 'link', 'sub', 'sub/b.ini']
    for rel, st in _entries(tree):
        assert snap[rel][:6] == (st.st_mode, st.st_ino, st.st_mtime_ns, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
    assert snap['a.yml'][6:] == (b'a: 1\n', b'a: 1\n', ('file', b'a: 1\n'))
    assert snap['link'][6:] == (None, b'a: 1\n', ('link', 'a.yml'))      # data: not through a link
    assert snap['dangling'][6:] == (None, None, ('link', 'missing'))
    assert snap['fifo'][6:] == (None, None, ('dir', None))               # never opened (it would block)
    assert snap['sub'][6:] == (None, None, ('dir', None))


def test_snapshot_dir_fields_apply_to_directories_only(tree):
    snap = tree_snapshot(tree, ('mode', 'mtime_ns'), dir_fields=('mode',))
    assert len(snap['sub']) == 1 and len(snap['a.yml']) == 2 and len(snap['link']) == 2
    # A temp file created and removed again changes only the directory's mtime: invisible here.
    before = snap
    tmp = os.path.join(tree, 'sub', '.tmp')
    with open(tmp, 'w'):
        pass
    os.unlink(tmp)
    assert tree_snapshot(tree, ('mode', 'mtime_ns'), dir_fields=('mode',)) == before


def test_snapshot_sees_a_rewrite_and_a_new_file(tree):
    fields = ('mode', 'ino', 'mtime_ns', 'data')
    before = tree_snapshot(tree, fields)
    time.sleep(0.01)
    with open(os.path.join(tree, 'a.yml'), 'wb') as f:
        f.write(b'a: 2\n')
    assert tree_snapshot(tree, fields)['a.yml'] != before['a.yml']
    open(os.path.join(tree, 'new'), 'w').close()
    assert set(tree_snapshot(tree, fields)) - set(before) == {'new'}


def test_snapshot_refuses_an_unknown_field(tree):
    with pytest.raises(ValueError, match='size'):
        tree_snapshot(tree, ('mode', 'size'))


def _pair():
    a, b = socket.socketpair()
    a.settimeout(10)
    b.settimeout(10)
    return a, b


def _drain(sock):
    out = b''
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            break
        if not data:
            break
        out += data
    return out


def test_pump_forwards_everything_counts_it_and_closes_both_ends():
    src_peer, src = _pair()
    dst, dst_peer = _pair()
    counted = []
    t = threading.Thread(target=pump, args=(src, dst, threading.Event()), kwargs=dict(on_sent=counted.append))
    t.start()
    src_peer.sendall(b'x' * 100000)
    src_peer.shutdown(socket.SHUT_WR)
    assert _drain(dst_peer) == b'x' * 100000
    t.join(10)
    assert sum(counted) == 100000
    assert src.fileno() == -1 and dst.fileno() == -1


def test_pump_stalls_after_the_limit_until_stopped():
    src_peer, src = _pair()
    dst, dst_peer = _pair()
    stop, counted = threading.Event(), []
    t = threading.Thread(target=pump, args=(src, dst, stop), kwargs=dict(on_sent=counted.append, stall_after=10))
    t.start()
    src_peer.sendall(b'y' * 50)
    dst_peer.settimeout(0.5)
    got = b''
    with pytest.raises(socket.timeout):
        while True:
            got += dst_peer.recv(100)        # 10 bytes, then silence with the connection open
    assert got == b'y' * 10 and sum(counted) == 10
    assert t.is_alive()
    stop.set()
    t.join(10)
    assert not t.is_alive()


def test_release_lets_every_waiting_reader_go_at_once():
    sync = tempfile.mkdtemp()
    fifos = [barrier_fifo(sync, str(i)) for i in range(3)]
    done = []

    def reader(path):
        with open(path, 'rb') as f:            # blocks until release() opens the FIFO for writing
            f.read()
        done.append(time.monotonic())

    threads = [threading.Thread(target=reader, args=(f,)) for f in fifos]
    for t in threads:
        t.start()
    release(fifos, timeout=10)
    for t in threads:
        t.join(10)
    assert len(done) == 3 and max(done) - min(done) < 2
    assert sorted(os.listdir(sync)) == ['go-0', 'go-1', 'go-2']
