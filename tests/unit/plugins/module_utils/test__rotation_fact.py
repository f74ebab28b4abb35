"""Unit tests of the rotation record's pure logic (the module's real runs are in
tests/integration/test_jira_integration_config.py)."""

import hashlib
import json

import pytest

from ansible_collections.integrations.jira.plugins.module_utils import _rotation_fact as rf
from ansible_collections.integrations.jira.plugins.module_utils._jira_client import token_fingerprint

CORE = dict(url='https://x.atlassian.net', username='svc@example.com', account_id='acc-1',
            token_fingerprint='pbkdf2-sha256:aaaa', expires_on=None, config_path='/etc/app/jira.yml')
T0, T1 = '2026-01-01T00:00:00Z', '2026-12-01T09:00:00Z'


def recorded(**over):
    rec = dict(CORE, rotated_at=T0, validated_at=T0)
    rec.update(over)
    return rec


def test_first_record_gets_both_timestamps_when_validated():
    assert rf.next_record({}, CORE, True, T1) == dict(CORE, rotated_at=T1, validated_at=T1)


def test_first_record_without_validation_has_no_validated_at():
    assert rf.next_record({}, CORE, False, T1)['validated_at'] is None


def test_nothing_changed_keeps_the_record_exactly():
    assert rf.next_record(recorded(), CORE, True, T1) == recorded()


def test_new_token_moves_rotated_at_and_validated_at():
    new = rf.next_record(recorded(), dict(CORE, token_fingerprint='pbkdf2-sha256:bbbb'), True, T1)
    assert (new['rotated_at'], new['validated_at'], new['token_fingerprint']) == (T1, T1, 'pbkdf2-sha256:bbbb')


def test_other_change_keeps_rotated_at():
    new = rf.next_record(recorded(), dict(CORE, expires_on='2027-03-01'), True, T1)
    assert (new['rotated_at'], new['validated_at'], new['expires_on']) == (T0, T1, '2027-03-01')


def test_unvalidated_change_keeps_the_old_validated_at():
    new = rf.next_record(recorded(), dict(CORE, expires_on='2027-03-01'), False, T1)
    assert new['validated_at'] == T0


def test_unknown_account_id_keeps_the_recorded_one():
    assert rf.next_record(recorded(), dict(CORE, account_id=None), False, T1) == recorded()


def test_record_without_rotated_at_gets_one():
    rec = recorded()
    del rec['rotated_at']
    assert rf.next_record(rec, CORE, False, T1)['rotated_at'] == T1


@pytest.mark.parametrize('text', ['', 'not json', '[1, 2]', '"x"', '{"url": '])
def test_unreadable_record_counts_as_none(text):
    assert rf.parse(text) == {}


def test_render_round_trips_and_matches_to_nice_json_layout():
    text = rf.render(recorded())
    assert json.loads(text) == recorded() and text.endswith('}\n')
    assert text.splitlines()[1] == '    "account_id": "acc-1",'


@pytest.mark.parametrize('value', [None, ''])
def test_no_expiry(value):
    assert rf.check_date(value, 'o') is None


# 2026-11-31 and 2026-04-31 fit the pattern; only the calendar refuses them. A trailing newline
# (a YAML block scalar) is not a date written YYYY-MM-DD either.
@pytest.mark.parametrize('value', ['2026-02-30', '2026-11-31', '2026-04-31', '2026-04-30\n', '2027/03/01', '27-03-01', '2027-3-1', '2027-03-01T00:00', 'soon'])
def test_bad_dates_name_the_option(value):
    with pytest.raises(rf.RotationFactError) as e:
        rf.check_date(value, 'rotation_fact.expires_on')
    assert 'rotation_fact.expires_on' in e.value.msg and 'YYYY-MM-DD' in e.value.msg


def test_good_date():
    assert rf.check_date('2028-02-29', 'o') == '2028-02-29'


# --- records holding the older, unsalted sha256: fingerprint ----------------------------------

TOKEN = 'ATATT3xFfGF0-rotation-example'


def old_form(token):
    return 'sha256:' + hashlib.sha256(token.encode('utf-8')).hexdigest()[:16]


def test_old_form_record_of_the_same_token_is_upgraded_without_a_rotation():
    core = dict(CORE, token_fingerprint=token_fingerprint(TOKEN))
    old = recorded(token_fingerprint=old_form(TOKEN))
    new = rf.next_record(old, core, True, T1, token=TOKEN)
    assert new == dict(core, rotated_at=T0, validated_at=T0)
    # The upgraded record is then stable: the next run writes nothing.
    assert rf.next_record(new, core, True, T1, token=TOKEN) == new


def test_old_form_record_of_another_token_is_a_rotation():
    core = dict(CORE, token_fingerprint=token_fingerprint(TOKEN))
    new = rf.next_record(recorded(token_fingerprint=old_form('the-previous-token')), core, True, T1, token=TOKEN)
    assert (new['rotated_at'], new['validated_at'], new['token_fingerprint']) == (T1, T1, core['token_fingerprint'])


def test_old_form_record_is_a_rotation_when_the_token_is_not_known():
    core = dict(CORE, token_fingerprint=token_fingerprint(TOKEN))
    assert rf.next_record(recorded(token_fingerprint=old_form(TOKEN)), core, False, T1)['rotated_at'] == T1


def test_upgrade_with_another_change_keeps_rotated_at_and_revalidates():
    core = dict(CORE, token_fingerprint=token_fingerprint(TOKEN), expires_on='2027-03-01')
    new = rf.next_record(recorded(token_fingerprint=old_form(TOKEN)), core, True, T1, token=TOKEN)
    assert (new['rotated_at'], new['validated_at'], new['token_fingerprint']) == (T0, T1, core['token_fingerprint'])
