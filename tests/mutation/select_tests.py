"""pytest plugin loaded only by scripts/mutation: keeps only the tests that execute the mutated
function (SELECTED, set by the driver in the forked child before pytest starts). Node ids are
matched after collection, not passed on the command line, where ids with brackets or escapes
in their parameters would not resolve. A selected id that is not collected again is a usage
error (the run counts as a wiring fault, never as a kill or a survival)."""

import pytest

SELECTED = None


def stable_id(item):
    """The node id, with a parametrized test's parameters named by their index: a parameter's
    text may change between runs (gzip data carries a timestamp)."""
    callspec = getattr(item, 'callspec', None)
    if callspec is None:
        return item.nodeid
    return '%s[%s]' % (item.nodeid.split('[', 1)[0], ','.join('%s=%d' % kv for kv in sorted(callspec.indices.items())))


def pytest_collection_modifyitems(config, items):
    if SELECTED is None:
        return
    kept = [item for item in items if stable_id(item) in SELECTED]
    dropped = [item for item in items if stable_id(item) not in SELECTED]
    if len(kept) != len(SELECTED):
        raise pytest.UsageError('mutation: %d selected tests were not collected again' % (len(SELECTED) - len(kept)))
    items[:] = kept
    if dropped:
        config.hook.pytest_deselected(items=dropped)
