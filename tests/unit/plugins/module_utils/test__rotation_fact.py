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


# ---------------------------------------------------------------------------------------------
# The record's file (a real AnsibleModule; the module's own runs are the integration tests)
# ---------------------------------------------------------------------------------------------

def real_module(monkeypatch, check_mode=False, diff=True):
    from ansible.module_utils import basic
    args = {'_ansible_check_mode': check_mode, '_ansible_diff': diff, '_ansible_remote_tmp': '/tmp',
            '_ansible_keep_remote_files': False}
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core < 2.19
        monkeypatch.setattr(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode())
        return basic.AnsibleModule(argument_spec={}, add_file_common_args=True, supports_check_mode=True)
    with patch_module_args(args):
        return basic.AnsibleModule(argument_spec={}, add_file_common_args=True, supports_check_mode=True)


def fact_option(path, validated=True):
    return dict(path=str(path), account_id=None, expires_on=None, validated=validated)


def test_add_diff_turns_a_second_entry_into_a_list():
    result = {}
    rf.add_diff(result, 'a')
    assert result['diff'] == 'a'
    rf.add_diff(result, 'b')
    rf.add_diff(result, 'c')
    assert result['diff'] == ['a', 'b', 'c']


def test_keep_writes_the_record_once_with_its_parent_and_mode(tmp_path, monkeypatch):
    fact = tmp_path / 'facts.d' / 'jira.fact'
    module = real_module(monkeypatch)
    result = dict(changed=False, path='/etc/app/jira.yml')
    rf.keep(module, fact_option(fact), CORE, 'tok', result)
    assert result['changed'] is True
    assert json.loads(fact.read_text()) == result['rotation_fact']
    assert result['rotation_fact']['rotated_at'] == result['rotation_fact']['validated_at']
    assert oct(fact.stat().st_mode & 0o777) == oct(rf.FACT_MODE)
    assert oct(fact.parent.stat().st_mode & 0o777) == oct(0o755)
    assert result['diff']['before'] == '' and result['diff']['after'] == rf.render(result['rotation_fact'])
    again = dict(changed=False, path='/etc/app/jira.yml')
    rf.keep(module, fact_option(fact), CORE, 'tok', again)
    assert again['changed'] is False and 'diff' not in again


def test_keep_in_check_mode_reports_the_record_and_writes_nothing(tmp_path, monkeypatch):
    fact = tmp_path / 'facts.d' / 'jira.fact'
    result = dict(changed=False, path='/etc/app/jira.yml')
    rf.keep(real_module(monkeypatch, check_mode=True), fact_option(fact), CORE, 'tok', result)
    assert result['changed'] is True and result['rotation_fact']['token_fingerprint'] == CORE['token_fingerprint']
    assert not fact.parent.exists()


class Failed(Exception):
    pass


def test_keep_refuses_a_link_naming_the_config_written(tmp_path, monkeypatch):
    fact = tmp_path / 'jira.fact'
    fact.symlink_to(tmp_path / 'elsewhere')
    module = real_module(monkeypatch)

    def fail_json(**kwargs):
        raise Failed(kwargs)

    module.fail_json = fail_json
    with pytest.raises(Failed) as e:
        rf.keep(module, fact_option(fact), CORE, 'tok', dict(changed=True, path='/etc/app/jira.yml'))
    out = e.value.args[0]
    assert out['changed'] is True
    assert out['msg'] == ('Wrote /etc/app/jira.yml, but %s (rotation_fact.path) is not a regular file; give the path '
                          'of a file.' % fact)
    assert not (tmp_path / 'elsewhere').exists()


def test_remove_deletes_the_record_and_shows_it_in_the_diff(tmp_path, monkeypatch):
    fact = tmp_path / 'jira.fact'
    fact.write_text('{"a": 1}\n')
    result = dict(changed=False, path='/etc/app/jira.yml')
    rf.remove(real_module(monkeypatch), str(fact), result)
    assert result['changed'] is True and not fact.exists()
    assert result['diff'] == dict(before='{"a": 1}\n', after='', before_header=str(fact), after_header=str(fact))
    nothing = dict(changed=False, path='/etc/app/jira.yml')
    rf.remove(real_module(monkeypatch), str(fact), nothing)
    assert nothing == dict(changed=False, path='/etc/app/jira.yml')


def test_remove_takes_away_a_link_without_reading_through_it(tmp_path, monkeypatch):
    target = tmp_path / 'target'
    target.write_text('keep')
    fact = tmp_path / 'jira.fact'
    fact.symlink_to(target)
    result = dict(changed=False, path='/etc/app/jira.yml')
    rf.remove(real_module(monkeypatch, check_mode=True), str(fact), result)
    assert result['diff']['before'] == '(a symbolic link: the link is removed)\n'
    assert fact.is_symlink() and target.read_text() == 'keep'
