"""The token_fingerprints_to_compare filter: what the report's host must confirm itself (the report
is run end to end in tests/integration/test_fleet_report.py)."""

import base64
import json

import pytest

from ansible_collections.integrations.jira.plugins.filter.token_fingerprints_to_compare import FilterModule

FILTER = FilterModule().filters()['token_fingerprints_to_compare']
LEGACY = 'sha256:1a2b3c4d5e6f7a8b'
CURRENT = 'pbkdf2-sha256:1a2b3c4d5e6f7a8b'


def content(data):
    text = data if isinstance(data, str) else json.dumps(data, indent=4, sort_keys=True)
    return base64.b64encode(text.encode('utf-8')).decode('ascii')


@pytest.mark.parametrize('fact, expected, want', [
    (None, None, []),
    (None, '', []),
    (None, LEGACY, [LEGACY]),
    (None, CURRENT, [CURRENT]),
    (content({'token_fingerprint': LEGACY}), None, [LEGACY]),
    (content({'token_fingerprint': LEGACY}), CURRENT, [CURRENT, LEGACY]),
    (content({'token_fingerprint': LEGACY}), LEGACY, [LEGACY]),
    # The current form is compared as text on the controller; the host need not confirm it.
    (content({'token_fingerprint': CURRENT}), None, []),
    (content({'token_fingerprint': None}), None, []),
    (content({}), None, []),
    # Not a JSON object, not JSON, not base64: nothing recorded to confirm.
    (content([{'token_fingerprint': LEGACY}]), None, []),
    (content('{"token_fingerprint": "%s"' % LEGACY), CURRENT, [CURRENT]),
    ('%%% not base64', None, []),
    (content(''), None, []),
])
def test_the_expected_fingerprint_and_a_recorded_one_in_the_older_form(fact, expected, want):
    assert FILTER(fact, expected) == want
