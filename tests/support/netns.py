"""Real SSH targets on this machine: each host a Linux network namespace with its own veth link,
address and sshd (host key and client key made for the test).

Addresses come from 10.213.N.0/24, a private /24 that only ever exists on the veth pairs made here:
host ``i`` is 10.213.N.(4i+2)/30 inside its namespace, the controller side 10.213.N.(4i+1)/30. The
namespaces get no default route, so nothing inside them reaches anything but their own /30.

The namespaces share the controller's file system, so every host must be given its own paths.

sshd: used from ``/usr/sbin/sshd``; when missing and we are root on Debian/Ubuntu, ``ensure_sshd()``
installs ``openssh-server`` with apt-get (once per machine, under a lock, services not started).
``python tests/support/netns.py --install-sshd`` does the same from a setup script.

Usage::

    reason = namespaces_unavailable()   # None, or the true reason (the error of `ip netns add`)
    with NetnsHosts(3, workdir) as hosts:
        hosts.inventory(python=sys.executable)  # INI text for ansible-playbook
        hosts.cut(1); hosts.restore(1)          # `ip link set ... down/up` on the controller side
"""

import contextlib
import fcntl
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import time

SUBNET = '10.213'
NAME_PREFIX = 'rbns'
SSHD_CANDIDATES = ('/usr/sbin/sshd', '/usr/local/sbin/sshd')
_LOCK_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'build')


class NetnsError(Exception):
    pass


def _run(cmd, check=True, timeout=60, **kw):
    proc = subprocess.run(check=False, args=cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kw)
    if check and proc.returncode != 0:
        raise NetnsError('%s failed (rc=%s): %s' % (' '.join(cmd), proc.returncode,
                                                    proc.stderr.decode('utf-8', 'replace').strip()))
    return proc


def _ip():
    return shutil.which('ip') or '/usr/sbin/ip'


def namespaces_unavailable():
    """None when network namespaces and veth pairs can be made here, else the real error."""
    if not os.path.exists(_ip()):
        return 'the ip command (iproute2) is not installed'
    name = '%sprobe%d' % (NAME_PREFIX, os.getpid())
    proc = _run([_ip(), 'netns', 'add', name], check=False)
    if proc.returncode != 0:
        return '`ip netns add` failed: %s' % proc.stderr.decode('utf-8', 'replace').strip()
    try:
        veth = 'rbp%x' % os.getpid()
        proc = _run([_ip(), 'link', 'add', veth, 'type', 'veth', 'peer', 'name', veth + 'n', 'netns', name], check=False)
        if proc.returncode != 0:
            return '`ip link add ... type veth` failed: %s' % proc.stderr.decode('utf-8', 'replace').strip()
        _run([_ip(), 'link', 'del', veth], check=False)
    finally:
        _run([_ip(), 'netns', 'del', name], check=False)
    return None


@contextlib.contextmanager
def _lock(name):
    os.makedirs(_LOCK_DIR, exist_ok=True)
    with open(os.path.join(_LOCK_DIR, name), 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def find_sshd():
    for path in SSHD_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return None


def ensure_sshd():
    """Path of sshd, installing openssh-server (apt-get) when it is missing. Raises NetnsError
    with the true reason when that is not possible."""
    path = find_sshd()
    if path:
        return path
    if os.geteuid() != 0:
        raise NetnsError('sshd is not installed and installing openssh-server needs root')
    apt = shutil.which('apt-get')
    if not apt:
        raise NetnsError('sshd is not installed and there is no apt-get to install openssh-server')
    with _lock('.sshd-install.lock'):  # pytest-xdist workers: one install at a time
        path = find_sshd()
        if path:
            return path
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        # Install only: never start a system sshd (policy-rc.d 101 = "do not start services").
        policy = '/usr/sbin/policy-rc.d'
        made_policy = False
        if not os.path.exists(policy):
            with open(policy, 'w') as f:
                f.write('#!/bin/sh\nexit 101\n')
            os.chmod(policy, 0o755)
            made_policy = True
        try:
            cmd = [apt, 'install', '-y', '-q', '--no-install-recommends', 'openssh-server']
            proc = _run(cmd, check=False, timeout=300, env=env)
            if proc.returncode != 0:
                _run([apt, 'update', '-q'], check=False, timeout=300, env=env)
                proc = _run(cmd, check=False, timeout=300, env=env)
            if proc.returncode != 0:
                raise NetnsError('apt-get install openssh-server failed: %s'
                                 % proc.stderr.decode('utf-8', 'replace').strip()[-500:])
        finally:
            if made_policy:
                os.unlink(policy)
    path = find_sshd()
    if not path:
        raise NetnsError('openssh-server was installed but no sshd binary was found in %s' % (SSHD_CANDIDATES,))
    return path


def remove_stale():
    """Delete namespaces left by a test process that no longer exists (a killed run)."""
    proc = _run([_ip(), 'netns', 'list'], check=False)
    for line in proc.stdout.decode().splitlines():
        name = line.split()[0] if line.split() else ''
        if not name.startswith(NAME_PREFIX):
            continue
        pid = name[len(NAME_PREFIX):].split('-')[0]
        if pid.isdigit() and not os.path.exists('/proc/%s' % pid):
            _kill_netns_pids(name)
            _run([_ip(), 'netns', 'del', name], check=False)


def _kill_netns_pids(name):
    proc = _run([_ip(), 'netns', 'pids', name], check=False)
    for pid in proc.stdout.decode().split():
        try:
            os.kill(int(pid), 9)
        except (OSError, ValueError):
            pass


def _used_networks():
    out = _run([_ip(), '-o', 'addr'], check=False).stdout.decode() + \
        _run([_ip(), 'route', 'show', 'table', 'all'], check=False).stdout.decode()
    return out


def _pick_octet():
    used = _used_networks()
    start = os.getpid() % 200 + 20
    for k in range(200):
        n = (start + k) % 250 + 1
        if '%s.%d.' % (SUBNET, n) not in used:
            return n
    raise NetnsError('no free %s.N.0/24 network' % SUBNET)


class Host:
    def __init__(self, index, netns, veth, address, peer_address, dir_):
        self.index = index
        self.name = 'h%d' % index
        self.netns = netns
        self.veth = veth          # controller side of the pair
        self.address = address    # inside the namespace (sshd listens here)
        self.peer_address = peer_address
        self.dir = dir_
        self.sshd = None
        self.host_key_pub = None


class NetnsHosts:
    """``count`` hosts, each a network namespace with sshd on port 22 of its own address."""

    def __init__(self, count, workdir, sshd=None):
        self.count = count
        self.workdir = os.path.abspath(workdir)
        self.sshd_path = sshd
        self.hosts = []
        self.octet = None
        self.key = os.path.join(self.workdir, 'id_test')
        self.known_hosts = os.path.join(self.workdir, 'known_hosts')

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        remove_stale()
        self.sshd_path = self.sshd_path or ensure_sshd()
        os.makedirs(self.workdir, exist_ok=True)
        os.makedirs('/run/sshd', mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        _run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'reliability-test', '-f', self.key])
        with open(self.key + '.pub') as f:
            client_pub = f.read()
        known = []
        with _lock('.netns.lock'):  # two test processes must not pick the same network
            self.octet = _pick_octet()
            for i in range(self.count):
                self._add_host(i)
        for host in self.hosts:
            known.append(self._sshd(host, client_pub))
        with open(self.known_hosts, 'w') as f:
            f.write(''.join(known))
        for host in self.hosts:
            self._wait_listening(host)
        return self

    def _add_host(self, i):
        base = int(ipaddress.ip_address('%s.%d.0' % (SUBNET, self.octet))) + 4 * i
        host = Host(i, '%s%d-%d' % (NAME_PREFIX, os.getpid(), i), 'rb%xh%d' % (os.getpid(), i),
                    str(ipaddress.ip_address(base + 2)), str(ipaddress.ip_address(base + 1)),
                    os.path.join(self.workdir, 'h%d' % i))
        self.hosts.append(host)
        os.makedirs(host.dir, exist_ok=True)
        self._link(host)

    def stop(self):
        for host in self.hosts:
            if host.sshd is not None and host.sshd.poll() is None:
                host.sshd.terminate()
                try:
                    host.sshd.wait(5)
                except subprocess.TimeoutExpired:
                    host.sshd.kill()
                    host.sshd.wait(5)
            # Processes our plays left inside (e.g. a module whose connection was cut).
            _kill_netns_pids(host.netns)
            _run([_ip(), 'link', 'del', host.veth], check=False)
            _run([_ip(), 'netns', 'del', host.netns], check=False)
        self.hosts = []

    # ------------------------------------------------------------------ pieces
    def _link(self, host):
        ip = _ip()
        _run([ip, 'netns', 'add', host.netns])
        _run([ip, 'link', 'add', host.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns])
        _run([ip, 'addr', 'add', host.peer_address + '/30', 'dev', host.veth])
        _run([ip, 'link', 'set', host.veth, 'up'])
        _run([ip, '-n', host.netns, 'addr', 'add', host.address + '/30', 'dev', 'eth0'])
        _run([ip, '-n', host.netns, 'link', 'set', 'eth0', 'up'])
        _run([ip, '-n', host.netns, 'link', 'set', 'lo', 'up'])

    def _sshd(self, host, client_pub):
        key = os.path.join(host.dir, 'ssh_host_ed25519_key')
        _run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', host.name, '-f', key])
        auth = os.path.join(host.dir, 'authorized_keys')
        with open(auth, 'w') as f:
            f.write(client_pub)
        os.chmod(auth, 0o600)
        cfg = os.path.join(host.dir, 'sshd_config')
        with open(cfg, 'w') as f:
            f.write('\n'.join([
                'ListenAddress %s' % host.address,
                'Port 22',
                'HostKey %s' % key,
                'PidFile %s' % os.path.join(host.dir, 'sshd.pid'),
                'AuthorizedKeysFile %s' % auth,
                'PermitRootLogin prohibit-password',
                'PasswordAuthentication no',
                'KbdInteractiveAuthentication no',
                'UsePAM no',
                'StrictModes no',  # the test's files live in a build directory, not ~/.ssh
                'UseDNS no',
                'MaxStartups 100',
                'MaxSessions 100',
                'ClientAliveInterval 2',
                'ClientAliveCountMax 3',
                'Subsystem sftp internal-sftp',
                'LogLevel ERROR',
                '']))
        _run([self.sshd_path, '-t', '-f', cfg])
        log = open(os.path.join(host.dir, 'sshd.log'), 'wb')
        host.sshd = subprocess.Popen([_ip(), 'netns', 'exec', host.netns, self.sshd_path, '-D', '-e', '-f', cfg],
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        with open(key + '.pub') as f:
            pub = f.read().split()
        host.host_key_pub = pub
        return '%s %s %s\n' % (host.address, pub[0], pub[1])

    def _wait_listening(self, host, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if host.sshd.poll() is not None:
                raise NetnsError('sshd of %s exited (rc=%s): %s' % (host.name, host.sshd.returncode, self.sshd_log(host)))
            try:
                with socket.create_connection((host.address, 22), timeout=1) as s:
                    if s.recv(4).startswith(b'SSH-'):
                        return
            except OSError:
                time.sleep(0.1)
        raise NetnsError('sshd of %s did not answer on %s:22 within %ss' % (host.name, host.address, timeout))

    def sshd_log(self, host):
        try:
            with open(os.path.join(host.dir, 'sshd.log'), 'rb') as f:
                return f.read().decode('utf-8', 'replace')[-2000:]
        except OSError:
            return ''

    # ------------------------------------------------------------------ use
    def cut(self, index):
        """Take host ``index``'s link down (controller side), like a pulled cable."""
        _run([_ip(), 'link', 'set', self.hosts[index].veth, 'down'])

    def restore(self, index):
        _run([_ip(), 'link', 'set', self.hosts[index].veth, 'up'])
        self._wait_listening(self.hosts[index])

    def ssh_args(self):
        """ssh options: the test's known_hosts (strict checking), no agent or user config, and a
        dead link noticed within seconds rather than TCP's minutes."""
        return ' '.join([
            '-F /dev/null',
            '-o UserKnownHostsFile=%s' % self.known_hosts,
            '-o StrictHostKeyChecking=yes',
            '-o IdentitiesOnly=yes',
            '-o IdentityAgent=none',
            '-o ConnectTimeout=3',
            '-o ServerAliveInterval=1',
            '-o ServerAliveCountMax=3',
        ])

    def inventory(self, python=None, hostvars=None, group='targets'):
        """INI inventory: every host by its namespace address, root with the test key."""
        python = python or sys.executable
        lines = ['[%s]' % group]
        for host in self.hosts:
            extra = dict((hostvars or {}).get(host.name, {}))
            parts = ['%s ansible_host=%s ansible_user=root ansible_connection=ssh' % (host.name, host.address),
                     'ansible_ssh_private_key_file=%s' % self.key,
                     'ansible_python_interpreter=%s' % python]
            parts += ['%s=%s' % (k, v) for k, v in extra.items()]
            lines.append(' '.join(parts))
        lines += ['', '[%s:vars]' % group, "ansible_ssh_common_args='%s'" % self.ssh_args(), '']
        return '\n'.join(lines)


def main(argv):
    if argv[1:] == ['--install-sshd']:
        print(ensure_sshd())
        return 0
    if argv[1:] == ['--check']:
        print(namespaces_unavailable() or 'network namespaces: available')
        return 0
    print('usage: netns.py --install-sshd | --check', file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
