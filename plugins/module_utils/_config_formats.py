# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the integrations.jira collection. It may change at any time,
# without notice. Do not use it from other collections or roles.

"""The one place each config format is rendered and read: yaml, json, ini, env.

Standard library only, so it runs on any target Python from 3.6 on. PyYAML is imported only
to read a YAML file this module did not write itself (see :func:`load_yaml`).

The contract of every format: what its ordinary reader gets back is exactly what was written.
The readers are ``yaml.safe_load`` (YAML 1.1), ``json.loads``, ``configparser.RawConfigParser``
(no interpolation, default option name handling), and for env both ``sh -c '. FILE'`` and
systemd's ``EnvironmentFile=``. A key or value a format cannot hold raises :class:`FormatError`
naming the key; nothing is ever written that would be read back differently.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import io
import json
import math
import re

FORMATS = ('yaml', 'json', 'ini', 'env')

DEFAULT_KEYS = {
    'yaml': {'url': 'url', 'username': 'username', 'api_token': 'api_token'},
    'json': {'url': 'url', 'username': 'username', 'api_token': 'api_token'},
    'ini': {'url': 'url', 'username': 'username', 'api_token': 'api_token'},
    'env': {'url': 'JIRA_URL', 'username': 'JIRA_USERNAME', 'api_token': 'JIRA_API_TOKEN'},
}
MANAGED = ('url', 'username', 'api_token')
DEFAULT_SECTION = 'jira'

# Bounds on what reading a file may build, whatever the file holds: a config nested deeper than
# this, or a YAML file whose aliases expand to more values than this, is refused. Real config
# files stay far below both; the bounds keep a hostile file (a deep bracket run, an alias bomb)
# from exhausting the stack, the memory or the time of the module and of Ansible's result handling.
MAX_DEPTH = 100
MAX_YAML_NODES = 10000


class FormatError(Exception):
    """A key or value the format cannot hold, or an existing file that cannot be read.
    Messages name keys, never values (a value may be the token)."""

    def __init__(self, msg):
        super(FormatError, self).__init__(msg)
        self.msg = msg


def token_marker(key, fingerprint):
    """What the diff shows instead of a token: the managed key name and the fingerprint."""
    return '<%s %s>' % (key, fingerprint)


# ---------------------------------------------------------------------------------------------
# What each format can hold
# ---------------------------------------------------------------------------------------------

_SURROGATE_RE = re.compile(u'[\ud800-\udfff]')
_ENV_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*\Z')
# What the two line-oriented formats refuse in keys and values alike: every line break of any
# reader (\n and \r for sh, systemd, and configparser reading a file in text mode; also \x0b \x0c
# \x1c-\x1e \x85 U+2028 U+2029, where str.splitlines() and tools built on it split a line), and
# every other control character except TAB (older systemd releases drop such values from
# EnvironmentFile=, env_value_is_valid; sh and C readers stop at NUL). The rule is the same for
# ini and env so that a value accepted by one is accepted by the other; yaml and json escape
# what they must and hold any text.
_LINE_FORMAT_BAD_RE = re.compile(u'[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]')
_ENV_BAD_VALUE_RE = _INI_BAD_VALUE_RE = _LINE_FORMAT_BAD_RE


def _describe(ch):
    names = {'\n': 'a newline', '\r': 'a carriage return', '\x00': 'a NUL character'}
    if ch in names:
        return names[ch]
    if ch in u'\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029':
        return 'the line break U+%04X' % ord(ch)
    return 'the control character U+%04X' % ord(ch)


def check_key(fmt, key, what='key'):
    """Raise FormatError when ``key`` cannot be a key name in ``fmt``."""
    if not isinstance(key, str):
        raise FormatError('The %s %r must be a string.' % (what, key))
    if key == '' and fmt in ('ini', 'env'):
        raise FormatError('A %s name must not be empty in an %s file.' % (what, fmt))
    if _SURROGATE_RE.search(key):
        raise FormatError('The %s name %r is not valid Unicode text.' % (what, key))
    if fmt == 'env':
        if not _ENV_NAME_RE.match(key):
            raise FormatError('The %s name %r cannot be used in an env file: systemd and sh only accept '
                              'letters, digits and _ (not starting with a digit).' % (what, key))
    elif fmt == 'ini':
        bad = _INI_BAD_VALUE_RE.search(key)
        if bad:
            raise FormatError('The %s name %r cannot contain %s in an ini file.' % (what, key, _describe(bad.group())))
        if '=' in key or ':' in key:
            raise FormatError('The %s name %r cannot contain = or : in an ini file (configparser splits there).' % (what, key))
        if key != key.strip():
            raise FormatError('The %s name %r cannot start or end with whitespace in an ini file.' % (what, key))
        if key[0] in '#;[':
            raise FormatError('The %s name %r cannot start with #, ; or [ in an ini file.' % (what, key))


def check_value(fmt, key, value, _depth=0):
    """Raise FormatError when ``value`` (of setting/field ``key``) cannot be held by ``fmt``."""
    if isinstance(value, bool) or value is None:
        if value is None and fmt in ('ini', 'env'):
            raise FormatError('The value of %s is null, which an %s file cannot hold; give a string.' % (key, fmt))
        return
    if isinstance(value, int):
        return
    if isinstance(value, float):
        if fmt == 'json' and (math.isnan(value) or math.isinf(value)):
            raise FormatError('The value of %s is NaN or infinite, which JSON cannot hold.' % key)
        return
    if isinstance(value, str):
        if _SURROGATE_RE.search(value):
            raise FormatError('The value of %s is not valid Unicode text (it has a lone surrogate).' % key)
        if fmt == 'env':
            bad = _ENV_BAD_VALUE_RE.search(value)
            if bad:
                raise FormatError('The value of %s contains %s, which an env file cannot hold (env and ini '
                                  'values cannot contain line breaks or control characters other than TAB).'
                                  % (key, _describe(bad.group())))
        elif fmt == 'ini':
            bad = _INI_BAD_VALUE_RE.search(value)
            if bad:
                raise FormatError('The value of %s contains %s, which an ini file cannot hold (env and ini '
                                  'values cannot contain line breaks or control characters other than TAB).'
                                  % (key, _describe(bad.group())))
            if value != value.strip():
                raise FormatError('The value of %s starts or ends with whitespace, which configparser strips; '
                                  'an ini file cannot hold it.' % key)
        return
    if isinstance(value, (dict, list)):
        if fmt in ('ini', 'env'):
            raise FormatError('The value of %s is a %s; an %s file holds only strings, numbers and booleans '
                              '(nested values need format yaml or json).' % (key, type(value).__name__, fmt))
        if _depth >= MAX_DEPTH - 2:
            # The file's top mapping and a root_key mapping come on top; the reader refuses more.
            raise FormatError('The value of %s is nested deeper than %d levels.' % (key.split('.', 1)[0], MAX_DEPTH - 2))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for sub_key, sub_value in items:
            if isinstance(value, dict):
                check_key(fmt, sub_key, 'nested key in %s' % key)
            check_value(fmt, '%s.%s' % (key, sub_key), sub_value, _depth + 1)
        return
    raise FormatError('The value of %s has type %s, which the %s format cannot hold.' % (key, type(value).__name__, fmt))


def scalar_text(value):
    """The text an ini or env file holds for a scalar (their readers only return strings)."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _canonical_form(value):
    if isinstance(value, dict):
        return ['map'] + sorted(([canonical(k), _canonical_form(v)] for k, v in value.items()), key=lambda kv: kv[0])
    if isinstance(value, (list, tuple)):
        return ['list'] + [_canonical_form(v) for v in value]
    if isinstance(value, datetime.datetime):
        return ['timestamp', value.isoformat()]
    if isinstance(value, datetime.date):
        return ['date', value.isoformat()]
    return value


def canonical(value):
    """A comparison key that tells 1, 1.0, True and '1' apart (Python's == does not), and a date
    from its text; keys of any scalar type (a YAML file may have 1: or 2027-03-01: keys)."""
    return json.dumps(_canonical_form(value), ensure_ascii=True, allow_nan=True)


def plain_data(value):
    """A copy of data read from a file that JSON (an Ansible result) can hold: dates and
    timestamps, and keys that are not strings, become the text the YAML writer shows for them."""
    if isinstance(value, dict):
        return dict((k if isinstance(k, str) else _yaml_scalar(k), plain_data(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    if isinstance(value, datetime.date):
        return _yaml_scalar(value)
    return value


# ---------------------------------------------------------------------------------------------
# YAML: a hand-written safe emitter for a small subset, and a strict reader of that subset
# ---------------------------------------------------------------------------------------------
# Subset written: block mappings and sequences indented by two spaces; every string is
# double-quoted; integers, floats (always with a '.', YAML 1.1 needs it), true/false, null,
# {} and []. Keys are plain when they are identifiers that YAML 1.1 would not read as a bool
# or null, otherwise double-quoted.

_YAML_PLAIN_KEY_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_-]*\Z')
_YAML_RESERVED = frozenset('y n yes no on off true false null'.split())
# Printable for PyYAML's reader and not a YAML line break (NEL, LS, PS) nor a BOM.
_YAML_SAFE_CHAR_RE = re.compile(u'[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]')
_YAML_SIMPLE_ESCAPES = {'"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t'}


def _yaml_quote(text):
    out = ['"']
    for c in text:
        if c in _YAML_SIMPLE_ESCAPES:
            out.append(_YAML_SIMPLE_ESCAPES[c])
        elif _YAML_SAFE_CHAR_RE.match(c):
            out.append(c)
        elif ord(c) <= 0xff:
            out.append('\\x%02x' % ord(c))
        elif ord(c) <= 0xffff:
            out.append('\\u%04x' % ord(c))
        else:
            out.append('\\U%08x' % ord(c))
    out.append('"')
    return ''.join(out)


def _yaml_key(key):
    if not isinstance(key, str):
        # A key PyYAML read as a number, bool, null or date: written plain, so it reads back as one.
        return _yaml_scalar(key)
    if _YAML_PLAIN_KEY_RE.match(key) and key.lower() not in _YAML_RESERVED:
        return key
    return _yaml_quote(key)


def _yaml_float(value):
    if math.isnan(value):
        return '.nan'
    if math.isinf(value):
        return '.inf' if value > 0 else '-.inf'
    text = repr(value)
    mantissa, sep, exponent = text.partition('e')
    if '.' not in mantissa:
        mantissa += '.0'
    return mantissa + sep + exponent


def _yaml_scalar(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _yaml_float(value)
    if isinstance(value, datetime.datetime):
        # YAML 1.1 timestamp; PyYAML reads it back as the same (naive or fixed-offset) datetime.
        return value.isoformat(' ')
    if isinstance(value, datetime.date):
        return value.isoformat()
    return _yaml_quote(value)


def _yaml_lines(value, indent, out):
    pad = ' ' * indent
    if isinstance(value, dict):
        for key, sub in value.items():
            head = '%s%s:' % (pad, _yaml_key(key))
            if isinstance(sub, (dict, list)) and sub:
                out.append(head)
                _yaml_lines(sub, indent + 2, out)
            else:
                out.append('%s %s' % (head, _yaml_inline(sub)))
    else:
        for sub in value:
            if isinstance(sub, (dict, list)) and sub:
                out.append('%s-' % pad)
                _yaml_lines(sub, indent + 2, out)
            else:
                out.append('%s- %s' % (pad, _yaml_inline(sub)))


def _yaml_inline(value):
    if isinstance(value, dict):
        return '{}'
    if isinstance(value, list):
        return '[]'
    return _yaml_scalar(value)


def dump_yaml(data):
    """Render a dict as YAML text (the subset described above)."""
    if not data:
        return '{}\n'
    out = []
    _yaml_lines(data, 0, out)
    return '\n'.join(out) + '\n'


_YAML_INT_RE = re.compile(r'^-?(0|[1-9][0-9]*)\Z')
_YAML_FLOAT_RE = re.compile(r'^-?[0-9]+\.[0-9]*(e[-+][0-9]+)?\Z')
_YAML_DQ_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_YAML_UNESCAPE = {'"': '"', '\\': '\\', 'n': '\n', 'r': '\r', 't': '\t'}


class _NotOurYaml(Exception):
    pass


def _yaml_unquote(body):
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != '\\':
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in _YAML_UNESCAPE:
            out.append(_YAML_UNESCAPE[e])
            i += 2
            continue
        width = {'x': 2, 'u': 4, 'U': 8}.get(e)
        if width is None:
            raise _NotOurYaml()
        out.append(chr(int(body[i + 2:i + 2 + width], 16)))
        i += 2 + width
    return ''.join(out)


def _yaml_parse_scalar(text):
    if text == 'null':
        return None
    if text in ('true', 'false'):
        return text == 'true'
    if text == '{}':
        return {}
    if text == '[]':
        return []
    if _YAML_INT_RE.match(text):
        return int(text)
    if text in ('.nan', '.inf', '-.inf'):
        return float(text.replace('.', ''))
    if _YAML_FLOAT_RE.match(text):
        return float(text)
    m = _YAML_DQ_RE.match(text)
    if m and m.end() == len(text):
        return _yaml_unquote(m.group(1))
    raise _NotOurYaml()


def _yaml_split_key(text):
    if text.startswith('"'):
        m = _YAML_DQ_RE.match(text)
        if not m:
            raise _NotOurYaml()
        key, rest = _yaml_unquote(m.group(1)), text[m.end():]
    else:
        key, sep, rest = text.partition(':')
        if not sep:
            raise _NotOurYaml()
        rest = ':' + rest
    if not rest.startswith(':'):
        raise _NotOurYaml()
    return key, rest[1:]


def _yaml_block(lines, i, indent):
    if indent > 2 * MAX_DEPTH:
        raise _NotOurYaml()  # the general reader refuses it with a clear message
    pad = ' ' * indent
    is_seq = lines[i].startswith(pad + '-')
    result = [] if is_seq else {}
    while i < len(lines) and lines[i].startswith(pad) and not lines[i][indent:indent + 1] == ' ':
        body = lines[i][indent:]
        if is_seq:
            if not body.startswith('-'):
                raise _NotOurYaml()
            rest = body[1:]
            if rest == '':
                value, i = _yaml_block(lines, i + 1, indent + 2)
            else:
                value, i = _yaml_parse_scalar(rest[1:]), i + 1
            result.append(value)
        else:
            key, rest = _yaml_split_key(body)
            if rest == '':
                value, i = _yaml_block(lines, i + 1, indent + 2)
            else:
                value, i = _yaml_parse_scalar(rest[1:]), i + 1
            result[key] = value
    return result, i


def _load_own_yaml(text):
    """Read YAML that :func:`dump_yaml` wrote, or raise _NotOurYaml. Re-rendering must give the
    same text back, so a file is only accepted when it is exactly in the written subset."""
    try:
        if text == '{}\n':
            return {}
        lines = text.split('\n')
        if lines[-1] != '':
            raise _NotOurYaml()
        lines = lines[:-1]
        if not lines:
            raise _NotOurYaml()
        data, end = _yaml_block(lines, 0, 0)
        if end != len(lines) or not isinstance(data, dict):
            raise _NotOurYaml()
    except (IndexError, ValueError):
        raise _NotOurYaml()
    if dump_yaml(data) != text:
        raise _NotOurYaml()
    return data


def _line(mark):
    return ' (line %d)' % (mark.line + 1) if mark is not None else ''


_BOUNDED_LOADER = []


def _bounded_loader(yaml):
    """yaml.SafeLoader that refuses, while composing (before anything is expanded or built):
    nesting deeper than MAX_DEPTH, an alias inside its own anchor (a cyclic structure), more than
    MAX_YAML_NODES values counting every alias expansion (an alias bomb is a few hundred bytes
    that expand to billions), and the types no other format or Ansible result can hold."""
    if _BOUNDED_LOADER:
        return _BOUNDED_LOADER[0]

    class BoundedSafeLoader(yaml.SafeLoader):
        def __init__(self, stream):
            yaml.SafeLoader.__init__(self, stream)
            self._depth = 0
            self._nodes = 0
            self._aliases = 0
            self._sizes = {}

        def fetch_flow_collection_start(self, token_class):
            # Refused in the scanner already: it looks ahead up to 1024 characters and keeps a
            # possible key per flow level, so a long run of '[' costs quadratic time there.
            if self.flow_level >= MAX_DEPTH:
                raise FormatError('The existing file is YAML nested deeper than %d levels%s; refusing to read it.'
                                  % (MAX_DEPTH, _line(self.get_mark())))
            yaml.SafeLoader.fetch_flow_collection_start(self, token_class)

        def compose_document(self):
            self._sizes = {}  # anchors are per document
            return yaml.SafeLoader.compose_document(self)

        def _count(self, n, event):
            self._nodes += n
            if self._nodes > MAX_YAML_NODES:
                if self._aliases:
                    raise FormatError('The existing file is YAML whose aliases expand to more than %d values%s '
                                      '(an alias bomb?); refusing to read it.' % (MAX_YAML_NODES, _line(event.start_mark)))
                raise FormatError('The existing file is YAML with more than %d values; refusing to read it.'
                                  % MAX_YAML_NODES)

        def compose_node(self, parent, index):
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                if event.anchor in self.anchors and event.anchor not in self._sizes:
                    raise FormatError('The existing file is YAML with an alias inside its own anchor%s: the data '
                                      'would contain itself, which no config format can hold.' % _line(event.start_mark))
                self._aliases += 1
                self._count(self._sizes.get(event.anchor, 0), event)
                return yaml.SafeLoader.compose_node(self, parent, index)  # also refuses an undefined alias
            # Depth counts mappings and sequences, as brackets do in JSON.
            nests = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
            if nests and self._depth >= MAX_DEPTH:
                raise FormatError('The existing file is YAML nested deeper than %d levels%s; refusing to read it.'
                                  % (MAX_DEPTH, _line(event.start_mark)))
            start = self._nodes
            self._count(1, event)
            self._depth += nests
            try:
                node = yaml.SafeLoader.compose_node(self, parent, index)
            finally:
                self._depth -= nests
            if event.anchor is not None:
                self._sizes[event.anchor] = self._nodes - start
            return node

    def refuse(_loader, node):
        raise FormatError('The existing file uses the YAML type %s%s, which this module does not read (it '
                          'cannot be written back or returned).' % (node.tag.replace('tag:yaml.org,2002:', '!!'),
                                                                    _line(node.start_mark)))

    for tag in ('binary', 'set', 'omap', 'pairs'):
        BoundedSafeLoader.add_constructor('tag:yaml.org,2002:' + tag, refuse)
    _BOUNDED_LOADER.append(BoundedSafeLoader)
    return BoundedSafeLoader


def load_yaml(text):
    """Parse YAML text: files this module wrote need nothing but the standard library; any other
    YAML needs PyYAML on the target and fails clearly without it. Foreign YAML is read as
    ``yaml.safe_load`` reads it, within the bounds of :func:`_bounded_loader`."""
    try:
        return _load_own_yaml(text)
    except _NotOurYaml:
        pass
    try:
        import yaml
    except ImportError:
        raise FormatError('The existing file is YAML that this module did not write; reading it needs PyYAML '
                          '(python3-yaml) on the target. Install it, or remove merge so the file is rewritten.')
    loader = None
    try:
        loader = _bounded_loader(yaml)(text)  # checks that every character is allowed in YAML
        return loader.get_single_data()
    except yaml.YAMLError as e:
        raise FormatError('The existing file is not valid YAML%s.' % _line(getattr(e, 'problem_mark', None)))
    except (ValueError, OverflowError, TypeError):
        # A scalar PyYAML recognises but cannot build: 2027-02-30, an integer of 5000 digits.
        raise FormatError('The existing file is YAML with a date or number that cannot be read (an impossible '
                          'date, or too many digits).')
    finally:
        if loader is not None:
            loader.dispose()


def dump_json(data):
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + '\n'


# A JSON string, or one bracket outside strings.
_JSON_NESTING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _json_depth_ok(text):
    if text.count('[') + text.count('{') <= MAX_DEPTH:
        return True
    depth = 0
    for m in _JSON_NESTING_RE.finditer(text):
        c = m.group()
        if c in '[{':
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif c in ']}':
            depth -= 1
    return True


def _refuse_json_constant(name):
    raise ValueError(name)


def load_json(text):
    """Parse JSON as ``json.loads`` does, but refuse nesting deeper than MAX_DEPTH (checked before
    parsing: json.loads would otherwise recurse until RecursionError) and NaN/Infinity (Python
    extensions, not JSON; the writer could not write them back)."""
    if not _json_depth_ok(text):
        raise FormatError('The existing file is JSON nested deeper than %d levels; refusing to read it.' % MAX_DEPTH)
    try:
        return json.loads(text, parse_constant=_refuse_json_constant)
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise FormatError('The existing file is JSON nested too deeply to read.')
    except ValueError as e:
        if getattr(e, 'lineno', None) is None and e.args and e.args[0] in ('NaN', 'Infinity', '-Infinity'):
            raise FormatError('The existing file is not valid JSON: it holds NaN or Infinity.')
        raise FormatError('The existing file is not valid JSON (line %s).' % getattr(e, 'lineno', '?'))


# ---------------------------------------------------------------------------------------------
# env: KEY="value" lines that systemd EnvironmentFile= and sh's "." read the same
# ---------------------------------------------------------------------------------------------
# Values are always double-quoted, escaping exactly \ " $ and ` with a backslash: inside double
# quotes both sh and systemd unescape precisely these four and keep everything else literal.

def env_quote(value):
    return '"%s"' % re.sub(r'([\\"$`])', r'\\\1', value)


def env_line(key, value):
    return '%s=%s\n' % (key, env_quote(value))


class _Assignment(object):
    __slots__ = ('key', 'value', 'start', 'end', 'prefix')

    def __init__(self, key, value, start, end, prefix=''):
        self.key, self.value, self.start, self.end, self.prefix = key, value, start, end, prefix


def env_parse(text):
    """The assignments of an env file with their spans, read with systemd's EnvironmentFile= rules
    (src/basic/env-file.c). ``export NAME=`` is matched as NAME so that a managed key written by
    hand for sh is found too.

    One character loop with the states of systemd's own parser, kept whole so that it can be read
    side by side with env-file.c."""
    result = []
    state = 'pre_key'
    key = value = None
    start = 0
    key_ws = value_ws = None

    def push(end):
        k = ''.join(key)
        if key_ws is not None:
            k = k[:key_ws]
        v = ''.join(value)
        if state == 'value' and value_ws is not None:
            v = v[:value_ws]
        prefix = ''
        if k.startswith('export') and k[6:7] in (' ', '\t'):
            k, prefix = k[6:].strip(), 'export '
        result.append(_Assignment(k, v, start, end, prefix))

    for i, c in enumerate(text):
        if state == 'pre_key':
            if c in '#;':
                state = 'comment'
            elif c not in ' \t\n\r':
                state, key, key_ws, start = 'key', [c], None, i
                while start > 0 and text[start - 1] not in '\n\r':
                    start -= 1
        elif state == 'key':
            if c in '\n\r':
                state = 'pre_key'
            elif c == '=':
                state, value, value_ws = 'pre_value', [], None
            else:
                if c not in ' \t':
                    key_ws = None
                elif key_ws is None:
                    key_ws = len(key)
                key.append(c)
        elif state == 'pre_value':
            if c in '\n\r':
                push(i + 1)
                state = 'pre_key'
            elif c == "'":
                state = 'single'
            elif c == '"':
                state = 'double'
            elif c == '\\':
                state = 'value_escape'
            elif c not in ' \t':
                state = 'value'
                value.append(c)
        elif state == 'value':
            if c in '\n\r':
                push(i + 1)
                state = 'pre_key'
            elif c == '\\':
                state, value_ws = 'value_escape', None
            else:
                if c not in ' \t':
                    value_ws = None
                elif value_ws is None:
                    value_ws = len(value)
                value.append(c)
        elif state == 'value_escape':
            state = 'value'
            if c not in '\n\r':
                value.append(c)
        elif state == 'single':
            if c == "'":
                state = 'pre_value'
            else:
                value.append(c)
        elif state == 'double':
            if c == '"':
                state = 'pre_value'
            elif c == '\\':
                state = 'double_escape'
            else:
                value.append(c)
        elif state == 'double_escape':
            state = 'double'
            if c in '"\\`$':
                value.append(c)
            elif c != '\n':
                value.extend(('\\', c))
        elif state == 'comment':
            if c == '\\':
                state = 'comment_escape'
            elif c in '\n\r':
                state = 'pre_key'
        elif state == 'comment_escape':
            state = 'pre_key' if c in '\n\r' else 'comment'
    if state not in ('pre_key', 'key', 'comment', 'comment_escape'):
        push(len(text))
    return result


# ---------------------------------------------------------------------------------------------
# ini: one [section] of key = value lines, edited line by line so comments and order survive
# ---------------------------------------------------------------------------------------------

_INI_SECTION_RE = re.compile(r'^\[(?P<header>.+)\]')
_INI_OPTION_RE = re.compile(r'^(?P<option>.*?)\s*(?P<vi>[=:])\s*(?P<value>.*)$')


def ini_line(key, value):
    return '%s = %s\n' % (key, value)


def _ini_option_key(key):
    # configparser's default optionxform: option names are compared lower-cased.
    return key.lower()


def check_ini_section(section):
    if not isinstance(section, str) or section != section.strip() or not section:
        raise FormatError('The ini section name must be a non-empty string without surrounding whitespace.')
    if _INI_BAD_VALUE_RE.search(section) or _SURROGATE_RE.search(section):
        raise FormatError('The ini section name cannot contain a line break or another control character.')
    if section == 'DEFAULT':
        raise FormatError('The ini section cannot be DEFAULT: configparser copies its keys into every other section.')


def _ini_check_parses(text):
    try:
        import configparser
    except ImportError:  # pragma: no cover - Python 2
        return
    parser = configparser.RawConfigParser()
    try:
        # As a program reads the file: opened in text mode, so lines end at \n, \r and \r\n and
        # nowhere else (read_string would not split at a lone \r).
        parser.read_file(io.StringIO(text, newline=None))
    except configparser.Error as e:
        raise FormatError('The existing file is not valid INI for configparser (%s).' % type(e).__name__)
    return parser


class _IniSpan(object):
    __slots__ = ('section', 'key', 'value', 'start', 'end')

    def __init__(self, section, key, value, start, end):
        self.section, self.key, self.value, self.start, self.end = section, key, value, start, end


# One line of a file read in text mode (universal newlines), with its ending. str.splitlines()
# would also split at \x0b \x0c \x1c-\x1e \x85 U+2028 U+2029, where configparser does not.
_INI_LINE_RE = re.compile(r'[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z')


def ini_lines(text):
    """``text`` split into lines exactly where configparser (reading the file) splits it."""
    return _INI_LINE_RE.findall(text)


def ini_parse(text):
    """(lines, sections, options): lines with their endings; for each section the index of its
    header line and of its last line; options as _IniSpan (line index ranges, configparser's
    value including continuation lines). Follows RawConfigParser's reading rules (its _read):
    a '#'/';' line is skipped, a blank line belongs to the value being read, a line indented
    deeper than the option's line continues it; the value is the parts joined by newlines with
    trailing blank lines dropped. Only meaningful for text that configparser accepts."""
    lines = ini_lines(text)
    sections = {}
    options = []
    current = None
    last = None  # (span, indent of its line, value parts)
    for n, line in enumerate(lines):
        stripped = line.strip()
        if stripped[:1] in ('#', ';'):
            continue
        if not stripped:
            if last is not None:
                last[2].append('')
            continue
        indent = len(line) - len(line.lstrip())
        if last is not None and indent > last[1]:
            # A continuation line of the previous option's value.
            last[0].end = n + 1
            last[2].append(stripped)
            last[0].value = '\n'.join(last[2]).rstrip()
            sections[current][1] = n
            continue
        last = None
        m = _INI_SECTION_RE.match(stripped)
        if m:
            current = m.group('header')
            sections[current] = [n, n]
            continue
        m = _INI_OPTION_RE.match(stripped)
        if m and current is not None:
            value = m.group('value').strip()
            span = _IniSpan(current, m.group('option').rstrip(), value, n, n + 1)
            options.append(span)
            sections[current][1] = n
            last = (span, indent, [value])
    return lines, sections, options


def ini_section_values(text, section):
    """The section's options as configparser reads them (None when the section is missing)."""
    parser = _ini_check_parses(text)
    if parser is None or not parser.has_section(section):
        return None
    # Keys of [DEFAULT] are included: configparser hands them to every section's reader.
    return dict(parser.items(section, raw=True))


# ---------------------------------------------------------------------------------------------
# The two operations the modules use
# ---------------------------------------------------------------------------------------------

def _container(data, root_key, create):
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FormatError('The existing file does not hold a mapping at its top level.')
    if root_key is None:
        return data, data
    sub = data.get(root_key)
    if sub is None:
        if not create:
            return data, None
        sub = data[root_key] = {}
    if not isinstance(sub, dict):
        raise FormatError('The existing file has %s, but not as a mapping.' % root_key)
    return data, sub


def load_structured(fmt, text):
    if text is None or text.strip() == '':
        return {}
    return load_yaml(text) if fmt == 'yaml' else load_json(text)


def read_values(fmt, text, section=DEFAULT_SECTION, root_key=None):
    """The key -> value mapping that holds the settings in an existing file's text (the
    section for ini, the root_key mapping for yaml/json), or None when it is not there."""
    if fmt in ('yaml', 'json'):
        data = load_structured(fmt, text)
        return _container(data, root_key, create=False)[1]
    if fmt == 'ini':
        return ini_section_values(text, section)
    values = {}
    for a in env_parse(text):
        values[a.key] = a.value
    return values


def fold_key(fmt, key):
    """The key as the format's reader compares it: configparser ignores case, the others do not."""
    return _ini_option_key(key) if fmt == 'ini' else key


def lookup(fmt, values, key):
    """values[key] with the format's own key rules (configparser ignores case)."""
    if values is None:
        return None
    return values.get(fold_key(fmt, key))


# ---------------------------------------------------------------------------------------------
# The options both config modules take, and the writer's plan
# ---------------------------------------------------------------------------------------------

def config_file_argument_spec():
    """The options documented by the ``integrations.jira.config_file`` doc fragment (where the
    Jira settings sit in the file), for the modules that extend it."""
    return dict(
        keys=dict(type='dict', no_log=False, options=dict(
            url=dict(type='str'),
            username=dict(type='str'),
            api_token=dict(type='str', no_log=False),
        )),
        section=dict(type='str', default=DEFAULT_SECTION),
        root_key=dict(type='str', no_log=False),
    )


def key_names(fmt, keys):
    """Logical name -> key in the file, from the format's defaults and option ``keys``."""
    names = dict(DEFAULT_KEYS[fmt])
    for logical, name in (keys or {}).items():
        if name is not None:
            names[logical] = name
    return names


def plan_items(fmt, names, values, settings):
    """The (logical, file key, value) triples to write, checked against what the format can hold."""
    items = [(logical, names[logical], values[logical]) for logical in MANAGED if values.get(logical) is not None]
    for key, value in settings.items():
        items.append((key, key, value))
    seen = {}
    for logical, key, value in items:
        if key == '':
            # YAML and JSON could hold it, but no reader looks a setting up by an empty name.
            raise FormatError('Option keys.%s must not be empty.' % logical if logical in MANAGED
                              else 'A setting name (a key of option settings) must not be empty.')
        check_key(fmt, key, 'key for %s' % logical if logical in MANAGED else 'setting')
        folded = fold_key(fmt, key)
        if folded in seen:
            raise FormatError('The key %s is used twice (by %s and by %s)%s; a file holds it once.' % (
                key, seen[folded], logical, ', configparser ignores case' if fmt == 'ini' else ''))
        seen[folded] = logical
        check_value(fmt, logical if logical in MANAGED else key, value)
    return items


def removal_items(fmt, names, settings):
    """The (logical, file key, None) triples that state=absent removes, their keys checked."""
    items = [(logical, names[logical], None) for logical in MANAGED]
    items += [(key, key, None) for key in settings]
    for _logical, key, _value in items:
        check_key(fmt, key)
    return items


def compare(fmt, old_values, items):
    """Logical names of the items whose value differs from what the file holds."""
    changed = []
    for logical, key, value in items:
        old = lookup(fmt, old_values, key)
        if fmt in ('ini', 'env'):
            differs = old != scalar_text(value)
        else:
            differs = old_values is None or key not in old_values or canonical(old) != canonical(value)
        if differs:
            changed.append(logical)
    return changed


def present_keys(fmt, old_values, items, merge):
    """Logical names of the items the file holds (what removing them changes). With ``merge``
    a key held with a null value counts too: merging removes the key itself."""
    return [logical for logical, key, _value in items
            if old_values is not None and (lookup(fmt, old_values, key) is not None or (merge and key in old_values))]


def fingerprint_marker(fingerprint):
    """The diff's stand-in for a secret value, ``marker_for(key, value)``: its key and the
    ``fingerprint`` (a function of text) of the text the file holds."""
    def marker_for(key, value):
        return token_marker(key, fingerprint(value if isinstance(value, str) else scalar_text(value)))
    return marker_for


def render(fmt, items, old_text=None, merge=False, remove=(), section=DEFAULT_SECTION, root_key=None,
           only_existing=False):
    """The new file text.

    ``items`` is a list of (key, value) to set, ``remove`` keys to delete. Without ``merge`` the
    file holds just the items. With ``merge`` everything else in ``old_text`` is kept; for ini
    and env also comments and order, and a line is only rewritten when its value changes.
    ``only_existing`` sets a key only where the file has it already (used to mask the token in
    a diff). Values must have passed :func:`check_value`.
    """
    if fmt in ('yaml', 'json'):
        dump = dump_yaml if fmt == 'yaml' else dump_json
        if merge or only_existing:
            data = load_structured(fmt, old_text)
            data, box = _container(data, root_key, create=not only_existing)
            if box is not None:
                for key in remove:
                    box.pop(key, None)
                for key, value in items:
                    if only_existing and key not in box:
                        continue
                    box[key] = value
                if root_key is not None and not box and remove:
                    data.pop(root_key, None)
        else:
            data = box = {}
            if root_key is not None:
                data = {root_key: box}
            for key, value in items:
                box[key] = value
        return dump(data)
    if fmt == 'env':
        return _render_env(items, old_text if (merge or only_existing) else None, remove, only_existing)
    return _render_ini(items, old_text if (merge or only_existing) else None, remove, section, only_existing)


def _render_env(items, old_text, remove, only_existing):
    if old_text is None:
        return ''.join(env_line(k, scalar_text(v)) for k, v in items)
    wanted = dict((k, scalar_text(v)) for k, v in items)
    drop = set(remove)
    edits = []  # (start, end, replacement)
    seen = set()
    for a in env_parse(old_text):
        if a.key in drop or (a.key in wanted and a.key in seen):
            edits.append((a.start, a.end, ''))
        elif a.key in wanted:
            seen.add(a.key)
            if a.value != wanted[a.key]:
                # A hand-written "export NAME=" stays exported for the scripts that source it.
                edits.append((a.start, a.end, a.prefix + env_line(a.key, wanted[a.key])))
    text = _apply_edits(old_text, edits)
    if not only_existing:
        missing = [k for k, _v in items if k not in seen]
        if missing and text and not text.endswith('\n'):
            text += '\n'
        text += ''.join(env_line(k, wanted[k]) for k in missing)
    # Read the new text back as systemd will; refuse to write what reads differently.
    values = dict((a.key, a.value) for a in env_parse(text))
    for key, value in wanted.items():
        if values.get(key, value if only_existing else None) != value:
            raise FormatError('The key %s would not read back as written from this env file; it is not changed.' % key)
    for key in drop:
        if key in values:
            raise FormatError('The key %s would still be set in this env file after removing it; it is not changed.' % key)
    return text


def _apply_edits(text, edits):
    out = []
    pos = 0
    for start, end, new in sorted(edits):
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return ''.join(out)


def _render_ini(items, old_text, remove, section, only_existing):
    new_lines = [ini_line(k, scalar_text(v)) for k, v in items]
    if old_text is None:
        return '[%s]\n' % section + ''.join(new_lines)
    _ini_check_parses(old_text)
    lines, sections, options = ini_parse(old_text)
    wanted = dict((_ini_option_key(k), (k, scalar_text(v))) for k, v in items)
    drop = set(_ini_option_key(k) for k in remove)
    replace = {}  # line index -> replacement text ('' deletes)
    seen = set()
    for span in options:
        if span.section != section:
            continue
        name = _ini_option_key(span.key)
        if name in drop:
            for n in range(span.start, span.end):
                replace[n] = ''
        elif name in wanted:
            seen.add(name)
            key, value = wanted[name]
            if span.value != value:
                replace[span.start] = ini_line(span.key, value)
                for n in range(span.start + 1, span.end):
                    replace[n] = ''
    missing = [] if only_existing else [ini_line(k, v) for name, (k, v) in
                                        ((_ini_option_key(k), (k, scalar_text(v))) for k, v in items)
                                        if name not in seen]
    out = []
    for n, line in enumerate(lines):
        out.append(replace.get(n, line))
        if section in sections and n == sections[section][1] and missing:
            if not out[-1].endswith(('\n', '\r')):
                out[-1] += '\n'
            out.extend(missing)
            missing = []
    text = ''.join(out)
    if missing:
        if text and not text.endswith('\n'):
            text += '\n'
        if text.strip():
            text += '\n'
        text += '[%s]\n' % section + ''.join(missing)
    _ini_check_written(text, section, wanted, drop, only_existing)
    return text


def _ini_check_written(text, section, wanted, drop, only_existing):
    """Read the new text back as configparser will; refuse to write what reads differently."""
    values = ini_section_values(text, section)
    if values is None:
        if only_existing or not wanted:
            return
        values = {}
    for name, (key, value) in wanted.items():
        if values.get(name, value if only_existing else None) != value:
            raise FormatError('The key %s would not read back as written from this ini file; it is not changed.' % key)
    for name in drop:
        if name in values and name not in wanted:
            raise FormatError('The key %s would still be set in this ini file after removing it (it is set in '
                              'another place, such as [DEFAULT]); it is not changed.' % name)


# ---------------------------------------------------------------------------------------------
# Masking for diffs and reports
# ---------------------------------------------------------------------------------------------

# Keys whose values are treated as secrets wherever they are in a file, besides the managed
# token key: a foreign password in a merged file, or an old token left under a renamed key.
_SECRET_NAME_RE = re.compile(r'token|secret|passw|passphrase|pwd|credential|private[-_]?key|api[-_]?key'
                             r'|(?:^|[^a-z])pats?(?:[^a-z]|$)', re.I)


def looks_secret(key):
    """Whether a key name suggests a secret value (``jira_pat`` and ``PAT`` count; ``path`` does not)."""
    return isinstance(key, str) and bool(_SECRET_NAME_RE.search(key))


def _mask_all(value, key, marker_for):
    """Every scalar in ``value`` replaced by its marker; the shape (lists, maps, nulls) stays."""
    if isinstance(value, dict):
        return dict((sub_key, _mask_all(sub, sub_key if isinstance(sub_key, str) else key, marker_for))
                    for sub_key, sub in value.items())
    if isinstance(value, list):
        return [_mask_all(sub, key, marker_for) for sub in value]
    if value is None:
        return None
    return marker_for(key, value)


def mask_structure(value, marker_for, force=()):
    """A copy of ``value`` where every scalar under a secret-looking key (or a key in ``force``)
    is replaced by ``marker_for(key, value)``, at any depth: a list or map under such a key
    (``previous_tokens: [...]``, ``credentials: {...}``) has each of its scalars masked."""
    if isinstance(value, dict):
        masked = {}
        for key, sub in value.items():
            if key in force or looks_secret(key):
                masked[key] = _mask_all(sub, key, marker_for)
            else:
                masked[key] = mask_structure(sub, marker_for, force)
        return masked
    if isinstance(value, list):
        return [mask_structure(sub, marker_for, force) for sub in value]
    return value


def mask_text(fmt, text, marker_for, token_key, section=DEFAULT_SECTION):
    """``text`` with the token and every other secret-looking value replaced by
    ``marker_for(key, value)``; for the diff. For yaml/json the data is shown re-rendered."""
    if not text:
        return text or ''
    if fmt in ('yaml', 'json'):
        data = mask_structure(load_structured(fmt, text), marker_for, (token_key,))
        return dump_yaml(data) if fmt == 'yaml' else dump_json(data)
    edits = []
    if fmt == 'env':
        for a in env_parse(text):
            if a.key == token_key or looks_secret(a.key):
                edits.append((a.start, a.end, a.prefix + env_line(a.key, marker_for(a.key, a.value))))
        return _apply_edits(text, edits)
    lines, _sections, options = ini_parse(text)
    replace = {}
    for span in options:
        mine = span.section == section and _ini_option_key(span.key) == _ini_option_key(token_key)
        if mine or looks_secret(span.key):
            replace[span.start] = ini_line(span.key, marker_for(span.key, span.value))
            for n in range(span.start + 1, span.end):
                replace[n] = ''
    return ''.join(replace.get(n, line) for n, line in enumerate(lines))
