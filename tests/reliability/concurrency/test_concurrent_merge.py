"""Several ansible-playbook runs merge into the same config file at the same moment, each adding
its own key: after every round every key is in the file (no run's read-modify-write is lost), every
run succeeded, the file is mode 0600, and nothing is left in the directory but the file.

The runs wait at a barrier (a controller-side ``pipe`` lookup reading a FIFO) and are released
together; each write holds its temp file for a moment (``validate`` sleeps), so without the writers'
lock every run would read the same old file and all but one key would be lost.
"""

import configparser
import os
import secrets
import stat
import tempfile

import pytest
import yaml

from support.ansible import _scratch_dir
from support.concurrent_runs import barrier_fifo, playbook_dir, run_together
from support.leakscan import scan_run

pytestmark = pytest.mark.slow

WRITERS = 4
ROUNDS = 3
URL = 'https://example.atlassian.net'
USER = 'svc-merge@example.com'
HOLD_S = 0.3

PLAYBOOK = r'''
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Wait at the barrier with the other writers
      ansible.builtin.set_fact:
        __released: "{{ lookup('ansible.builtin.pipe', barrier_cmd) }}"

    - name: Merge this writer's key into the config file
      integrations.jira.jira_integration_config:
        path: "{{ cfg_path }}"
        format: "{{ cfg_format }}"
        url: "{{ cfg_url }}"
        username: "{{ cfg_username }}"
        api_token: "{{ cfg_token }}"
        merge: true
        settings: "{{ cfg_settings }}"
        validate: "/bin/sh -c 'sleep {{ hold }}; test -s \"$0\"' %s"
'''


@pytest.mark.parametrize('fmt', ['yaml', 'ini'])
def test_simultaneous_merges_keep_every_key(reliability_record, fmt):
    rec = reliability_record
    rec.scenario = '%d ansible-playbook runs merge a different key into the same %s file at once, %d rounds' % (
        WRITERS, fmt, ROUNDS)
    rec.fault = 'concurrent merge writers released together from a barrier; each holds its write %.1f s' % HOLD_S
    target = tempfile.mkdtemp(prefix='conc-merge-', dir=_scratch_dir())
    path = os.path.join(target, 'jira.' + fmt)
    sync, playbook = playbook_dir('conc-merge-sync-', PLAYBOOK)
    tok = 'tok-' + secrets.token_urlsafe(24)
    expected = {}
    for rnd in range(ROUNDS):
        runs = {}
        for i in range(WRITERS):
            key = 'writer_%d_round_%d' % (i, rnd)
            value = secrets.token_hex(6)
            expected[key] = value
            fifo = barrier_fifo(sync, '%d-%d' % (i, rnd))
            runs[i] = dict(extra=dict(cfg_path=path, cfg_format=fmt, cfg_url=URL, cfg_username=USER, cfg_token=tok,
                                      cfg_settings={key: value}, barrier_cmd='cat %s' % fifo, hold=HOLD_S), fifo=fifo)
        results = run_together(playbook, runs, 'conc-merge', timeout=180, join_timeout=200)
        for result in results.values():
            scan_run(result, tok, USER, name_only_paths=[target])
            assert result.rc == 0, result
        assert len(results) == WRITERS
        rec.inputs += WRITERS
        assert sorted(os.listdir(target)) == [os.path.basename(path)], os.listdir(target)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        values = read(fmt, path)
        missing = sorted(k for k in expected if values.get(k) != expected[k])
        assert not missing, 'round %d: updates lost, keys missing: %s' % (rnd, missing)
        assert values['api_token'] == tok and values['url'] == URL
    rec.check('after every round every writer\'s key is in the file (no merge lost)')
    rec.check('every run succeeded; file mode 0600; nothing else left in the directory')
    rec.details.update(writers=WRITERS, rounds=ROUNDS, keys=len(expected))


def read(fmt, path):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    if fmt == 'yaml':
        return yaml.safe_load(text)
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return dict(parser['jira'])
