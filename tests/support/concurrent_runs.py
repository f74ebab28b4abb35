"""Several ansible-playbook runs released at the same moment, for the concurrency suites.

Each run's playbook first waits at a barrier: a controller-side ``pipe`` lookup of ``cat <fifo>``
(its extra var ``barrier_cmd``), so no module run comes before it. :func:`run_together` starts the
runs, waits until every one is blocked reading its FIFO, then releases them all at once.
"""

import errno
import os
import tempfile
import threading
import time

from support.ansible import _scratch_dir, run_playbook
from support.leakscan import exposure_env, new_workdir


def playbook_dir(prefix, playbook):
    """A scratch directory holding ``site.yml`` (the ``playbook`` text) and, later, the FIFOs.
    Returns (directory, playbook path)."""
    sync = tempfile.mkdtemp(prefix=prefix, dir=_scratch_dir())
    path = os.path.join(sync, 'site.yml')
    with open(path, 'w') as f:
        f.write(playbook)
    return sync, path


def barrier_fifo(sync, name):
    """A new FIFO in ``sync``; its run gets ``barrier_cmd='cat <fifo>'``. Returns its path."""
    fifo = os.path.join(sync, 'go-%s' % name)
    os.mkfifo(fifo, 0o600)
    return fifo


def release(fifos, timeout=90):
    """The barrier: each writer blocks reading its FIFO (``cat``). Open every FIFO for writing
    once its reader is there, then close them all at once: the readers see EOF together."""
    fds = []
    deadline = time.time() + timeout
    try:
        for fifo in fifos:
            while True:
                try:
                    fds.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                    break
                except OSError as e:
                    # ENXIO: the writer has not reached the barrier yet.
                    if e.errno != errno.ENXIO or time.time() > deadline:
                        raise
                    time.sleep(0.01)
    finally:
        for fd in fds:
            os.close(fd)


def run_together(playbook, runs, workdir_prefix, timeout, join_timeout):
    """Run ``playbook`` once per entry of ``runs`` ({name: {'extra': extra vars, 'fifo': its barrier
    FIFO}}), each in its own work dir with the leak scan's environment, all released together.
    Returns {name: run_playbook result} of the runs that finished within ``join_timeout``."""
    results = {}

    def play(name):
        workdir = new_workdir(workdir_prefix)
        results[name] = run_playbook(playbook, extra_vars=runs[name]['extra'], env=exposure_env(workdir),
                                     workdir=workdir, timeout=timeout)

    threads = [threading.Thread(target=play, args=(name,)) for name in runs]
    for t in threads:
        t.start()
    release([r['fifo'] for r in runs.values()])
    for t in threads:
        t.join(join_timeout)
    return results
