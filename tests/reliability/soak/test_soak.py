"""The role, through the shipped playbook integrations.jira.provision, run 50 times in a row on
3 hosts against the emulator, with a random fault injected into 10 % of the requests Jira
receives (seeded RNG, seed in the record): no host ever ends a run with a partial or missing
config once it had one; every run either converges every host to that run's settings or fails
cleanly with the role's own message (never a crash) and leaves every file byte for byte as it
was; no temp file is ever left; the final files equal the last successful run's.

Each run writes different settings (the run number), and the token is rotated every 10 runs, so
"unchanged" and "converged" are told apart. Reproduce a run with RELIABILITY_SOAK_SEED=<seed>.
"""

import os
import random
import secrets
import stat
import sys
import tempfile

import pytest
import yaml

from support.ansible import _scratch_dir, run_playbook
from support.leakscan import new_workdir, scan_run

pytestmark = pytest.mark.slow

RUNS = 50
HOSTS = 3
FAULT_RATE = 0.10
ROTATE_EVERY = 10
TEMP_PREFIX = '.jira-tmp-'

# (kind, kwargs). Some are absorbed by the client's retries, the others make the run fail.
FAULTS = [
    ('server_error', {'status': 500}),
    ('server_error', {'status': 502}),
    ('server_error', {'status': 503}),
    ('server_error', {'status': 504}),
    ('rate_limit', {'retry_after': '1'}),
    ('rate_limit', {}),
    ('reset', {}),
    ('slow', {'delay': 0.5}),
    ('malformed_json', {}),
    ('html_sso_200', {}),
    ('empty_200', {}),
    ('redirect_login', {}),
    ('status', {'status': 401, 'body': 'Unauthorized'}),
]

PLAYBOOK = 'integrations.jira.provision'  # the shipped playbook, by its FQCN


def config_of(root, host):
    return os.path.join(root, host, 'conf', 'jira.yml')


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except FileNotFoundError:
        return None


def test_soak_role_runs_with_random_faults(reliability_record, jira_emulator):
    rec = reliability_record
    emu = jira_emulator
    seed = int(os.environ.get('RELIABILITY_SOAK_SEED') or random.SystemRandom().randrange(2 ** 32))
    print('soak seed: %d (RELIABILITY_SOAK_SEED=%d reproduces it)' % (seed, seed))
    rec.scenario = 'the role run %d times in a row, 3 hosts, random faults in %d %% of requests' % (RUNS, FAULT_RATE * 100)
    rec.fault = 'one of %d fault kinds (5xx, 429, reset, slow, bad bodies, 401) on a random 10 %% of requests' % len(FAULTS)
    rec.details['seed'] = seed

    root = tempfile.mkdtemp(prefix='soak-hosts-', dir=_scratch_dir())
    hosts = ['s%d' % i for i in range(HOSTS)]
    # The playbook's default group; each host its own paths (the hosts share this file system).
    inventory = '[jira_integration]\n' + ''.join(
        '%s ansible_connection=local ansible_python_interpreter=%s jira_integration_config_path=%s '
        'jira_integration_fact_path=%s\n' % (h, sys.executable, config_of(root, h),
                                             os.path.join(root, h, 'facts.d', 'jira_integration.fact'))
        for h in hosts)

    token = emu.service_token
    tokens_used = [token]
    last_good = None   # {host: bytes} after the last successful run
    had = {}           # host -> bytes it holds (once it had a config)
    # One fault for the whole soak: each request is hit with probability FAULT_RATE (the emulator's
    # seeded RNG picks whether and which kind); the request log names the fault each request got.
    emu.add_fault('*', 'random', times=None, probability=FAULT_RATE, seed=seed,
                  kinds=[dict(kw, kind=kind) for kind, kw in FAULTS])
    stats = dict(successes=0, failures=0, requests=0, faulted_requests=0, fault_kinds={}, failure_reasons={})
    for run in range(RUNS):
        if run and run % ROTATE_EVERY == 0:
            token = 'rot-' + secrets.token_urlsafe(24)
            emu.service_account.tokens.append(token)
            tokens_used.append(token)
        before_log = len(emu.requests)
        extra = dict(jira_integration_url=emu.url, jira_integration_username=emu.service_username,
                     jira_integration_api_token=token, jira_integration_allow_insecure_http=True,
                     jira_integration_require_vaulted_token=False, jira_integration_timeout=3,
                     jira_integration_retries=2, jira_integration_max_retry_wait=2,
                     jira_integration_config_settings={'soak_run': run})
        workdir = new_workdir('soak')
        result = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra, forks=HOSTS, workdir=workdir,
                              env={'ANSIBLE_PIPELINING': 'True'}, timeout=180)
        for t in tokens_used:
            scan_run(result, t, emu.service_username, name_only_paths=[root],
                     extra_paths=[os.path.join(root, h, 'facts.d') for h in hosts])
        rec.inputs += 1

        log = emu.requests[before_log:]
        faulted = [r['fault'] for r in log if r.get('fault')]
        stats['requests'] += len(log)
        stats['faulted_requests'] += len(faulted)
        for kind in faulted:
            stats['fault_kinds'][kind] = stats['fault_kinds'].get(kind, 0) + 1

        now = {h: read(config_of(root, h)) for h in hosts}
        where = 'run %d (seed %d, faults %r)' % (run, seed, faulted)
        for h in hosts:
            d = os.path.dirname(config_of(root, h))
            if os.path.isdir(d):
                assert not [n for n in os.listdir(d) if n.startswith(TEMP_PREFIX)], where
            if h in had:
                assert now[h] is not None, '%s: %s lost its config' % (where, h)
        if result.rc == 0:
            stats['successes'] += 1
            for h in hosts:
                data = yaml.safe_load(now[h].decode('utf-8'))
                assert data == {'url': emu.url, 'username': emu.service_username, 'api_token': token,
                                'soak_run': run}, '%s: %s is not this run\'s config' % (where, h)
                assert stat.S_IMODE(os.stat(config_of(root, h)).st_mode) == 0o600, where
            last_good = dict(now)
        else:
            stats['failures'] += 1
            failed = [r for r in result.results if r['status'] == 'failed']
            assert failed, '%s: rc=%s without a failed task\n%r' % (where, result.rc, result)
            msg = failed[0]['result'].get('msg', '')
            assert 'MODULE FAILURE' not in msg and 'Traceback' not in msg, '%s: %s' % (where, msg)
            assert 'failure_reason' in msg and 'No host was changed' in msg, '%s: not the role\'s own stop: %s' % (where, msg)
            reason = msg.split('failure_reason: ', 1)[1].split(')')[0]
            stats['failure_reasons'][reason] = stats['failure_reasons'].get(reason, 0) + 1
            for h in hosts:
                assert now[h] == had.get(h), '%s: a failed run changed %s' % (where, h)
        for h in hosts:
            if now[h] is not None:
                had[h] = now[h]

    emu.clear_faults()
    rec.check('no host ever lost its config or held a partial one, after any of the %d runs' % RUNS)
    rec.check('every run converged all hosts to its settings, or failed with the role\'s message and changed nothing')
    rec.check('no temp file left after any run; files mode 0600')
    assert last_good is not None, 'no run succeeded in %d: %r' % (RUNS, stats)
    assert {h: read(config_of(root, h)) for h in hosts} == last_good
    rec.check('the final files equal the last successful run\'s, byte for byte')
    stats['fault_rate'] = round(stats['faulted_requests'] / float(stats['requests'] or 1), 3)
    rec.details.update(stats)
    rec.details['runs'] = RUNS
    print('soak: %r' % stats)
    assert stats['requests'] >= RUNS, stats
