"""pytest plugin loaded only by scripts/mutation: records which test executes which line.

Each test runs under its own coverage context (its stable node id), so the driver can hand a mutant
only the tests that execute the function it changed. Setup and teardown count too: a fixture
may be what calls the code."""

import os

import coverage

from select_tests import stable_id

_cov = None


def pytest_configure(config):
    global _cov
    _cov = coverage.Coverage(data_file=os.environ['MUTATION_COVERAGE_FILE'],
                             include=[os.environ['MUTATION_COVERAGE_INCLUDE']], branch=False)
    _cov.start()


def pytest_runtest_setup(item):
    _cov.switch_context(stable_id(item))


def pytest_unconfigure(config):
    _cov.stop()
    _cov.save()
