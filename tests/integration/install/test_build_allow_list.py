"""``ansible-galaxy collection build`` packs only the allow list of galaxy.yml (``manifest``), even from a
working tree with secrets lying around: vault password files, scratch token files, demo/work/."""

import os
import re
import secrets
import shutil
import subprocess
import tarfile

import yaml

from support.ansible import ansible_bin, ansible_env
from support.collection import REPO_ROOT

# What a collection tarball may hold: galaxy's own two files, and the folders and file kinds that
# galaxy.yml's manifest directives name. Anything else packed is a leak.
ALLOWED = re.compile(r'''^(?:
    MANIFEST\.json | FILES\.json | README\.md | LICENSE | CHANGELOG\.(?:md|rst)
  | meta/(?:runtime\.yml|execution-environment\.yml|ee-requirements\.txt)
  | changelogs/(?:changelog|config)\.yaml
  | plugins/(?:[\w-]+/)*[\w-]+\.(?:py|yml)
  | roles/(?:[\w-]+/)*[\w.-]+\.(?:yml|j2|md)
  | playbooks/(?:[\w-]+/)*[\w-]+\.yml
  | docs/(?:[\w-]+/)*[\w.-]+\.(?:md|rst|png|json)
)$''', re.X)
ALLOWED_DIRS = re.compile(r'^(?:meta|changelogs|plugins|roles|playbooks|docs)(?:/[\w.-]+)*$')

# Where an operator leaves secrets in a working copy (none of them git-ignored on purpose: the
# allow list must hold on its own, not thanks to .gitignore or build_ignore).
SECRET_FILES = ['vault-password.txt', '.vault_pass', 'token.txt', 'tests/scratch-token.txt',
                'demo/work/vault-password', 'demo/work/inventory/group_vars/jira_integration/vault.yml',
                'playbooks/.vault_pass', 'playbooks/vault-password.txt', 'roles/jira_integration/token.txt',
                'meta/token.txt', 'plugins/modules/token.txt', 'docs/token.txt', 'changelogs/token.txt',
                'group_vars/jira_integration/vault.yml']


def _tracked_files():
    out = subprocess.run(['git', '-C', REPO_ROOT, 'ls-files', '-co', '--exclude-standard'], check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    return [f for f in out.splitlines() if os.path.isfile(os.path.join(REPO_ROOT, f))]


def _build(src, out):
    proc = subprocess.run([ansible_bin('ansible-galaxy'), 'collection', 'build', '--force', '--output-path', out, src],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ansible_env(), check=False)
    text = proc.stdout.decode('utf-8', 'replace')
    assert 'requires the python "distlib" library' not in text, (
        'distlib is missing from this venv: it is in requirements-dev.txt, run make venv\n' + text)
    assert proc.returncode == 0, text
    tarballs = [f for f in os.listdir(out) if f.endswith('.tar.gz')]
    assert len(tarballs) == 1, tarballs
    return os.path.join(out, tarballs[0])


def test_build_packs_only_the_allow_list_with_secrets_lying_around(tmp_path):
    src = tmp_path / 'src'
    tracked = _tracked_files()
    for rel in tracked:
        dest = src / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.join(REPO_ROOT, rel), str(dest))
    marker = 'SECRET-' + secrets.token_hex(16)
    for rel in SECRET_FILES:
        dest = src / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text('jira_integration_api_token: %s\n' % marker)

    tarball = _build(str(src), str(tmp_path / 'out'))
    with tarfile.open(tarball) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        leaked = [m.name for m in members if m.isfile() and marker.encode() in tar.extractfile(m).read()]
    assert leaked == []
    assert not set(SECRET_FILES) & set(names)
    outside = [n for n in names if not (ALLOWED.match(n) or ALLOWED_DIRS.match(n))]
    assert outside == [], 'packed outside the allow list: %s' % outside

    # Nothing the collection needs is lost: every tracked file the allow list names is packed.
    files = {m.name for m in members if m.isfile()}
    wanted = {f for f in tracked if ALLOWED.match(f)}
    assert wanted - files == set()
    for needed in ('plugins/modules/jira_integration_config.py', 'plugins/module_utils/_jira_client.py',
                   'roles/jira_integration/tasks/main.yml', 'roles/jira_integration/meta/argument_specs.yml',
                   'playbooks/rotate.yml', 'meta/runtime.yml', 'docs/vault-workflow.md', 'README.md', 'LICENSE',
                   'changelogs/changelog.yaml'):
        assert needed in files, needed

    # An allow list, not a deny list: the default directives (which pack tests/ and any *.txt) are off.
    with open(os.path.join(REPO_ROOT, 'galaxy.yml'), encoding='utf-8') as f:
        galaxy = yaml.safe_load(f)
    assert galaxy['manifest']['omit_default_directives'] is True
