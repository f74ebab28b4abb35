"""The host_values filter: each host's named values, None where a host has none, and only the
named variables read (tests/integration/role/ runs it through the role on real hostvars)."""

from collections.abc import Mapping

import pytest
from ansible.errors import AnsibleFilterError
from jinja2 import Undefined

from ansible_collections.integrations.jira.plugins.filter.host_values import FilterModule

FILTER = FilterModule().filters()['host_values']


class LazyVars(Mapping):
    """Like Ansible's HostVarsVars: templates a variable only when it is read (a read is recorded)."""

    def __init__(self, data, reads):
        self._data, self._reads = data, reads

    def __getitem__(self, key):
        self._reads.append(key)
        return self._data[key]

    def __iter__(self):
        raise AssertionError('host_values must not iterate over every variable of a host')

    def __len__(self):
        return len(self._data)


def hostvars(reads=None, **hosts):
    reads = [] if reads is None else reads
    return dict((h, LazyVars(v, reads)) for h, v in hosts.items())


def test_named_values_per_host_in_the_input_order_none_where_missing():
    hv = hostvars(web01={'result': {'changed': True, 'rotation_fact': {'rotated_at': 'x'}}, 'secret': 'vaulted'},
                  web02={'result': {'changed': False}},
                  web03={})
    assert FILTER(['web03', 'web01', 'web02', 'gone'], hv, result='result', record='result.rotation_fact') == [
        {'host': 'web03', 'result': None, 'record': None},
        {'host': 'web01', 'result': {'changed': True, 'rotation_fact': {'rotated_at': 'x'}},
         'record': {'rotated_at': 'x'}},
        {'host': 'web02', 'result': {'changed': False}, 'record': None},
        {'host': 'gone', 'result': None, 'record': None},
    ]


def test_only_the_named_variables_are_read():
    reads = []
    hv = hostvars(reads, web01={'result': {'content': 'e30='}, 'token': 'vaulted'})
    assert FILTER(['web01'], hv, content='result.content') == [{'host': 'web01', 'content': 'e30='}]
    assert reads == ['result']


def test_undefined_and_non_mapping_steps_are_none():
    hv = {'web01': {'result': Undefined(name='result'), 'text': 'abc'}, 'web02': Undefined(name='web02')}
    assert FILTER(['web01', 'web02'], hv, result='result.changed', deeper='text.length') == [
        {'host': 'web01', 'result': None, 'deeper': None},
        {'host': 'web02', 'result': None, 'deeper': None},
    ]


@pytest.mark.parametrize('hosts, hv, names', [
    ('web01', {}, {'r': 'result'}),
    (['web01'], ['not', 'hostvars'], {'r': 'result'}),
    (['web01'], {}, {}),
    (['web01'], {}, {'host': 'result'}),
])
def test_bad_input_is_refused_with_a_clear_error(hosts, hv, names):
    with pytest.raises(AnsibleFilterError, match='host_values'):
        FILTER(hosts, hv, **names)
