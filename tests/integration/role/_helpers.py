"""A fleet of local "hosts" for the jira_integration role tests.

Every host is ``ansible_connection: local`` with its own folder under a fresh temp dir (so
pytest-xdist workers never share files): the config file and the rotation metadata fact of
``hostNN`` live in ``<base>/hostNN/``. The token is passed as an extra var (a file in the run's
work dir), never on a command line.
"""

import datetime
import json
import os
import stat
import sys
import tempfile

from support.ansible import _scratch_dir, run_playbook

GROUP = 'jira_integration'


class Fleet:
    def __init__(self, emu, count, name='fleet', group_vars=None):
        self.emu = emu
        self.base = tempfile.mkdtemp(prefix='role-%s-' % name, dir=_scratch_dir())
        self.hosts = ['host%02d' % i for i in range(1, count + 1)]
        self.group_vars = {
            'ansible_connection': 'local',
            'ansible_python_interpreter': sys.executable,
            'jira_integration_url': emu.url,
            'jira_integration_username': emu.service_username,
            'jira_integration_deployment': 'cloud',
            'jira_integration_allow_insecure_http': True,
            'jira_integration_config_path': self.base + '/{{ inventory_hostname }}/etc/jira.yml',
            'jira_integration_fact_path': self.base + '/{{ inventory_hostname }}/facts.d/jira_integration.fact',
        }
        self.group_vars.update(group_vars or {})
        self.runs = 0

    # -- inventory ------------------------------------------------------------------------------
    def inventory(self, host_vars=None, directory=None):
        """Write a YAML inventory (a file, or ``directory``/hosts.yml) and return its path."""
        data = {'all': {'children': {GROUP: {
            'hosts': {h: dict((host_vars or {}).get(h, {})) for h in self.hosts},
            'vars': self.group_vars,
        }}}}
        if directory:
            os.makedirs(directory, exist_ok=True)
            path = os.path.join(directory, 'hosts.yml')
        else:
            path = os.path.join(self.base, 'inventory.yml')
        with open(path, 'w') as f:
            json.dump(data, f, indent=1)
        return path

    # -- running --------------------------------------------------------------------------------
    def run(self, playbook, token=None, extra_vars=None, inventory=None, forks=20, **kwargs):
        """Run ``integrations.jira.<playbook>`` against the fleet (token as an extra var)."""
        ev = {'jira_integration_require_vaulted_token': False}
        if token is not None:
            ev['jira_integration_api_token'] = token
        ev.update(extra_vars or {})
        self.runs += 1
        workdir = os.path.join(self.base, 'run%02d-%s' % (self.runs, playbook))
        env = {'ANSIBLE_PIPELINING': 'True'}
        env.update(kwargs.pop('env', None) or {})
        return run_playbook('integrations.jira.' + playbook, inventory=inventory or self.inventory(),
                            extra_vars=ev, forks=forks, workdir=workdir, env=env, **kwargs)

    # -- files ----------------------------------------------------------------------------------
    def config_path(self, host):
        return os.path.join(self.base, host, 'etc', 'jira.yml')

    def fact_path(self, host):
        return os.path.join(self.base, host, 'facts.d', 'jira_integration.fact')

    def read_config(self, host):
        import yaml
        with open(self.config_path(host), encoding='utf-8') as f:
            return yaml.safe_load(f)

    def read_fact(self, host):
        with open(self.fact_path(host), encoding='utf-8') as f:
            return json.load(f)

    def write_fact(self, host, **changes):
        fact = self.read_fact(host)
        fact.update(changes)
        with open(self.fact_path(host), 'w', encoding='utf-8') as f:
            json.dump(fact, f, indent=4, sort_keys=True)
            f.write('\n')

    def snapshot(self):
        """{path: (bytes, mode, mtime_ns)} of every file under the fleet's host folders."""
        snap = {}
        for host in self.hosts:
            for root, _dirs, files in os.walk(os.path.join(self.base, host)):
                for name in files:
                    p = os.path.join(root, name)
                    st = os.stat(p)
                    with open(p, 'rb') as f:
                        snap[p] = (f.read(), stat.S_IMODE(st.st_mode), st.st_mtime_ns)
        return snap


def changed_per_host(result):
    recap = result.recap()
    return {h: c.get('changed', 0) for h, c in recap.items()}


def config_results(result):
    """{host: result} of the jira_integration_config task."""
    return {r['host']: r['result'] for r in result.task_results(action='jira_integration_config')
            if r['status'] != 'skipped'}


def report_rows(result):
    """{host: {column: value}} parsed from the report table in the output."""
    for r in result.results:
        if not r['task'].endswith('Print the report') or r['status'] != 'ok':
            continue
        lines = r['result']['msg']
        header_at = next(i for i, line in enumerate(lines) if line.startswith('HOST '))
        header = [c.strip() for c in lines[header_at].split(' | ')]
        rows = {}
        for line in lines[header_at + 1:]:
            cells = [c.strip() for c in line.split(' | ')]
            rows[cells[0]] = dict(zip(header, cells))
        return rows
    raise AssertionError('no report in the output:\n%s' % result.stdout[-3000:])


def today(offset_days=0):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=offset_days)).isoformat()
