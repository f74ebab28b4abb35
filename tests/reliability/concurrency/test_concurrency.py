"""Two ansible-playbook runs writing the same config file at the same moment, 20 rounds: after
every round the file is exactly one writer's complete version (parsed, every field from the same
writer, never a mix or a truncation), mode 0600, and while the runs were going no file in the
directory — temp files included — ever had a group or other permission bit. No temp file is left.

Both runs wait at a barrier (a controller-side ``pipe`` lookup reading a FIFO, so no module run is
in between) and are released together; each write holds its temp file open for a moment (``validate`` sleeps), so
without the writers' lock the two writes would overlap. A poller lists the directory every few milliseconds during
the runs (no inotify) and the test proves it never saw two temp files at once: the lock serialised the writers.
"""

import os
import secrets
import stat
import tempfile
import threading
import time

import pytest
import yaml

from support.ansible import _scratch_dir
from support.concurrent_runs import barrier_fifo, playbook_dir, run_together
from support.leakscan import scan_run

pytestmark = pytest.mark.slow

ROUNDS = 20
URL = 'https://example.atlassian.net'
TEMP_PREFIX = '.jira-tmp-'
HOLD_S = 0.3  # how long each write keeps its temp file before the move

PLAYBOOK = r'''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Wait at the barrier with the other writer
      ansible.builtin.set_fact:
        __released: "{{ lookup('ansible.builtin.pipe', barrier_cmd) }}"

    - name: Write the config file
      integrations.jira.jira_integration_config:
        path: "{{ cfg_path }}"
        url: "{{ cfg_url }}"
        username: "{{ cfg_username }}"
        api_token: "{{ cfg_token }}"
        settings: "{{ cfg_settings }}"
        validate: "/bin/sh -c 'sleep {{ hold }}; test -s \"$0\"' %s"
'''


class Poller(threading.Thread):
    """Lists ``directory`` until stopped; remembers every entry with a group/other mode bit and
    the largest number of temp files seen at once."""

    def __init__(self, directory):
        super().__init__(daemon=True)
        self.directory = directory
        self.stop_event = threading.Event()
        self.exposed = []
        self.max_temps = 0
        self.temps_seen = set()
        self.scans = 0

    def run(self):
        while not self.stop_event.is_set():
            temps = 0
            try:
                entries = list(os.scandir(self.directory))
            except OSError:
                entries = []
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # renamed or removed between the listing and the stat
                if entry.name.startswith(TEMP_PREFIX):
                    temps += 1
                    self.temps_seen.add(entry.name)
                if stat.S_IMODE(st.st_mode) & 0o077:
                    self.exposed.append((entry.name, oct(stat.S_IMODE(st.st_mode))))
            self.max_temps = max(self.max_temps, temps)
            self.scans += 1
            time.sleep(0.003)

    def stop(self):
        self.stop_event.set()
        self.join(10)


def writer(name, rnd):
    tok = 'tok-%s-' % name + secrets.token_urlsafe(24)
    user = 'svc-%s@example.com' % name.lower()
    settings = {'writer': name, 'round': rnd, 'nonce': secrets.token_hex(8)}
    expected = dict(url=URL, username=user, api_token=tok, **settings)
    return tok, user, settings, expected


def test_two_runs_write_the_same_file_at_once(reliability_record):
    rec = reliability_record
    rec.scenario = 'two ansible-playbook runs write the same file at the same moment, %d rounds' % ROUNDS
    rec.fault = 'concurrent writers released together from a barrier; each write holds its temp file %.1f s' % HOLD_S
    target = tempfile.mkdtemp(prefix='conc-target-', dir=_scratch_dir())
    os.chmod(target, 0o755)  # a world-listable directory: only the files' own modes protect them
    path = os.path.join(target, 'jira.yml')
    sync, playbook = playbook_dir('conc-sync-', PLAYBOOK)

    winners = {'A': 0, 'B': 0}
    overlaps = 0
    for rnd in range(ROUNDS):
        runs = {}
        expected = {}
        tokens = []
        for name in ('A', 'B'):
            tok, user, settings, exp = writer(name, rnd)
            expected[name] = exp
            tokens.append((tok, user))
            fifo = barrier_fifo(sync, '%s-%d' % (name, rnd))
            runs[name] = dict(extra=dict(cfg_path=path, cfg_url=URL, cfg_username=user, cfg_token=tok,
                                         cfg_settings=settings, barrier_cmd='cat %s' % fifo, hold=HOLD_S),
                              fifo=fifo)
        poller = Poller(target)
        poller.start()
        results = run_together(playbook, runs, 'conc', timeout=120, join_timeout=150)
        poller.stop()

        for name, result in results.items():
            for tok, user in tokens:
                scan_run(result, tok, user, name_only_paths=[target])
            assert result.rc == 0, result
        rec.inputs += 2
        assert sorted(os.listdir(target)) == ['jira.yml'], os.listdir(target)
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        with open(path, 'rb') as f:
            data = yaml.safe_load(f.read().decode('utf-8'))
        won = [name for name, exp in expected.items() if data == exp]
        assert len(won) == 1, 'round %d: the file is no single complete version: %r' % (rnd, {
            k: ('<token>' if k == 'api_token' else v) for k, v in (data or {}).items()})
        winners[won[0]] += 1
        overlaps += poller.max_temps >= 2
        assert not poller.exposed, 'round %d: readable by group/other during the runs: %r' % (rnd, poller.exposed)

    rec.check('after every round the file parses as exactly one writer\'s complete version')
    rec.check('file mode 0600 after every round; no entry with group/other bits seen while the runs went on')
    rec.check('no temp file or other leftover in the directory after every round')
    assert overlaps == 0, 'two writes of one file overlapped in %d rounds: the writers were not serialised' % overlaps
    rec.check('the writers\' lock serialised the two writes (never two temp files at once) in all %d rounds' % ROUNDS)
    rec.details.update(rounds=ROUNDS, winners=winners, rounds_with_overlapping_writes=overlaps)
