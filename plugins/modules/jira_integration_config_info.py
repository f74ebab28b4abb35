#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: jira_integration_config_info
short_description: Report what the integration's Jira config file on the target holds, without the token
version_added: 0.1.0
description:
  - Reads a config file written by M(integrations.jira.jira_integration_config) (or by hand) on the target and
    returns the URL, the username, the token's fingerprint (never the token), the other settings, the file's
    mode and owner, and a list of RV(problems).
  - Read-only. Takes the same O(path), O(format), O(keys), O(section) and O(root_key) as the writer.
author:
  - integrations.jira maintainers (@integrations-jira)
extends_documentation_fragment:
  - integrations.jira.attributes
  - integrations.jira.attributes.info_module
  - integrations.jira.config_file
options:
  path:
    description:
      - The config file on the target, as an absolute path without C(..) segments (the module fails otherwise,
        as M(integrations.jira.jira_integration_config) does).
      - A symbolic link is followed, and reported in RV(problems).
    type: path
    required: true
  format:
    description:
      - The file's format; see M(integrations.jira.jira_integration_config).
    type: str
    choices: [yaml, json, ini, env]
    default: yaml
  allow_insecure_http:
    description:
      - Do not report an C(http://) URL as a problem.
    type: bool
    default: false
  compare_token_fingerprints:
    description:
      - Fingerprints to compare with the token in the file, each in the current form (V(pbkdf2-sha256:) and 16 hex
        digits) or, for a transition period, the older form (V(sha256:) and 16 hex digits) that earlier versions
        of this collection recorded. Each is compared in the form given; the results are in
        RV(token_fingerprint_matches).
      - The module never returns the older form of the file's token.
    type: list
    elements: str
    default: []
    version_added: 0.1.0
notes:
  - Reading a YAML file that is not in the exact layout the writer produces needs PyYAML on the target; without it
    RV(problems) holds V(parse_error).
seealso:
  - module: integrations.jira.jira_integration_config
'''

EXAMPLES = r'''
- name: What does the host have?
  integrations.jira.jira_integration_config_info:
    path: /etc/myapp/jira.env
    format: env
  register: jira_cfg

- name: Fail on any problem
  ansible.builtin.assert:
    that: jira_cfg.problems | length == 0
    fail_msg: "{{ jira_cfg.problems | join('; ') }}"
'''

RETURN = r'''
exists:
  description: Whether O(path) exists.
  returned: always
  type: bool
url:
  description: The URL in the file, as written there.
  returned: always
  type: str
username:
  description: The username in the file.
  returned: always
  type: str
token_fingerprint:
  description:
    - C(pbkdf2-sha256:) and 16 hex digits of a deliberately slow hash of the token in the file (PBKDF2-HMAC-SHA256
      with the collection's fixed salt, the same on every host), or V(null). Never the token.
  returned: always
  type: str
  sample: pbkdf2-sha256:1a2b3c4d5e6f7a8b
token_fingerprint_matches:
  description:
    - For each fingerprint of O(compare_token_fingerprints), whether it is the fingerprint of the token in the file
      (compared in the form given); V(false) when the file holds no token.
  returned: always
  type: dict
  sample: {'sha256:1a2b3c4d5e6f7a8b': true}
  version_added: 0.1.0
settings:
  description:
    - The other keys of the section (ini), of the O(root_key) mapping or top level (yaml, json), or of the file (env).
      For ini and env all values are strings. YAML dates and timestamps, and keys that are not strings (C(7:),
      C(2027-03-01:)), are returned as their YAML text.
    - Values under keys that look secret (containing C(token), C(secret), C(passw), C(pwd), C(credential),
      C(private_key) or C(api_key)) are replaced by C(<KEY pbkdf2-sha256:FINGERPRINT>), at any depth.
  returned: always
  type: dict
mode:
  description: The file's permission bits as an octal string.
  returned: when RV(exists)
  type: str
  sample: '0600'
owner:
  description: The file's owner (name, or the numeric ID when it has no name).
  returned: when RV(exists)
  type: str
group:
  description: The file's group (name, or the numeric ID).
  returned: when RV(exists)
  type: str
problems:
  description:
    - "What is wrong, as short strings C(CODE) or C(CODE: detail). The codes are stable; match on the part before C(:)."
    - V(not_found) the file does not exist.
    - V(not_a_file) the path is a directory or another non-regular file.
    - V(symlink) the path is a symbolic link (the writer refuses to write through it).
    - V(unreadable) the file cannot be read (for example permission denied).
    - V(too_large) the file is larger than 1 MiB; it is not read (a config file with a token is far smaller).
    - V(not_utf8) the file is not UTF-8 text.
    - V(parse_error) the file is not valid in its format (or is YAML that needs PyYAML to read), or reading it would be
      unbounded (nesting deeper than 100 levels, a YAML alias inside its own anchor or an alias bomb); the detail
      names the problem, never the content.
    - V(missing_section) (ini) the section is missing. V(missing_root_key) (yaml, json) the O(root_key) is missing.
    - V(missing_key) a managed field is missing; the detail is its logical name (V(url), V(username), V(api_token)).
    - V(empty_value) a managed field is empty; the detail is its logical name.
    - V(not_a_string) a managed field is not a string (for example a number in YAML); the detail is its logical name.
    - V(token_whitespace) the token starts or ends with whitespace (a copy and paste accident).
    - V(invalid_url) the URL fails the collection's URL rules. V(insecure_url) the URL uses C(http://).
    - "V(mode_too_wide) the file can be read or written by group or others, for example
      C(mode_too_wide: 0644 is readable by group/others (want 0600))."
  returned: always
  type: list
  elements: str
  sample: ['mode_too_wide: 0644 is readable by group/others (want 0600)', 'missing_key: api_token']
'''

import errno
import grp
import os
import pwd
import stat

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.integrations.jira.plugins.module_utils._jira_client import (
    ArgumentSpec,
    JiraError,
    fingerprint_matches,
    normalize_url,
    token_fingerprint,
)
from ansible_collections.integrations.jira.plugins.module_utils import _config_formats as cf
from ansible_collections.integrations.jira.plugins.module_utils._safe_file import (
    MAX_READ_BYTES,
    FileTooLarge,
    ReadRefused,
    SafeFileError,
    check_path,
    load_if_exists,
)

_marker = cf.fingerprint_marker(token_fingerprint)


def argument_spec():
    spec = dict(
        path=dict(type='path', required=True),
        format=dict(type='str', default='yaml', choices=list(cf.FORMATS)),
        allow_insecure_http=dict(type='bool', default=False),
        compare_token_fingerprints=dict(type='list', elements='str', default=[], no_log=False),
    )
    spec.update(cf.config_file_argument_spec())
    return ArgumentSpec(spec)


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def describe_mode(mode):
    """A ``mode_too_wide`` problem for permission bits, or None."""
    if not mode & 0o077:
        return None
    who = []
    if mode & 0o070:
        who.append('group')
    if mode & 0o007:
        who.append('others')
    verbs = []
    if mode & 0o044:
        verbs.append('readable')
    if mode & 0o022:
        verbs.append('writable')
    if mode & 0o011 and not verbs:
        verbs.append('executable')
    return 'mode_too_wide: %04o is %s by %s (want 0600)' % (mode, '/'.join(verbs), '/'.join(who))


def check_fields(fields, allow_insecure_http):
    """Problems of the managed fields (a dict logical name -> value or None)."""
    problems = []
    for logical in cf.MANAGED:
        value = fields.get(logical)
        if value is None:
            problems.append('missing_key: %s' % logical)
        elif not isinstance(value, str):
            problems.append('not_a_string: %s' % logical)
        elif value == '':
            problems.append('empty_value: %s' % logical)
    token = fields.get('api_token')
    if isinstance(token, str) and token and token != token.strip():
        problems.append('token_whitespace')
    url = fields.get('url')
    if isinstance(url, str) and url:
        try:
            normalize_url(url, allow_insecure_http=allow_insecure_http, option='url')
        except JiraError as e:
            problems.append('%s: %s' % (e.failure_reason, e.msg))
    return problems


def inspect_file(path, result):
    """Fill in the file's mode and owner; its text, or None (the reason is in the problems)."""
    problems = result['problems']
    b_path = to_bytes(path, errors='surrogate_or_strict')
    if os.path.islink(b_path):
        problems.append('symlink')
    try:
        st = os.stat(b_path)
    except OSError:
        problems.append('not_found')
        return None
    result['exists'] = True
    result['mode'] = '%04o' % stat.S_IMODE(st.st_mode)
    result['owner'] = _name(pwd.getpwuid, st.st_uid)
    result['group'] = _name(grp.getgrgid, st.st_gid)
    if not stat.S_ISREG(st.st_mode):
        problems.append('not_a_file')
        return None
    wide = describe_mode(stat.S_IMODE(st.st_mode))
    if wide:
        problems.append(wide)
    try:
        # Bounded; a link is read (and reported as a problem above), the writer refuses it.
        data = load_if_exists(path, follow=True)
    except FileTooLarge:
        problems.append('too_large: more than %d KiB; not read' % (MAX_READ_BYTES // 1024))
        return None
    except ReadRefused as e:
        problems.append('unreadable: %s' % e.reason)
        return None
    except SafeFileError as e:
        problems.append('unreadable: %s' % e.msg)
        return None
    if data is None:
        # Gone since the stat above: what reading it would have said.
        problems.append('unreadable: %s' % os.strerror(errno.ENOENT))
        return None
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        problems.append('not_utf8')
        return None


def report_values(module, values, names, result):
    """Fill in the fields, the token's fingerprints and the other settings, from the file's values."""
    p = module.params
    fmt = p['format']
    fields = dict((logical, cf.lookup(fmt, values, names[logical])) for logical in cf.MANAGED)
    token = fields['api_token']
    if isinstance(token, str) and token:
        module.no_log_values.add(token)
    if token is not None:
        token_text = token if isinstance(token, str) else cf.scalar_text(token)
        result['token_fingerprint'] = token_fingerprint(token_text)
        result['token_fingerprint_matches'] = dict((fp, fingerprint_matches(token_text, fp))
                                                   for fp in p['compare_token_fingerprints'])
    result['url'] = fields['url'] if isinstance(fields['url'], str) else None
    result['username'] = fields['username'] if isinstance(fields['username'], str) else None
    managed = set(cf.fold_key(fmt, names[logical]) for logical in cf.MANAGED)
    # Other secret-looking values (a password, a token under another key) are shown only as a
    # fingerprint marker, like the token in the writer's diff.
    # plain_data: dates and non-string keys of a YAML file shown as text (an Ansible result is JSON).
    result['settings'] = cf.mask_structure(cf.plain_data(dict((k, v) for k, v in values.items() if k not in managed)), _marker)
    result['problems'].extend(check_fields(fields, p['allow_insecure_http']))


def run(module):
    p = module.params
    fmt = p['format']
    path = p['path']
    names = cf.key_names(fmt, p['keys'])
    result = dict(changed=False, path=path, format=fmt, exists=False, url=None, username=None,
                  token_fingerprint=None, token_fingerprint_matches={}, settings={}, problems=[])
    result['token_fingerprint_matches'] = dict((fp, False) for fp in p['compare_token_fingerprints'])
    try:
        check_path(path)
    except SafeFileError as e:
        module.fail_json(msg=e.msg, **result)
    if fmt == 'ini':
        try:
            cf.check_ini_section(p['section'])  # the same sections as the writer
        except cf.FormatError as e:
            module.fail_json(msg=e.msg, **result)
    text = inspect_file(path, result)
    if text is None:
        return result
    try:
        values = cf.read_values(fmt, text, p['section'], p['root_key'])
    except cf.FormatError as e:
        result['problems'].append('parse_error: %s' % e.msg)
        return result
    if values is None:
        result['problems'].append('missing_section: %s' % p['section'] if fmt == 'ini'
                                  else 'missing_root_key: %s' % p['root_key'])
        values = {}
    report_values(module, values, names, result)
    return result


def main():
    module = argument_spec().create_ansible_module(supports_check_mode=True)
    module.exit_json(**run(module))


if __name__ == '__main__':
    main()
