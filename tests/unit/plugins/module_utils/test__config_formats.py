"""Property and example tests of _config_formats: what each format's standard reader gets back is
what was written, and what the module refuses is exactly what the format cannot hold.

Readers used as oracles:
- yaml: PyYAML ``safe_load`` (and the module's own strict reader of its subset);
- json: ``json.loads``;
- ini: ``configparser.RawConfigParser`` and ``ConfigParser(interpolation=None)`` reading the file
  with ``read_file(open(path, encoding='utf-8'))`` (the documented setting: no interpolation);
- env: a real ``sh -c '. FILE; printf %s "$VAR"'`` (dash/bash as /bin/sh) and ``systemd_reference``
  below, an independent re-implementation of systemd's EnvironmentFile= rules
  (src/basic/env-file.c parse_env_file_internal, plus the env_value_is_valid check of older
  systemd releases, which drops values with control characters other than TAB and newline).
  ``systemd-analyze``/``systemd-run`` cannot load an EnvironmentFile without a running systemd,
  so the reference parser is the oracle.
"""

import configparser
import json
import math
import os
import re
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.integrations.jira.plugins.module_utils import _config_formats as cf

# Characters the issue calls out, plus YAML/JSON/ini/env troublemakers.
TRICKY = list(u'"\'#;=:$\\` \t%{}[]!&*|>@,?-~\n\r\x00\x0b\x0c\x1b\x7f\x85\xa0\u2028\u2029\ufeff\ufffe\uffffé€中😀')
text_values = st.text(alphabet=st.one_of(st.sampled_from(TRICKY), st.characters(exclude_categories=('Cs',))),
                      max_size=24)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Nested data is costly to generate; the string escapes get their own, larger flat test.
NESTED_SETTINGS = settings(max_examples=60, deadline=None,
                           suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _refused(fmt, key, value):
    try:
        cf.check_value(fmt, key, value)
    except cf.FormatError as e:
        assert key in e.msg  # the message names the key ...
        if isinstance(value, str) and len(value) > 3:
            assert value not in e.msg  # ... never the value
        return True
    return False


# --- YAML ----------------------------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), text_values)
nested = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(text_values, inner, max_size=4)),
                      max_leaves=8)


def _same(a, b):
    return cf.canonical(a) == cf.canonical(b)


@SETTINGS
@given(value=text_values)
def test_yaml_strings_round_trip_as_keys_and_values(value):
    text = cf.dump_yaml({value: value, 'k': [value]})
    assert yaml.safe_load(text) == {value: value, 'k': [value]}
    assert cf._load_own_yaml(text) == {value: value, 'k': [value]}


@NESTED_SETTINGS
@given(data=st.dictionaries(text_values, nested, max_size=4))
@example(data={'yes': 'no', 'null': None, '1': 1, 'e': 1e20, 'f': 1e-05, '': '', 'k': '\x85\u2028\ufeff'})
def test_yaml_round_trips_through_pyyaml_and_own_reader(data):
    text = cf.dump_yaml(data)
    assert _same(yaml.safe_load(text), data)
    assert _same(cf._load_own_yaml(text), data)
    for key, value in data.items():
        cf.check_key('yaml', key)
        cf.check_value('yaml', key, value)  # YAML holds every Unicode string


def test_yaml_reader_needs_pyyaml_only_for_foreign_yaml(monkeypatch):
    ours = cf.dump_yaml({'url': 'https://x', 'n': 1})
    foreign = '# comment\nurl: https://x\nn: 1\n'
    assert cf.load_yaml(foreign) == {'url': 'https://x', 'n': 1}
    monkeypatch.setitem(sys.modules, 'yaml', None)  # as on a target without PyYAML
    assert cf.load_yaml(ours) == {'url': 'https://x', 'n': 1}
    with pytest.raises(cf.FormatError) as e:
        cf.load_yaml(foreign)
    assert 'PyYAML' in e.value.msg


def test_yaml_own_reader_rejects_anything_not_in_the_written_subset():
    for text in ('url: https://x\n', 'a: "x"  # c\n', 'a:\n    b: 1\n', '"a": "b"\n', 'a: "b"'):
        with pytest.raises(cf._NotOurYaml):
            cf._load_own_yaml(text)


# --- JSON ----------------------------------------------------------------------------------------

def _has_nonfinite_float(value):
    if isinstance(value, float):
        return math.isnan(value) or math.isinf(value)
    if isinstance(value, dict):
        return any(_has_nonfinite_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nonfinite_float(v) for v in value)
    return False


@NESTED_SETTINGS
@given(data=st.dictionaries(text_values, nested, max_size=4))
@example(data={'NaN': 'Infinity', '-Infinity': ['NaN']})  # the strings are JSON; only float values are not
@example(data={'k': [1.0, {'x': float('-inf')}]})
def test_json_round_trips_and_refuses_exactly_nan_and_infinity(data):
    has_nonfinite = _has_nonfinite_float(data)
    refused = any(_refused('json', k, v) for k, v in data.items())
    assert refused == has_nonfinite
    if not refused:
        assert _same(json.loads(cf.dump_json(data)), data)


# --- ini -----------------------------------------------------------------------------------------

def _read_ini(path, section, key, parser_cls):
    parser = parser_cls() if parser_cls is configparser.RawConfigParser else parser_cls(interpolation=None)
    with open(path, encoding='utf-8') as f:
        parser.read_file(f)
    return parser.get(section, key)


def _ini_cannot_hold(value):
    """What configparser, reading the file in text mode, would read back differently."""
    return bool(re.search('[\n\r]', value)) or value != value.strip()


# The rule of both line-oriented formats: no line break of any kind (str.splitlines() breaks at all
# of these), no control character except TAB.
LINE_FORMAT_REFUSED = u'[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]'


def _line_format_refuses(value):
    return bool(re.search(LINE_FORMAT_REFUSED, value))


@settings(SETTINGS, max_examples=200)
@given(value=text_values)
@example(value='%(home)s;#x = y: z')
@example(value=' leading')
@example(value='a\x0cb\u2028c')
@example(value='a\u3000b\xa0c\ufeffd')
def test_ini_values_round_trip_and_refusals_are_exact(tmp_path_factory, value):
    path = str(tmp_path_factory.mktemp('ini') / 'c.ini')
    refused = _refused('ini', 'api_token', value)
    # Line breaks and controls are refused by the line-format rule, surrounding whitespace exactly
    # because configparser would read something else.
    assert refused == (_ini_cannot_hold(value) or _line_format_refuses(value))
    text = cf.render('ini', [('url', 'https://x'), ('api_token', value)]) if not refused else \
        '[jira]\nurl = https://x\napi_token = %s\n' % value  # the naive rendering of a refused value
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)
    for parser_cls in (configparser.RawConfigParser, configparser.ConfigParser):
        try:
            got = _read_ini(path, 'jira', 'api_token', parser_cls)
        except configparser.Error:
            got = None
        if refused:
            if _ini_cannot_hold(value):
                assert got != value
        else:
            assert got == value
            assert cf.read_values('ini', text)['api_token'] == value


@SETTINGS
@given(key=text_values)
@example(key='URL')
@example(key='a=b')
@example(key='[x')
def test_ini_keys_round_trip_and_refusals_are_exact(tmp_path_factory, key):
    try:
        cf.check_key('ini', key)
        refused = False
    except cf.FormatError:
        refused = True
    cannot = (key == '' or bool(re.search('[=:]', key)) or key != key.strip() or key[:1] in ('#', ';', '[')
              or _line_format_refuses(key))
    assert refused == cannot
    if refused:
        return
    text = cf.render('ini', [(key, 'value')])
    path = str(tmp_path_factory.mktemp('ini') / 'k.ini')
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)
    assert _read_ini(path, 'jira', key, configparser.RawConfigParser) == 'value'


def test_ini_refuses_the_default_section_and_odd_sections():
    for bad in ('DEFAULT', '', ' jira', 'a\nb'):
        with pytest.raises(cf.FormatError):
            cf.check_ini_section(bad)
    cf.check_ini_section('jira integration')


INI_EXISTING = u"""; managed partly by Ansible
[app]
name = demo
# the Jira part
[jira]
URL = https://old.example.com
# keep me
api_token = old
extra = multi
  line value

[other]
url = not ours
"""


def test_ini_merge_keeps_comments_order_and_other_sections():
    new = cf.render('ini', [('url', 'https://new.example.com'), ('username', 'me'), ('api_token', 'old')],
                    old_text=INI_EXISTING, merge=True)
    assert new == INI_EXISTING.replace('URL = https://old.example.com', 'URL = https://new.example.com').replace(
        '  line value\n', '  line value\nusername = me\n')
    again = cf.render('ini', [('url', 'https://new.example.com'), ('username', 'me'), ('api_token', 'old')],
                      old_text=new, merge=True)
    assert again == new
    removed = cf.render('ini', [], old_text=new, merge=True, remove=['url', 'username', 'api_token'])
    parser = configparser.RawConfigParser()
    parser.read_string(removed)
    assert sorted(parser.options('jira')) == ['extra'] and parser.get('other', 'url') == 'not ours'
    assert '# keep me' in removed and removed.startswith('; managed partly by Ansible\n')


def test_ini_merge_adds_a_missing_section_and_refuses_broken_files():
    new = cf.render('ini', [('url', 'https://x')], old_text='[app]\nname = a\n', merge=True)
    assert new == '[app]\nname = a\n\n[jira]\nurl = https://x\n'
    with pytest.raises(cf.FormatError):
        cf.render('ini', [('url', 'https://x')], old_text='[jira]\nurl = a\nurl = b\n', merge=True)


# --- env -----------------------------------------------------------------------------------------

def systemd_reference(text):
    """systemd's EnvironmentFile= as a dict, written from the documented rules (not from the module):
    '#'/';' comment lines; KEY=VALUE with whitespace around the key and before the value dropped;
    unquoted values run to the end of the line (quotes in them are literal), lose trailing
    whitespace that was not escaped, and '\\' escapes any char; '...' is literal; "..."
    unescapes only \\" \\\\ \\` \\$ (and drops \\newline); after a closing quote a new quoted or
    unquoted part may follow. Then exec drops invalid names and (older releases) values with
    control characters other than TAB and newline."""
    env = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in ' \t\n\r':
            i += 1
        if i >= n:
            break
        if text[i] in '#;':
            while i < n and text[i] not in '\n\r':
                if text[i] == '\\' and i + 1 < n:
                    i += 1
                i += 1
            continue
        j = i
        while j < n and text[j] not in '=\n\r':
            j += 1
        if j >= n or text[j] != '=':
            i = j
            continue
        key = text[i:j].rstrip(' \t')
        i = j + 1
        parts = []
        while i < n and text[i] in ' \t':
            i += 1
        while i < n and text[i] not in '\n\r':
            c = text[i]
            if c == "'":
                end = text.index("'", i + 1) if "'" in text[i + 1:] else n
                parts.append(text[i + 1:end])
                i = end + 1
            elif c == '"':
                i += 1
                while i < n and text[i] != '"':
                    if text[i] == '\\' and i + 1 < n:
                        nxt = text[i + 1]
                        parts.append(nxt if nxt in '"\\`$' else ('' if nxt == '\n' else '\\' + nxt))
                        i += 2
                    else:
                        parts.append(text[i])
                        i += 1
                i += 1
            else:
                # Unquoted: quotes are literal here, up to the end of the line; trailing blanks
                # that were not escaped are dropped.
                unq = []
                keep = 0
                while i < n and text[i] not in '\n\r':
                    if text[i] == '\\' and i + 1 < n:
                        if text[i + 1] not in '\n\r':
                            unq.append(text[i + 1])
                            keep = len(unq)
                        i += 2
                    else:
                        unq.append(text[i])
                        if text[i] not in ' \t':
                            keep = len(unq)
                        i += 1
                parts.append(''.join(unq[:keep]))
                continue
            while i < n and text[i] in ' \t':
                i += 1
        i += 1
        value = ''.join(parts)
        if re.match(r'^[A-Za-z_][A-Za-z0-9_]*\Z', key) and not re.search(u'[\x00-\x08\x0b-\x1f\x7f]', value):
            env[key] = value
        else:
            env.pop(key, None)
    return env


def sh_reads(path, name):
    out = subprocess.run(['/bin/sh', '-c', '. "$1"; printf %s "$' + name + '"', 'sh', path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                         env={'PATH': os.environ.get('PATH', '/usr/bin:/bin')})
    return out.returncode, out.stdout.decode('utf-8', 'surrogateescape')


def _env_cannot_hold(value):
    return _line_format_refuses(value)


@settings(SETTINGS, max_examples=200)
@given(value=text_values)
@example(value='$(id) `id` $HOME \\$ "\' # ;')
@example(value='  both ends  ')
@example(value='tab\there')
def test_env_values_read_the_same_in_sh_and_systemd_and_refusals_are_exact(tmp_path_factory, value):
    path = str(tmp_path_factory.mktemp('env') / 'c.env')
    refused = _refused('env', 'api_token', value)
    assert refused == _env_cannot_hold(value)
    text = cf.render('env', [('JIRA_URL', 'https://x'), ('JIRA_API_TOKEN', value)]) if not refused else \
        'JIRA_URL="https://x"\nJIRA_API_TOKEN=%s\n' % cf.env_quote(value)  # naive rendering
    with open(path, 'w', encoding='utf-8', newline='', errors='surrogateescape') as f:
        f.write(text)
    systemd = systemd_reference(text).get('JIRA_API_TOKEN')
    if refused:
        # A newline in quotes is read the same by both, but the issue rules it out for env (the
        # file is line-oriented for every other tool); NUL and the other controls are read
        # differently (sh stops at NUL, older systemd drops the value).
        if re.search(u'[\x00-\x08\x0b-\x1f\x7f]', value):
            rc, sh = sh_reads(path, 'JIRA_API_TOKEN')
            assert systemd != value or sh != value
        return
    rc, sh = sh_reads(path, 'JIRA_API_TOKEN')
    assert rc == 0 and sh == value
    assert systemd == value
    assert cf.read_values('env', text)['JIRA_API_TOKEN'] == value


@SETTINGS
@given(key=st.text(alphabet=st.sampled_from(list('aZ_09-. =$\u00e9')), max_size=6))
def test_env_keys_refused_exactly_when_sh_or_systemd_cannot_name_them(key):
    try:
        cf.check_key('env', key)
        refused = False
    except cf.FormatError:
        refused = True
    assert refused == (not re.match(r'^[A-Za-z_][A-Za-z0-9_]*\Z', key))


ENV_EXISTING = u"""# Jira for the app
export PATH_EXTRA='/opt/x'
JIRA_URL=https://old.example.com   # trailing
; semicolon comment
OTHER="keep \\"me\\""
JIRA_API_TOKEN='old'
JIRA_API_TOKEN=older
"""


def test_env_parse_follows_systemd_rules_for_hand_written_files():
    values = cf.read_values('env', ENV_EXISTING)
    ref = systemd_reference(ENV_EXISTING)
    for key in ('JIRA_URL', 'OTHER', 'JIRA_API_TOKEN'):
        assert values[key] == ref[key]
    assert values['JIRA_API_TOKEN'] == 'older'


def test_env_merge_replaces_only_managed_lines_and_drops_duplicates():
    items = [('JIRA_URL', 'https://new.example.com'), ('JIRA_USERNAME', 'me'), ('JIRA_API_TOKEN', 'tok')]
    new = cf.render('env', items, old_text=ENV_EXISTING, merge=True)
    assert new == (u"# Jira for the app\nexport PATH_EXTRA='/opt/x'\nJIRA_URL=\"https://new.example.com\"\n"
                   u"; semicolon comment\nOTHER=\"keep \\\"me\\\"\"\nJIRA_API_TOKEN=\"tok\"\nJIRA_USERNAME=\"me\"\n")
    assert cf.render('env', items, old_text=new, merge=True) == new
    gone = cf.render('env', [], old_text=new, merge=True, remove=['JIRA_URL', 'JIRA_USERNAME', 'JIRA_API_TOKEN'])
    assert gone == u"# Jira for the app\nexport PATH_EXTRA='/opt/x'\n; semicolon comment\nOTHER=\"keep \\\"me\\\"\"\n"


def test_env_merge_into_file_without_final_newline():
    assert cf.render('env', [('JIRA_URL', 'u')], old_text='A=1', merge=True) == 'A=1\nJIRA_URL="u"\n'


# --- yaml/json merge, masking, scalars -----------------------------------------------------------

@pytest.mark.parametrize('fmt', ['yaml', 'json'])
def test_structured_merge_keeps_foreign_keys_and_root_key(fmt):
    old = (cf.dump_yaml if fmt == 'yaml' else cf.dump_json)({'other': {'a': 1}, 'jira': {'url': 'old', 'keep': True}})
    new = cf.render(fmt, [('url', 'new'), ('api_token', 't')], old_text=old, merge=True, root_key='jira')
    data = cf.load_structured(fmt, new)
    assert data == {'other': {'a': 1}, 'jira': {'url': 'new', 'keep': True, 'api_token': 't'}}
    gone = cf.load_structured(fmt, cf.render(fmt, [], old_text=new, merge=True, remove=['url', 'api_token', 'keep'],
                                             root_key='jira'))
    assert gone == {'other': {'a': 1}}
    with pytest.raises(cf.FormatError):
        cf.render(fmt, [('url', 'x')], old_text=(cf.dump_yaml if fmt == 'yaml' else cf.dump_json)({'jira': [1]}),
                  merge=True, root_key='jira')


@pytest.mark.parametrize('fmt', cf.FORMATS)
def test_masking_replaces_only_the_token_value(fmt):
    key = cf.DEFAULT_KEYS[fmt]['api_token']
    text = cf.render(fmt, [(cf.DEFAULT_KEYS[fmt]['url'], 'https://x'), (key, 's3cret-token-value')])
    marker = cf.token_marker(key, 'pbkdf2-sha256:0123456789abcdef')
    masked = cf.render(fmt, [(key, marker)], old_text=text, only_existing=True)
    assert 's3cret-token-value' not in masked and marker in masked and 'https://x' in masked
    # only_existing never adds the key
    other = cf.render(fmt, [(cf.DEFAULT_KEYS[fmt]['url'], 'https://x')])
    assert marker not in cf.render(fmt, [(key, marker)], old_text=other, only_existing=True)


def test_nested_and_null_values_are_refused_where_the_format_cannot_hold_them():
    for fmt in ('ini', 'env'):
        for value in ({'a': 1}, [1], None):
            assert _refused(fmt, 'k', value)
    assert cf.scalar_text(True) == 'true' and cf.scalar_text(1.5) == '1.5' and cf.scalar_text(3) == '3'
    assert _refused('yaml', 'k', u'lone \ud800 surrogate')
    assert not _refused('yaml', 'k', {'a': [1, None, 1.5, math.inf]})


def test_env_merge_keeps_export_on_a_managed_line():
    new = cf.render('env', [('JIRA_API_TOKEN', 'new')], old_text='export JIRA_API_TOKEN=old\n', merge=True)
    assert new == 'export JIRA_API_TOKEN="new"\n'


@pytest.mark.parametrize('fmt', cf.FORMATS)
def test_mask_text_hides_the_token_and_other_secret_looking_values(fmt):
    names = ['JIRA_API_TOKEN', 'DB_PASSWORD', 'OLD_TOKEN', 'APP_NAME'] if fmt == 'env' else \
        ['api_token', 'db_password', 'old_token', 'app_name']
    values = ['tok-value-1', 'pw-value-2', 'tok-value-3', 'demo']
    text = cf.render(fmt, list(zip(names, values)))
    masked = cf.mask_text(fmt, text, lambda k, v: '<%s>' % k, names[0])
    for secret in values[:3]:
        assert secret not in masked
    assert 'demo' in masked and '<%s>' % names[1] in masked
    if fmt in ('yaml', 'json'):
        nested = cf.dump_json({'a': {'b': [{'password': 'pw-deep'}]}})
        assert 'pw-deep' not in cf.mask_text('json', nested, lambda k, v: '<%s>' % k, 'api_token')


# --- every character class: the writer's output and a hand-written file, read by the real reader ---

# One of each class that matters to some reader: every str.splitlines() break, other C0 controls,
# DEL, C1, BOM, non-characters, Unicode spaces that str.strip() removes, quotes and escapes.
CHAR_CLASSES = (list(u'\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029') + ['\x00', '\x01', '\x1b', '\t', '\x7f', '\x9f']
                + list(u'\xa0\u3000\ufeff\ufffe\uffff\U0010ffff"\'\\$`#;=:[]{}%&*!|>-?,') + [u'\u00e9', u'\U0001f600'])


def _ini_read_file(path, section='jira'):
    parser = configparser.RawConfigParser()
    with open(path, encoding='utf-8') as f:  # text mode, as a program reads it
        parser.read_file(f)
    return dict(parser.items(section))


def _write(path, text):
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)


@pytest.mark.parametrize('ch', CHAR_CLASSES, ids=lambda c: 'U+%04X' % ord(c))
@pytest.mark.parametrize('fmt', cf.FORMATS)
def test_every_character_class_reads_back_exactly_or_is_refused_by_the_stated_rule(tmp_path, fmt, ch):
    key = cf.DEFAULT_KEYS[fmt]['api_token']
    for value in ('tok' + ch + 'en-value', 'token-value' + ch):
        refused = _refused(fmt, key, value)
        if fmt in ('yaml', 'json'):
            assert not refused  # both escape what they must
        elif fmt == 'ini':
            assert refused == (_line_format_refuses(value) or value != value.strip())
        else:
            assert refused == _line_format_refuses(value)
        if refused:
            continue
        text = cf.render(fmt, [(cf.DEFAULT_KEYS[fmt]['url'], 'https://x'), (key, value)])
        path = str(tmp_path / ('c.' + fmt))
        _write(path, text)
        if fmt == 'yaml':
            with open(path, encoding='utf-8') as f:
                assert yaml.safe_load(f)[key] == value
        elif fmt == 'json':
            with open(path, encoding='utf-8') as f:
                assert json.load(f)[key] == value
        elif fmt == 'ini':
            assert _ini_read_file(path)[key] == value
        else:
            assert sh_reads(path, key) == (0, value)
            assert systemd_reference(text)[key] == value
        assert cf.read_values(fmt, text)[key] == value


@pytest.mark.parametrize('ch', CHAR_CLASSES, ids=lambda c: 'U+%04X' % ord(c))
def test_ini_reader_splits_lines_exactly_where_configparser_does(tmp_path, ch):
    """A hand-written ini file with any character inside the token: the module's reader, its merge
    and its masking see the lines configparser sees (str.splitlines() would split at U+2028)."""
    token = 'first-half' + ch + 'second-half'
    text = u'[jira]\napi_token = %s\nurl = https://old\n[other]\nk = v\n' % token
    path = str(tmp_path / 'c.ini')
    _write(path, text)
    try:
        want = _ini_read_file(path)
    except configparser.Error:
        with pytest.raises(cf.FormatError):
            cf.read_values('ini', text)
        return
    assert cf.read_values('ini', text) == want
    merged = cf.render('ini', [('url', 'https://new')], old_text=text, merge=True)
    _write(path, merged)
    got = _ini_read_file(path)
    assert got['api_token'] == want['api_token'] and got['url'] == 'https://new'
    masked = cf.mask_text('ini', text, lambda k, v: '<%s>' % k, 'api_token')
    if want['api_token'] == token:
        assert 'first-half' not in masked and 'second-half' not in masked


@pytest.mark.parametrize('ch', CHAR_CLASSES, ids=lambda c: 'U+%04X' % ord(c))
def test_env_reader_follows_systemd_for_every_character_class(ch):
    text = u'JIRA_API_TOKEN=first%ssecond\nJIRA_URL="https://old"\n' % ch
    ref = systemd_reference(text)
    got = cf.read_values('env', text)
    for key in ('JIRA_API_TOKEN', 'JIRA_URL'):
        if key in ref:  # the reference also drops values older systemd refuses
            assert got[key] == ref[key]
    merged = cf.render('env', [('JIRA_URL', 'https://new')], old_text=text, merge=True)
    assert cf.read_values('env', merged)['JIRA_URL'] == 'https://new'
    assert cf.read_values('env', merged)['JIRA_API_TOKEN'] == got['JIRA_API_TOKEN']


@pytest.mark.parametrize('ch', CHAR_CLASSES, ids=lambda c: 'U+%04X' % ord(c))
def test_foreign_yaml_and_json_are_read_as_pyyaml_and_json_loads_read_them(ch):
    for text in (u'k: "a%sb"\nurl: x\n' % ch, u'k: a%sb\nurl: x\n' % ch, u'k: |\n  a%sb\nurl: x\n' % ch):
        try:
            want = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError):
            with pytest.raises(cf.FormatError):
                cf.load_yaml(text)
            continue
        assert cf.load_yaml(text) == want
    text = u'{"k": "a%sb", "url": "x"}' % ch
    try:
        want = json.loads(text)
    except ValueError:
        with pytest.raises(cf.FormatError):
            cf.load_json(text)
    else:
        assert cf.load_json(text) == want


# --- hostile existing files: bounded, clear, never repeating the content -------------------------

SECRET = 'planted-secret-0123456789'


def _bomb(levels=9, width=10):
    lines = ['a0: &a0 ["%s"]' % SECRET]
    for i in range(1, levels):
        lines.append('a%d: &a%d [%s]' % (i, i, ', '.join(['*a%d' % (i - 1)] * width)))
    lines.append('api_token: *a%d' % (levels - 1))
    return '\n'.join(lines) + '\n'


HOSTILE = [
    ('yaml', 'self-referencing alias', 'api_token: "%s"\nloop: &a [*a]\n' % SECRET, 'itself'),
    ('yaml', 'self-referencing mapping alias', 'api_token: "%s"\nloop: &a {x: *a}\n' % SECRET, 'itself'),
    ('yaml', 'alias bomb', _bomb(), 'alias'),
    ('yaml', 'deep flow nesting', 'api_token: "%s"\nx: %s%s\n' % (SECRET, '[' * 5000, ']' * 5000), 'deeper'),
    ('yaml', 'deep block nesting', 'api_token: "%s"\nx:\n  %sy\n' % (SECRET, '- ' * 5000), 'deeper'),
    ('yaml', 'deep indented mappings', 'api_token: "%s"\n' % SECRET + ''.join(
        '%sk:\n' % ('  ' * i) for i in range(300)) + '  ' * 300 + 'v: 1\n', 'deeper'),
    ('yaml', 'binary value', 'api_token: "%s"\nb: !!binary "aGk="\n' % SECRET, '!!binary'),
    ('yaml', 'set value', 'api_token: "%s"\nb: !!set {x, y}\n' % SECRET, '!!set'),
    ('yaml', 'ordered map', 'api_token: "%s"\nb: !!omap [x: 1]\n' % SECRET, '!!omap'),
    ('yaml', 'impossible date', 'api_token: "%s"\nexpires_on: 2027-02-30\n' % SECRET, 'date'),
    ('yaml', 'huge integer', 'api_token: "%s"\nn: %s\n' % (SECRET, '9' * 6000), 'number'),
    ('json', 'deep nesting', '{"api_token": "%s", "x": %s%s}' % (SECRET, '[' * 100000, ']' * 100000), 'deeper'),
    ('json', 'NaN', '{"api_token": "%s", "x": NaN}' % SECRET, 'NaN'),
    ('json', '-Infinity', '{"api_token": "%s", "x": [-Infinity]}' % SECRET, 'Infinity'),
]


@pytest.mark.parametrize('fmt,case,text,word', HOSTILE, ids=[c[1] for c in HOSTILE])
def test_hostile_existing_files_are_refused_quickly_and_clearly(fmt, case, text, word):
    import time
    for attempt in (lambda: cf.read_values(fmt, text),
                    lambda: cf.render(fmt, [('url', 'https://x')], old_text=text, merge=True),
                    lambda: cf.mask_text(fmt, text, lambda k, v: '<%s>' % k, 'api_token')):
        started = time.monotonic()
        with pytest.raises(cf.FormatError) as e:
            attempt()
        assert time.monotonic() - started < 5
        assert word in e.value.msg and SECRET not in e.value.msg and 'existing file' in e.value.msg


def test_depth_just_inside_the_bound_is_read():
    depth = cf.MAX_DEPTH - 1  # the top-level mapping is one level
    assert cf.load_json('{"x": %s1%s}' % ('[' * depth, ']' * depth))['x'] is not None
    assert cf.load_yaml('x: %s1%s\n' % ('[' * depth, ']' * depth))['x'] is not None
    with pytest.raises(cf.FormatError):
        cf.load_yaml('x: %s1%s\n' % ('[' * (depth + 1), ']' * (depth + 1)))
    with pytest.raises(cf.FormatError):
        cf.load_json('{"x": %s1%s}' % ('[' * (depth + 1), ']' * (depth + 1)))
    # Brackets inside strings are not nesting.
    assert cf.load_json(json.dumps({'x': '[' * 500 + '\\"{' * 100})) == {'x': '[' * 500 + '\\"{' * 100}


def test_aliases_within_the_budget_are_read_like_safe_load():
    text = 'base: &b {timeout: 5, retries: [1, 2]}\nprod:\n  <<: *b\n  url: x\ncopy: *b\n'
    assert cf.load_yaml(text) == yaml.safe_load(text)
    assert cf.load_yaml(_bomb(levels=3)) == yaml.safe_load(_bomb(levels=3))  # 100 values: fine


@pytest.mark.parametrize('fmt', ['yaml', 'json'])
def test_the_writer_refuses_exactly_the_values_nested_deeper_than_the_reader_accepts(fmt):
    deep = 'leaf'
    for _i in range(cf.MAX_DEPTH - 2):
        deep = [deep]
    cf.check_value(fmt, 'nested', deep)  # with the top mapping and a root_key: MAX_DEPTH levels
    text = cf.render(fmt, [('nested', deep)], root_key='jira')
    assert cf.read_values(fmt, text, root_key='jira')['nested'] == deep
    for too_deep in ([deep], {'k': deep}):
        with pytest.raises(cf.FormatError) as e:
            cf.check_value(fmt, 'nested', too_deep)
        assert 'nested' in e.value.msg and 'deeper' in e.value.msg


YAML_TYPED = u"""url: https://old.example.com
expires_on: 2027-03-01
rotated: 2026-12-01 10:30:00.250000+05:30
naive: 2026-12-01 10:30:00
7: seven
2027-03-01: a date key
true: bool key
null: null key
1.5: float key
octal: 017
sexagesimal: 1:30
yes_no: yes
empty: ~
nested: {when: 2027-03-01, list: [2027-03-02, 3, 4.5, false, null]}
"""


def test_yaml_merge_keeps_dates_numbers_bools_and_null_as_they_are():
    before = yaml.safe_load(YAML_TYPED)
    assert cf.read_values('yaml', YAML_TYPED) == before
    merged = cf.render('yaml', [('url', 'https://new.example.com'), ('api_token', 'tok')], old_text=YAML_TYPED,
                       merge=True)
    after = yaml.safe_load(merged)
    want = dict(before, url='https://new.example.com', api_token='tok')
    assert cf.canonical(after) == cf.canonical(want)
    assert 'expires_on: 2027-03-01\n' in merged
    # Merging again changes nothing.
    assert cf.render('yaml', [('url', 'https://new.example.com'), ('api_token', 'tok')], old_text=merged,
                     merge=True) == merged


def test_canonical_tells_a_date_from_its_text_and_handles_any_key_type():
    import datetime
    assert cf.canonical(datetime.date(2027, 3, 1)) != cf.canonical('2027-03-01')
    assert cf.canonical({1: 'a', 'b': 2, None: 3, datetime.date(2027, 3, 1): 4}) == \
        cf.canonical({datetime.date(2027, 3, 1): 4, None: 3, 'b': 2, 1: 'a'})
    assert len(set(cf.canonical(v) for v in (1, 1.0, True, '1', [1], {'1': 1}))) == 6


def test_diff_and_info_show_typed_yaml_values_as_text():
    masked = cf.mask_text('yaml', YAML_TYPED + 'api_token: "%s"\n' % SECRET, lambda k, v: '<%s>' % k, 'api_token')
    assert SECRET not in masked and 'expires_on: 2027-03-01\n' in masked and '7: "seven"\n' in masked
    plain = cf.plain_data(yaml.safe_load(YAML_TYPED))
    assert json.loads(json.dumps(plain, allow_nan=False)) == plain  # what an Ansible result can hold
    assert plain['expires_on'] == '2027-03-01' and plain['7'] == 'seven' and plain['2027-03-01'] == 'a date key'
    assert plain['true'] == 'bool key' and plain['null'] == 'null key' and plain['nested']['list'][0] == '2027-03-02'
    assert plain['rotated'] == '2026-12-01 10:30:00.250000+05:30' and plain['octal'] == 15


def test_json_merge_with_values_json_loads_reads_keeps_them():
    text = '{"url": "old", "n": 12345678901234567890, "f": 1e300, "u": "\\u2028\\ud83d\\ude00", "z": null}'
    merged = cf.render('json', [('url', 'new')], old_text=text, merge=True)
    assert json.loads(merged) == dict(json.loads(text), url='new')


def test_siblings_reading_foreign_json_are_bounded_too():
    """The rotation record (a local file another user may have planted) and a server's answer: a body
    nested 100000 levels deep reads as 'no data', never as a RecursionError."""
    from ansible_collections.integrations.jira.plugins.module_utils import _rotation_fact as rf
    from ansible_collections.integrations.jira.plugins.module_utils._jira_client import JiraResponse
    deep = '{"token_fingerprint": %s%s}' % ('[' * 100000, ']' * 100000)
    assert rf.parse(deep) == {}
    assert rf.parse('{"account_id": "a", "rotated_at": NaN}') == {}
    assert rf.parse('{"account_id": "a"}') == {'account_id': 'a'}
    assert JiraResponse(200, {'Content-Type': 'application/json'}, deep.encode('ascii'), 'https://x').json() is None


# --- exact spellings at the edges of each escape rule -------------------------------------------

@pytest.mark.parametrize('char, spelled', [
    ('"', '\\"'), ('\\', '\\\\'), ('\n', '\\n'), ('\r', '\\r'), ('\t', '\\t'),
    ('\x00', '\\x00'), ('\x1f', '\\x1f'), ('\x7f', '\\x7f'), ('\x9f', '\\x9f'), ('\xa0', '\xa0'), ('\xff', '\xff'),
    ('\u2028', '\\u2028'), ('\u2029', '\\u2029'), ('\ufeff', '\\ufeff'), ('\ufffe', '\\ufffe'), ('\uffff', '\\uffff'),
    ('\U0001f600', '\U0001f600'),
])
def test_yaml_double_quoted_spelling_of_each_kind_of_character(char, spelled):
    assert cf._yaml_quote('a%sb' % char) == '"a%sb"' % spelled
    assert yaml.safe_load(cf._yaml_quote('a%sb' % char)) == 'a%sb' % char


def test_env_quoting_escapes_exactly_what_sh_and_systemd_treat_specially():
    assert cf.env_quote('a\\b"c$d`e\'f g') == '"a\\\\b\\"c\\$d\\`e\'f g"'
    assert cf.token_marker('api_token', 'pbkdf2-sha256:0123') == '<api_token pbkdf2-sha256:0123>'


def test_too_deep_message_names_the_top_setting_and_the_limit():
    deep = 'x'
    for dummy in range(cf.MAX_DEPTH):
        deep = [deep]
    with pytest.raises(cf.FormatError) as e:
        cf.check_value('yaml', 'extra', {'inner': deep})
    assert e.value.msg == 'The value of extra is nested deeper than %d levels.' % (cf.MAX_DEPTH - 2)


@pytest.mark.parametrize('value, text', [(float('inf'), '.inf'), (float('-inf'), '-.inf'), (float('nan'), '.nan')])
def test_yaml_spells_infinities_and_nan_as_yaml_does(value, text):
    assert cf._yaml_float(value) == text
    assert yaml.safe_load('v: %s' % text)['v'] == value or math.isnan(value)


# --- reading YAML: escapes, line numbers and the value budget at its edge ----------------------

@pytest.mark.parametrize('escaped, char', [('\\x41', 'A'), ('\\u00e9', '\u00e9'), ('\\U0001f600', '\U0001f600')])
def test_each_width_of_yaml_hex_escape_reads_back(escaped, char):
    assert cf.read_values('yaml', 'k: "%sx"\n' % escaped) == {'k': char + 'x'}


def test_yaml_refusals_give_one_based_line_numbers():
    with pytest.raises(cf.FormatError) as e:
        cf.load_yaml('a: 1\nb: 2\nc: !!binary aGk=\n')
    assert '(line 3)' in e.value.msg


def test_yaml_value_budget_counts_every_node_up_to_its_limit():
    # A sequence of n scalars is n + 1 values.
    assert len(cf.load_yaml('- 1\n' * (cf.MAX_YAML_NODES - 1))) == cf.MAX_YAML_NODES - 1
    with pytest.raises(cf.FormatError) as e:
        cf.load_yaml('- 1\n' * cf.MAX_YAML_NODES)
    assert e.value.msg == 'The existing file is YAML with more than %d values; refusing to read it.' % cf.MAX_YAML_NODES


def test_alias_expansion_counts_against_the_budget_and_is_named():
    half = cf.MAX_YAML_NODES // 2
    text = 'a: &x [%s]\nb: *x\n' % ', '.join(['1'] * half)
    with pytest.raises(cf.FormatError) as e:
        cf.load_yaml(text)
    assert 'aliases expand to more than %d values' % cf.MAX_YAML_NODES in e.value.msg


def test_mask_text_hides_every_continuation_line_of_an_ini_secret():
    text = '[jira]\napi_token = piece-one\n  piece-two\n  piece-three\nurl = https://x\n'
    masked = cf.mask_text('ini', text, lambda k, v: '<%s>' % k, 'api_token')
    assert 'piece' not in masked
    assert masked == '[jira]\n%surl = https://x\n' % cf.ini_line('api_token', '<api_token>')


def test_mask_text_hides_a_token_under_any_key_name_in_its_section_only():
    text = '[jira]\nmykey = SECRETVALUE-1\n[other]\nmykey = plain-value\n'
    masked = cf.mask_text('ini', text, lambda k, v: '<%s>' % k, 'mykey')
    assert 'SECRETVALUE-1' not in masked and 'plain-value' in masked


def test_fold_key_ignores_case_only_for_ini():
    assert cf.fold_key('ini', 'Api_Token') == 'api_token'
    for fmt in ('yaml', 'json', 'env'):
        assert cf.fold_key(fmt, 'Api_Token') == 'Api_Token'
    assert cf.lookup('ini', {'api_token': 't'}, 'API_TOKEN') == 't'
    assert cf.lookup('yaml', {'api_token': 't'}, 'API_TOKEN') is None


def test_removal_items_cover_the_managed_keys_and_the_settings_and_check_the_names():
    names = cf.key_names('env', {'url': 'MY_URL'})
    assert cf.removal_items('env', names, {'TIMEOUT': 1}) == [
        ('url', 'MY_URL', None), ('username', 'JIRA_USERNAME', None), ('api_token', 'JIRA_API_TOKEN', None),
        ('TIMEOUT', 'TIMEOUT', None)]
    with pytest.raises(cf.FormatError):
        cf.removal_items('env', names, {'not a name': 1})


def test_present_keys_are_the_held_ones_and_with_merge_a_null_counts():
    items = cf.removal_items('yaml', cf.key_names('yaml', None), {'timeout': None})
    old = {'url': 'u', 'api_token': None, 'timeout': 3}
    assert cf.present_keys('yaml', old, items, merge=False) == ['url', 'timeout']
    assert cf.present_keys('yaml', old, items, merge=True) == ['url', 'api_token', 'timeout']
    assert cf.present_keys('yaml', None, items, merge=True) == []
    ini_items = cf.removal_items('ini', cf.key_names('ini', {'url': 'URL'}), {})
    assert cf.present_keys('ini', {'url': 'u'}, ini_items, merge=False) == ['url']


def test_fingerprint_marker_fingerprints_the_text_the_file_holds():
    seen = []

    def fingerprint(text):
        seen.append(text)
        return 'fp:%s' % len(text)

    marker_for = cf.fingerprint_marker(fingerprint)
    assert marker_for('api_token', 'abc') == cf.token_marker('api_token', 'fp:3')
    assert marker_for('pin', 1.5) == cf.token_marker('pin', 'fp:3')
    marker_for('flag', False)
    assert seen == ['abc', '1.5', 'false']
