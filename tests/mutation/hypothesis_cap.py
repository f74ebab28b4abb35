"""pytest plugin loaded only by scripts/mutation: caps Hypothesis examples and fixes its seed.

A mutant is killed by the first failing test, so a few hundred generated inputs per property
(what the normal suite runs) would make every surviving mutant cost seconds; 30 derandomized
examples plus each test's explicit @example cases keep a run short and its result repeatable."""

from hypothesis import settings

MAX_EXAMPLES = 30


def pytest_collection_modifyitems(items):
    for item in items:
        test = getattr(item, 'obj', None)
        current = getattr(test, '_hypothesis_internal_use_settings', None)
        if current is None:
            continue
        test._hypothesis_internal_use_settings = settings(
            current, max_examples=min(current.max_examples, MAX_EXAMPLES), derandomize=True, database=None)
