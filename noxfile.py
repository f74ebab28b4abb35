"""nox sessions for integrations.jira: `nox --list` shows them all.

The ecosystem's standard gates (lint, docs-check, extra-checks with the action-group check,
build-import-check with galaxy-importer, ansible-lint, ansible-test sanity and units) come from
antsibull-nox and are configured in antsibull-nox.toml. The sessions below are this project's own:
each runs one script of scripts/ (which creates the virtualenvs it needs, .venv and .venv-gates,
from the pinned requirements files), so `make`, .ci/run and nox run the same commands.

    nox                          # the default sessions (the quick standard checks)
    nox -e integration           # pytest against the bundled Jira emulator
    nox -e awx-credential        # any session by name; arguments after -- go to its script
"""

import os

import nox

try:
    import antsibull_nox
except ImportError:  # pragma: no cover - told to the user, not a test path
    raise SystemExit('noxfile.py needs antsibull-nox: use scripts/nox (or pip install -r requirements-nox.txt)')

ROOT = os.path.dirname(os.path.abspath(__file__))

antsibull_nox.load_antsibull_nox_toml()


def _script(session, path, *args, env=None):
    """Run a repository script from the repository root; it sets up its own virtualenvs."""
    session.chdir(ROOT)
    session.run(os.path.join(ROOT, path), *args, *session.posargs, external=True, env=env or {})


# --- the test layers (the README's `make test`) ---------------------------------------------------

@nox.session(python=False, default=False)
def test(session):
    """Every test layer, as `make test`: pytest against the emulator and ansible-test sanity (--venv)."""
    _script(session, 'scripts/test')


@nox.session(python=False, default=False)
def units(session):
    """Unit tests (tests/unit) with pytest, no container."""
    session.chdir(ROOT)
    session.run('make', 'venv', external=True)
    session.run(os.path.join(ROOT, '.venv', 'bin', 'pytest'), '-q', 'tests/unit', *session.posargs, external=True)


@nox.session(python=False, default=False)
def integration(session):
    """Module, playbook and contract tests: real Ansible against the bundled Jira emulator (pytest)."""
    session.chdir(ROOT)
    session.run('make', 'venv', external=True)
    targets = list(session.posargs) or ['tests/integration', 'tests/contract']
    session.run(os.path.join(ROOT, '.venv', 'bin', 'pytest'), '-n', '2', '--dist', 'loadscope', '-p', 'no:cacheprovider',
                *targets, external=True)


@nox.session(python=False, default=False)
def emulator(session):
    """Run the bundled Jira emulator in the foreground for manual tries (-- --mode server --tls)."""
    session.chdir(ROOT)
    session.run('make', 'venv', external=True)
    args = list(session.posargs) or ['--mode', 'cloud']
    session.run(os.path.join(ROOT, '.venv', 'bin', 'python'), '-m', 'jira_emulator', '--port', '0', '--default-accounts',
                *args, external=True, env={'PYTHONPATH': os.path.join(ROOT, 'tests')})


# --- the project's own gates (scripts/gates/README.md) --------------------------------------------

@nox.session(name='sanity-venv', python=False, default=False)
def sanity_venv(session):
    """ansible-test sanity in --venv: all tests on 3.12, compile/import on every target Python found."""
    _script(session, 'scripts/gates/sanity')


@nox.session(name='galaxy-importer-strict', python=False, default=False)
def galaxy_importer_strict(session):
    """galaxy-importer on the built tarball, failing on any WARNING or ERROR line (build-import-check only warns)."""
    _script(session, 'scripts/gates/galaxy-importer')


@nox.session(name='ansible-lint-strict', python=False, default=False)
def ansible_lint_strict(session):
    """ansible-lint as the ansible-lint session, and no skip_list/warn_list; lists every noqa for review."""
    _script(session, 'scripts/gates/lint')


@nox.session(name='docs-drift', python=False, default=False)
def docs_drift(session):
    """ansible-doc of every module and role, docs/plugins and changelog drift, antsibull-changelog lint."""
    _script(session, 'scripts/gates/docs')


@nox.session(name='install-paths', python=False, default=False)
def install_paths(session):
    """Install from tarball and from git, then run a playbook by FQCN against the emulator, twice."""
    _script(session, 'scripts/gates/install')


@nox.session(name='ee', python=False, default=False)
def execution_environment(session):
    """EE definition, ansible-builder create/introspect, provision through ansible-runner."""
    _script(session, 'scripts/gates/ee')


@nox.session(name='awx-credential', python=False, default=False)
def awx_credential(session):
    """The AWX credential type of docs/awx.md: only its injected environment carries the connection."""
    _script(session, 'scripts/gates/awx')


@nox.session(python=False, default=False)
def molecule(session):
    """molecule test of extensions/molecule/default (the role against the emulator)."""
    _script(session, 'scripts/gates/molecule')


@nox.session(python=False, default=False)
def matrix(session):
    """The ansible-core compatibility matrix (tox.ini); -- -m ci for the cells CI runs, -- -m full for all."""
    _script(session, 'scripts/gates/matrix')


@nox.session(python=False, default=False)
def gates(session):
    """Every project gate of scripts/gates/all, two at a time (-- lint docs runs a subset)."""
    _script(session, 'scripts/gates/all')


@nox.session(name='reliability-report', python=False, default=False)
def reliability_report(session):
    """Render the committed docs/reliability.md from the last reliability runs (tests write build/)."""
    _script(session, 'scripts/reliability-report')
