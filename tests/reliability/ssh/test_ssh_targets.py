"""Three real SSH targets — each a network namespace on this machine with its own veth link,
address in 10.213.N.0/24 (no route anywhere else), sshd and host key made for the test — get the
role (the shipped playbook integrations.jira.provision) through Ansible's ssh connection with a
test key and strict host-key checking. When one host's link is cut while its config file is being
written, the other hosts finish, the cut host is reported unreachable, its file is then either the
complete old or the complete new version (never a mix, never missing, no temp file left), and a
re-run with the link back converges every host. Only 127.0.0.1 (the emulator) and the namespace
addresses are ever contacted.

Needs root (namespaces, veth pairs) and sshd: ``support.netns.ensure_sshd`` installs
openssh-server with apt-get when it is missing. Skipped, with the error, where ``ip netns add``
is refused.
"""

import os
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import yaml

from support.ansible import _scratch_dir, run_playbook
from support.leakscan import exposure_env, new_workdir, scan_run
from support.netns import NetnsError, NetnsHosts, ensure_sshd, namespaces_unavailable

pytestmark = pytest.mark.slow

TEMP_PREFIX = '.jira-tmp-'
CUT = 'h1'
HOLD_S = 6  # the cut host's write keeps its temp file this long (validate sleeps): the cut lands mid-write

PLAYBOOK = 'integrations.jira.provision'  # the shipped playbook, by its FQCN
# The cut host's write holds its temp file while validate sleeps (only when cut_validate is given).
CUT_HOST_VARS = "jira_integration_config_validate: \"{{ cut_validate | default('') }}\"\n"


@pytest.fixture(scope='module')
def netns_hosts():
    if os.geteuid() != 0:
        pytest.skip('network namespaces and veth pairs need root; tests run as uid %d' % os.geteuid())
    reason = namespaces_unavailable()
    if reason:
        pytest.skip('this machine forbids network namespaces: %s' % reason)
    try:
        sshd = ensure_sshd()
    except NetnsError as e:
        pytest.skip('no sshd for the SSH targets: %s' % e)
    hosts = NetnsHosts(3, tempfile.mkdtemp(prefix='ssh-hosts-', dir=_scratch_dir()), sshd=sshd)
    with hosts:
        yield hosts


def config_path(host):
    return os.path.join(host.dir, 'conf', 'jira.yml')


def read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except FileNotFoundError:
        return None


def version_of(data, emu, token, version):
    return data == {'url': emu.url, 'username': emu.service_username, 'api_token': token, 'version': version}


def wait_quiet(host, timeout=30):
    """Wait until only sshd's listener is left in the host's namespace: the cut session's module
    has finished (or died) and cannot change the file any more."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        pids = subprocess.run(check=False, args=['ip', 'netns', 'pids', host.netns], stdout=subprocess.PIPE).stdout.decode().split()
        if set(pids) <= {str(host.sshd.pid)}:
            return
        time.sleep(0.2)
    raise AssertionError('processes still running in %s: %s' % (host.netns, pids))


def test_cut_link_mid_run(reliability_record, netns_hosts, jira_emulator):
    rec = reliability_record
    hosts, emu = netns_hosts, jira_emulator
    rec.scenario = 'one of 3 SSH hosts loses its link while its config file is being written'
    rec.fault = '`ip link set <veth> down` on %s while its write holds the temp file; link back up for the re-run' % CUT

    # Nothing in a namespace can reach anything but its own /30.
    for h in hosts.hosts:
        routes = subprocess.run(check=False, args=['ip', '-n', h.netns, 'route', 'show', 'table', 'all'],
                                stdout=subprocess.PIPE).stdout.decode()
        assert 'default' not in routes, routes
        assert h.address.startswith('10.213.') and h.peer_address.startswith('10.213.')
    rec.check('namespaces have no default route; only 10.213.N.x and 127.0.0.1 are used')

    sync = tempfile.mkdtemp(prefix='ssh-sync-', dir=_scratch_dir())
    marker = os.path.join(sync, 'cut-host-is-writing')
    # Each host its own paths (the namespaces share this file system); the playbook's default group.
    inventory = os.path.join(sync, 'inventory.ini')
    with open(inventory, 'w') as f:
        f.write(hosts.inventory(python=sys.executable, group='jira_integration', hostvars={h.name: {
            'jira_integration_config_path': config_path(h),
            'jira_integration_fact_path': os.path.join(h.dir, 'facts.d', 'jira_integration.fact')}
            for h in hosts.hosts}))
    os.mkdir(os.path.join(sync, 'host_vars'))
    with open(os.path.join(sync, 'host_vars', CUT + '.yml'), 'w') as f:
        f.write(CUT_HOST_VARS)
    slow_validate = "/bin/sh -c 'touch %s; sleep %d; test -s \"$0\"' %%s" % (marker, HOLD_S)
    ssh_env = {'ANSIBLE_HOST_KEY_CHECKING': 'True',
               'ANSIBLE_SSH_CONTROL_PATH_DIR': os.path.join(hosts.workdir, 'cp')}
    old_token = emu.service_token
    new_token = 'rot-' + os.urandom(18).hex()
    emu.service_account.tokens.append(new_token)
    names = [h.name for h in hosts.hosts]

    def play(token, version, cut=False):
        workdir = new_workdir('ssh')
        extra = dict(jira_integration_url=emu.url, jira_integration_username=emu.service_username,
                     jira_integration_api_token=token, jira_integration_allow_insecure_http=True,
                     jira_integration_require_vaulted_token=False,
                     jira_integration_config_settings={'version': version})
        if cut:
            extra['cut_validate'] = slow_validate
        env = exposure_env(workdir, ssh_env)
        result = run_playbook(PLAYBOOK, inventory=inventory, extra_vars=extra, forks=3, env=env, workdir=workdir,
                              timeout=300)
        for t in (old_token, new_token):
            scan_run(result, t, emu.service_username, name_only_paths=[os.path.dirname(config_path(h)) for h in hosts.hosts],
                     extra_paths=[os.path.join(h.dir, 'facts.d') for h in hosts.hosts])
        rec.inputs += 1
        return result

    # 1. All links up: every host gets the old version over ssh.
    result = play(old_token, 'old')
    assert result.rc == 0, result
    old = {}
    for h in hosts.hosts:
        old[h.name] = read(config_path(h))
        assert version_of(yaml.safe_load(old[h.name]), emu, old_token, 'old'), h.name
    rec.check('the role provisions 3 real SSH hosts (strict host-key checking, test key)')

    # 2. The rotation run; h1's link is cut while its write holds the temp file.
    cut = hosts.hosts[names.index(CUT)]
    box = {}
    runner = threading.Thread(target=lambda: box.setdefault('result', play(new_token, 'new', cut=True)))
    runner.start()
    deadline = time.time() + 240
    while not os.path.exists(marker) and runner.is_alive() and time.time() < deadline:
        time.sleep(0.05)
    assert os.path.exists(marker), 'the cut host never started its write'
    assert [n for n in os.listdir(os.path.dirname(config_path(cut))) if n.startswith(TEMP_PREFIX)], \
        'the cut was meant to land while the temp file exists'
    hosts.cut(cut.index)
    cut_at = time.time()
    runner.join(300)
    assert 'result' in box, 'the play did not finish'
    result = box['result']
    rec.details['seconds_from_cut_to_end_of_play'] = round(time.time() - cut_at, 1)
    recap = result.recap()
    assert recap[CUT]['unreachable'] == 1, recap
    for name in names:
        if name != CUT:
            assert recap[name]['failed'] == 0 and recap[name]['unreachable'] == 0, recap
            assert version_of(yaml.safe_load(read(config_path(hosts.hosts[names.index(name)]))), emu, new_token, 'new')
    rec.check('the other hosts finish with the new version; the cut host is reported unreachable')
    wait_quiet(cut)
    now = read(config_path(cut))
    assert now is not None, 'the cut host lost its config'
    is_old = now == old[CUT]
    is_new = version_of(yaml.safe_load(now), emu, new_token, 'new')
    assert is_old or is_new, 'the cut host holds neither the old nor the new version'
    assert not [n for n in os.listdir(os.path.dirname(config_path(cut))) if n.startswith(TEMP_PREFIX)]
    rec.check('the cut host\'s file is the complete old or new version; no temp file left')
    rec.details['cut_host_ended_with'] = 'old' if is_old else 'new'

    # 3. Link back: a re-run converges every host and changes nothing that was already right.
    hosts.restore(cut.index)
    result = play(new_token, 'new')
    assert result.rc == 0, result
    for h in hosts.hosts:
        assert version_of(yaml.safe_load(read(config_path(h))), emu, new_token, 'new'), h.name
    writes = {r['host']: r['result'].get('changed') for r in result.task_results(action='jira_integration_config')
              if r['status'] != 'skipped'}  # the role's removal task uses the same module
    for name in names:
        if name != CUT:
            assert writes.get(name) is False, writes
    assert writes.get(CUT) is (not is_new), writes
    rec.check('after the link is back, a re-run converges all hosts (only the cut host changes, if it was behind)')
