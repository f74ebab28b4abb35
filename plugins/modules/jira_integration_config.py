#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: jira_integration_config
short_description: Write the integration's Jira URL, username and API token into a config file on the target
version_added: 0.1.0
description:
  - Writes the Jira settings the integration reads (URL, username, API token, and optional extra settings)
    into a YAML, JSON, INI or env file on the target host, the way a careful administrator would.
  - Only writes when the content or the file's attributes differ; the comparison happens on the target, in
    the same single module run, and the existing token is never sent back to the controller.
  - The new content goes to a temporary file in the same directory, created with mode C(0600) from its first
    byte, flushed and synced to disk, optionally checked with O(validate), then moved over the old file
    atomically. Any failure leaves the old file byte for byte as it was and no temporary file behind.
  - The API token never appears in output, diffs, errors or file names. In diff mode each token is shown as
    C(<KEY pbkdf2-sha256:FINGERPRINT>), so a token rotation is visible without the secret.
author:
  - integrations.jira maintainers (@integrations-jira)
extends_documentation_fragment:
  - ansible.builtin.files
  - integrations.jira.attributes
  - integrations.jira.attributes.files
  - integrations.jira.config_file
attributes:
  check_mode:
    support: full
    details:
      - Reports exactly what a real run would change, including RV(changed_keys), and writes nothing.
  diff_mode:
    support: full
    details:
      - Tokens are replaced by a marker with their fingerprint. So are the values of other keys that look secret
        (containing C(token), C(secret), C(passw), C(pwd), C(credential), C(private_key) or C(api_key)), for example
        a password kept by O(merge) or an old token left under a renamed key.
      - For O(format=yaml) and O(format=json) the C(before) side shows the existing data in the layout this
        module writes.
  idempotent:
    description: When run twice with the same arguments, the second run reports no change.
    support: full
options:
  path:
    description:
      - The config file on the target, as an absolute path without C(..) segments; the module fails otherwise,
        before anything is written (a relative path would be resolved against the module's working directory).
      - If O(path) is a symbolic link, the module fails; give the link's target instead. Writing a secret
        through a link that someone else may control could expose it or overwrite another file.
      - Symbolic links among the parent directories are followed, as M(ansible.builtin.copy) and
        M(ansible.builtin.template) do; only the last component is checked. Keep the parent directories
        writable only by root or the service's user.
      - If O(path) is a hard link to another file, the link is replaced by the new file; the other file keeps its
        content, mode and owner.
    type: path
    required: true
  format:
    description:
      - V(yaml) is written by the module itself (no PyYAML needed on the target) and read back by any YAML 1.1
        or 1.2 reader; every string is double-quoted.
      - V(json) is indented with two spaces, UTF-8, no C(NaN) or C(Infinity).
      - V(ini) is one C([section]) of C(key = value) lines for Python's C(configparser.RawConfigParser) (or
        C(ConfigParser(interpolation=None))); values are written literally, so a C(%) stays a C(%).
      - V(env) is C(KEY="value") lines that systemd's C(EnvironmentFile=) and a POSIX shell's C(.) read as the
        same values. Values are always double-quoted; C(\), C("), C($) and the backtick are escaped with a backslash.
    type: str
    choices: [yaml, json, ini, env]
    default: yaml
  url:
    description:
      - Root URL of the Jira site, for example V(https://your-site.atlassian.net). It is normalised and checked
        with the same rules as M(integrations.jira.jira_credentials_info) (lower-case host, no trailing slash; no
        user, password, query or REST path).
      - Required when O(state=present). Unlike the API modules, no environment variable is read; the value comes
        from the task.
    type: str
  allow_insecure_http:
    description:
      - Accept an C(http://) O(url), for a test instance on a trusted network.
    type: bool
    default: false
  username:
    description:
      - The account the token belongs to (the email address on Jira Cloud, the login name on Data Center).
      - Required when O(state=present).
    type: str
  api_token:
    description:
      - The API token (or Data Center password or personal access token). Keep it in Ansible Vault.
      - Required when O(state=present).
    type: str
    aliases: [password]
  settings:
    description:
      - Extra non-secret settings written alongside the three fields, as a dict of strings, numbers and booleans.
        Nested dicts and lists only for O(format=yaml) and O(format=json).
      - For V(ini) and V(env), numbers and booleans are written as text (V(true)/V(false)), which is what those
        formats' readers return.
      - With O(state=absent) and O(merge=true), the keys given here are removed too (the values are ignored).
    type: dict
    default: {}
  merge:
    description:
      - Keep what the file already holds that this module does not manage. For V(ini) and V(env) comments, order
        and other sections are kept too, and only lines whose value changes are rewritten. For V(yaml) and V(json)
        the other keys are kept, but the file is rewritten in this module's layout (comments are lost) when a
        managed value changes.
      - With O(merge=false) the module owns the whole file.
    type: bool
    default: false
  state:
    description:
      - V(present) writes the settings. V(absent) removes the file; with O(merge=true) only the managed keys.
    type: str
    choices: [present, absent]
    default: present
  backup:
    description:
      - Keep the previous file as C(PATH.YYYY-MM-DD@HH:MM:SS~) with a mode no wider than C(0600) (it holds a token).
    type: bool
    default: false
  create_parent:
    description:
      - Create missing parent directories with O(parent_mode). Otherwise a missing parent directory is an error.
    type: bool
    default: false
  parent_mode:
    description:
      - Mode of parent directories created by O(create_parent), as an octal string.
    type: str
    default: '0700'
  validate:
    description:
      - A command run against the new file before it replaces the old one; C(%s) is the temporary file, as with
        M(ansible.builtin.template). The temporary file is in the same directory, keeps the extension of O(path)
        and has no spaces in its name.
    type: str
  rotation_fact:
    description:
      - Also keep the token's rotation record, as a JSON local fact file, in this same module run (the role
        C(integrations.jira.jira_integration) uses it; it costs no extra module execution per host).
      - The record holds C(url), C(username), C(account_id), C(token_fingerprint), C(expires_on), C(config_path),
        C(rotated_at) and C(validated_at) (UTC, from the target's clock), never the token. C(rotated_at) changes only
        when the token's fingerprint changes; C(validated_at) is set when O(rotation_fact.validated=true) and something
        in the record changes, so a re-run writes nothing.
      - A record written by an earlier version holds the older fingerprint form (C(sha256:) and 16 hex digits of an
        unsalted SHA-256). When it is the fingerprint of O(api_token), the record is upgraded to the current form
        once (the module reports a change) and C(rotated_at) and C(validated_at) are kept; otherwise it is a
        rotation.
      - The file is written like the config (temporary file, atomic rename), with mode C(0644) (it holds no secret),
        only when the record differs; its missing parent directories are created with mode C(0755). With
        O(state=absent) it is removed.
    type: dict
    suboptions:
      path:
        description:
          - The fact file, for example V(/etc/ansible/facts.d/jira_integration.fact) (read back by
            M(ansible.builtin.setup) as C(ansible_local.jira_integration) when its name ends in C(.fact)).
          - An absolute path without C(..) segments, not a symbolic link, and not O(path).
        type: path
        required: true
      account_id:
        description:
          - The service account's ID as Jira reported it (C(account.account_id) of M(integrations.jira.jira_credentials_info)).
            When not given, the recorded one is kept.
        type: str
      expires_on:
        description:
          - The token's expiry date as shown on Atlassian's API token page, written V(YYYY-MM-DD).
        type: str
      validated:
        description:
          - Whether these credentials were validated against Jira in this run (sets C(validated_at) when the
            record changes).
        type: bool
        default: false
  mode:
    description:
      - The file's permissions. Defaults to V('0600') here (the file holds a token), not to the umask.
      - An invalid mode, or an O(owner) or O(group) that does not exist on the target, makes the module fail
        naming the option before anything is written.
notes:
  - "Symbolic links: O(path) must not be a symbolic link (the module fails). M(ansible.builtin.copy) replaces a link
    unless told to follow it; for a file with a secret, neither is a safe guess."
  - "YAML written: block mappings and sequences indented by two spaces, every string double-quoted with YAML escapes
    for characters a YAML reader would not keep literally (control characters, line and paragraph separators, BOM),
    keys plain only when YAML 1.1 cannot read them as anything but a string, floats always with a C(.)."
  - "Reading an existing YAML file (O(merge), the diff, RV(changed_keys)) needs no PyYAML when the file is in exactly
    the layout this module writes; any other YAML needs PyYAML on the target, and the module fails with a clear
    message without it."
  - "INI: written for C(configparser.RawConfigParser) (no interpolation), and an existing file is read the way
    configparser reads it from a file (lines end at newline, carriage return or both, nowhere else). Option names are
    compared case-insensitively, as configparser does. A value with leading or trailing whitespace (which
    configparser strips) is refused with a message naming the key, and so is a line break or control character as
    for env."
  - "env: names must be letters, digits and C(_), not starting with a digit. In env and ini alike, a key or value
    with a line break of any kind (newline, carriage return, vertical tab, form feed, U+001C-U+001E, NEL,
    U+2028, U+2029) or another control character except TAB is refused (older systemd releases drop such values
    from C(EnvironmentFile=), sh stops at NUL, and line-oriented tools split at these). Everything else, including
    quotes, C(#), C($), backslashes, backticks, spaces and non-ASCII text, is read back unchanged by systemd and sh."
  - "Reading an existing file stops with a clear message when it would be unbounded (with O(merge) the module fails
    and leaves the file alone; without it the file is rewritten and the diff does not show the old content): nesting
    deeper than 100 levels (YAML or JSON), a YAML alias inside its own anchor, YAML with more than 10000 values when
    each alias counts as the values it stands for (an alias bomb), NaN or Infinity in JSON, or the YAML types
    C(!!binary), C(!!set), C(!!omap) and C(!!pairs). Dates, timestamps, numbers, booleans and null keep their type
    when a YAML file is merged, and the diff shows them as YAML text."
  - "Modes and owner: O(mode) defaults to V('0600') in code (add_file_common_args has no default). The temporary file
    is 0600 from its first byte; after it is written it gets the O(owner), O(group) and O(mode) asked for (owner and
    group not given are the old file's, when the module may set them), then it is renamed over the old file in the
    same directory, which copies none of the old file's attributes (Ansible's in-place fallback is used only where
    that rename is refused and O(unsafe_writes=true)). So the new token is never readable more widely than asked for, not even for a moment,
    and the old file is never changed (a hard link at O(path) cannot pass a C(chmod) or C(chown) on to another file).
    The SELinux context of the old file is kept; its other extended attributes and ACLs are not."
  - "Errors: a refused write or removal (read-only file system, full disk, permission denied, immutable file) fails
    with the path and the system's reason, reports C(changed=false) and leaves the old file as it was."
  - "Backups: C(PATH.YYYY-MM-DD@HH:MM:SS~) (a counter is added when that name exists), mode no wider than 0600 nor than
    the old file, same owner and times when allowed. The name holds no part of the token; a O(path) or
    O(rotation_fact.path) that contains the token is refused."
  - "Links and names: nothing is changed by name after it was created or opened. The backup is created with
    C(O_CREAT|O_EXCL|O_NOFOLLOW) and gets its owner, mode and times on its file descriptor; the old file is read and
    its attributes are fixed through a descriptor opened without following a link; parent directories made by
    O(create_parent) get their mode the same way. A user who owns the directory and swaps a fresh name for a link
    cannot make the module chown, chmod or touch another file. When only the mode or owner differ and the file has
    more than one hard link, it is replaced by a new file with the same content, so the other name keeps its mode and
    owner too."
  - "Concurrent runs: writers of one directory on one host are serialised with C(flock) on the directory, held from
    reading the old file to writing the new one, so simultaneous O(merge) runs keep each other's keys. A run that dies
    releases the lock; a run waits at most 60 seconds for it, then fails with a clear message and changes nothing.
    Where directories cannot be locked (NFS), a lock file C(.jira-lock-HASH) beside the file is used and removed
    again. Check mode takes no lock."
  - "Size: an existing file larger than 1 MiB is never read. O(merge) refuses it; without O(merge) it is rewritten
    and the diff does not show its old content."
  - "Failures: parent directories made by O(create_parent) are removed again when the run fails; a O(path) ending in
    C(/) is refused before anything is made."
  - "Idempotence: the new content is rendered and compared with the old file on the target, in the same single module
    run. Without O(merge) the module owns the whole file, so a hand-edited layout is rewritten once."

seealso:
  - module: integrations.jira.jira_integration_config_info
  - module: integrations.jira.jira_credentials_info
'''

EXAMPLES = r'''
- name: Write /etc/myapp/jira.yml for the service account
  integrations.jira.jira_integration_config:
    path: /etc/myapp/jira.yml
    url: https://your-site.atlassian.net
    username: integration@example.com
    api_token: "{{ vault_jira_api_token }}"
    owner: myapp
    group: myapp
    mode: '0600'

- name: Environment file for a systemd unit (EnvironmentFile=/etc/myapp/jira.env)
  integrations.jira.jira_integration_config:
    path: /etc/myapp/jira.env
    format: env
    url: https://jira.example.com/jira
    username: svc-myapp
    api_token: "{{ vault_jira_api_token }}"
    settings:
      JIRA_TIMEOUT: 30

- name: Update only the [jira] section of an existing ini file, keeping everything else
  integrations.jira.jira_integration_config:
    path: /etc/myapp/app.ini
    format: ini
    section: jira
    merge: true
    backup: true
    url: https://your-site.atlassian.net
    username: integration@example.com
    api_token: "{{ vault_jira_api_token }}"
    validate: /usr/bin/myapp --check-config %s

- name: Write the config and keep the token's rotation record as a local fact
  integrations.jira.jira_integration_config:
    path: /etc/myapp/jira.yml
    url: https://your-site.atlassian.net
    username: integration@example.com
    api_token: "{{ vault_jira_api_token }}"
    rotation_fact:
      path: /etc/ansible/facts.d/jira_integration.fact
      expires_on: '2027-03-01'

- name: Remove the Jira keys from a shared JSON config
  integrations.jira.jira_integration_config:
    path: /etc/myapp/config.json
    format: json
    root_key: jira
    merge: true
    state: absent
'''

RETURN = r'''
path:
  description: The file.
  returned: always
  type: str
format:
  description: The file's format.
  returned: always
  type: str
  sample: yaml
changed_keys:
  description:
    - Which managed keys changed (or would change in check mode), by logical name (V(url), V(username),
      V(api_token), and the keys of O(settings)). A token rotation gives V([api_token]).
    - With O(state=absent), the managed keys that were removed.
  returned: always
  type: list
  elements: str
  sample: [api_token]
token_fingerprint:
  description:
    - C(pbkdf2-sha256:) and 16 hex digits of a deliberately slow hash of the new token (PBKDF2-HMAC-SHA256 with
      the collection's fixed salt, the same on every host). Not the token.
    - V(null) with O(state=absent).
  returned: always
  type: str
  sample: pbkdf2-sha256:1a2b3c4d5e6f7a8b
config_changed:
  description:
    - Whether the config file itself changed (content or attributes), as opposed to only the O(rotation_fact) record
      (for example a new O(rotation_fact.expires_on)). Use it to restart a service only when the file it reads changed.
  returned: success
  type: bool
rotation_fact:
  description:
    - The rotation record as written to O(rotation_fact.path) (or as it would be written, in check mode).
  returned: when O(rotation_fact) is given and O(state=present)
  type: dict
  sample:
    url: https://your-site.atlassian.net
    username: integration@example.com
    account_id: 5b10ac8d82e05b22cc7d4ef5
    token_fingerprint: pbkdf2-sha256:1a2b3c4d5e6f7a8b
    expires_on: '2027-03-01'
    config_path: /etc/myapp/jira.yml
    rotated_at: '2026-12-01T07:30:00Z'
    validated_at: '2026-12-01T07:30:00Z'
backup_file:
  description: The backup of the previous file.
  returned: when O(backup=true) and a backup was made
  type: str
  sample: /etc/myapp/jira.yml.2026-12-01@07:30:00~
'''

import os

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.integrations.jira.plugins.module_utils._jira_client import (
    ArgumentSpec,
    JiraError,
    check_credentials,
    mask_secrets,
    normalize_url,
    secret_values,
    token_fingerprint,
)
from ansible_collections.integrations.jira.plugins.module_utils import _config_formats as cf
from ansible_collections.integrations.jira.plugins.module_utils import _rotation_fact as rf
from ansible_collections.integrations.jira.plugins.module_utils._safe_file import (
    MAX_READ_BYTES,
    FileTooLarge,
    SafeFileError,
    check_path,
    ensure_parent,
    fix_attributes,
    load_if_exists,
    lock_for,
    remove_dirs,
    remove_file,
    resolve_attrs,
    write_file,
)

MAX_READ_KIB = MAX_READ_BYTES // 1024

marker_for = cf.fingerprint_marker(token_fingerprint)


def argument_spec():
    spec = dict(
        path=dict(type='path', required=True),
        format=dict(type='str', default='yaml', choices=list(cf.FORMATS)),
        url=dict(type='str'),
        allow_insecure_http=dict(type='bool', default=False),
        username=dict(type='str'),
        api_token=dict(type='str', no_log=True, aliases=['password']),
        settings=dict(type='dict', default={}),
        merge=dict(type='bool', default=False),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        backup=dict(type='bool', default=False),
        create_parent=dict(type='bool', default=False),
        parent_mode=dict(type='str', default='0700'),
        validate=dict(type='str'),
        rotation_fact=dict(type='dict', options=dict(
            path=dict(type='path', required=True),
            account_id=dict(type='str'),
            expires_on=dict(type='str'),
            validated=dict(type='bool', default=False),
        )),
    )
    spec.update(cf.config_file_argument_spec())
    return ArgumentSpec(spec, required_if=[('state', 'present', ('url', 'username', 'api_token'))])


def _one_line(attributes_text):
    return ', '.join(attributes_text.strip().splitlines())


class ConfigWriter(object):
    """One run of the module, in phases: check the options, plan the keys, look at the target,
    read the old file under the lock, render and compare, then remove or write, then the
    rotation record. Every phase fails through :meth:`fail` once something may need undoing."""

    def __init__(self, module):
        self.module = module
        # A copy: module.params stays what the task gave (Ansible reports it as the invocation).
        p = self.p = dict(module.params)
        if p['mode'] is None:
            # add_file_common_args has no default; the file holds a token (as community.crypto does).
            p['mode'] = '0600'
        self.fact = dict(p['rotation_fact']) if p['rotation_fact'] else None
        self.path = p['path']
        self.fmt = p['format']
        self.names = cf.key_names(self.fmt, p['keys'])
        self.result = dict(changed=False, path=self.path, format=self.fmt, changed_keys=[], token_fingerprint=None)
        self.created = []
        self.lock = None
        self.secrets = set()

    def stop(self, msg):
        """Fail before anything was made or locked."""
        self.module.fail_json(msg=msg, **self.result)

    def fail(self, msg):
        # Nothing may stay behind a refused run: not the lock, not the directories it made.
        self.lock.release()
        remove_dirs(self.created)
        self.module.fail_json(msg=msg, **self.result)

    def mask(self, text):
        return mask_secrets(text, self.secrets)

    def run(self):
        self.check_options()
        items, values = self.plan()
        self.check_target()
        file_args = self.file_arguments()
        self.make_parent()
        # One writer of this file at a time on this host, from the read to the write: a concurrent
        # merge must see the other's keys.
        self.lock = lock_for(self.path)
        if not self.module.check_mode:
            try:
                self.lock.acquire()
            except SafeFileError as e:
                self.fail(e.msg)
        if self.p['state'] == 'present':
            self.secrets.update(secret_values(self.p['username'], self.p['api_token']))
        old = self.read_old()
        new_text, changed_keys = self.render(items, old)
        content_changed = (new_text is not None and (not old.exists or old.text != new_text)) or \
                          (new_text is None and old.exists)
        if old.exists and old.text is None and new_text is not None:
            content_changed = True
        self.result['changed_keys'] = changed_keys if content_changed else []
        if self.module._diff:
            self.result['diff'] = self.content_diff(old, new_text)
        if new_text is None:
            self.remove(old.exists)
        else:
            self.write(new_text, content_changed, old.exists, file_args)
        self.lock.release()
        self.result['config_changed'] = self.result['changed']
        self.record_fact(values)
        return self.result

    # -- before anything is touched -----------------------------------------------------------

    def check_options(self):
        p, path, fact = self.p, self.path, self.fact
        token = p['api_token']
        if p['state'] == 'present':
            for opt in ('username', 'api_token'):
                if not p[opt] or not p[opt].strip():
                    self.stop('Option %s must not be empty or only whitespace.' % opt)
            try:
                # The API modules' own rules (control characters, length), for every format.
                check_credentials(p['username'], token, 'basic')
            except JiraError as e:
                self.stop(e.msg)
        # Every file name this run makes derives from these paths (backups, the rotation record).
        if token and (token in path or (fact and token in fact['path'])):
            # Not even the path in the result: it holds the token.
            self.module.fail_json(msg='Option %s must not contain the API token.'
                                      % ('path' if token in path else 'rotation_fact.path'))
        try:
            check_path(path)
        except SafeFileError as e:
            self.stop(e.msg)
        if p['validate'] and '%s' not in p['validate']:
            self.stop('Option validate must contain %%s (the new file); got %s.' % p['validate'])
        if fact:
            try:
                check_path(fact['path'], option='rotation_fact.path')
                fact['expires_on'] = rf.check_date(fact['expires_on'], 'rotation_fact.expires_on')
            except (SafeFileError, rf.RotationFactError) as e:
                self.stop(e.msg)
            if os.path.normpath(fact['path']) == os.path.normpath(path):
                self.stop('Option rotation_fact.path must not be the config file (path).')

    def plan(self):
        """The (logical, file key, value) items to write or remove, and the managed values."""
        p, fmt = self.p, self.fmt
        values = {}
        try:
            if fmt == 'ini':
                cf.check_ini_section(p['section'])
            if p['root_key'] is not None and fmt not in ('yaml', 'json'):
                raise cf.FormatError('root_key is only used with format yaml or json.')
            if p['state'] != 'present':
                return cf.removal_items(fmt, self.names, p['settings']), values
            try:
                values['url'] = normalize_url(p['url'], allow_insecure_http=p['allow_insecure_http'], option='url')
            except JiraError as e:
                self.stop(e.msg)
            values['username'] = p['username']
            values['api_token'] = p['api_token']
            return cf.plan_items(fmt, self.names, values, p['settings']), values
        except cf.FormatError as e:
            self.stop(e.msg)

    def check_target(self):
        """Refuse a link, a directory or another non-file at the path (looked at again under the lock)."""
        path = self.path
        b_path = to_bytes(path, errors='surrogate_or_strict')
        if os.path.islink(b_path):
            self.stop('%s is a symbolic link; give the path of the real file (this module does not write '
                      'a secret through a link).' % path)
        if os.path.isdir(b_path):
            self.stop('%s is a directory; path must be the config file.' % path)
        if os.path.exists(b_path) and not os.path.isfile(b_path):
            self.stop('%s exists but is not a regular file.' % path)

    def file_arguments(self):
        file_args = self.module.load_file_common_arguments(self.p, path=self.path)
        if self.p['state'] == 'present':
            # Unknown owner/group or a bad mode must fail before anything is written, new file included.
            try:
                file_args['mode'] = resolve_attrs(self.module, file_args)[0]
            except SafeFileError as e:
                self.stop(e.msg)
        return file_args

    def make_parent(self):
        parent = os.path.dirname(self.path) or '.'
        if self.p['state'] != 'present' or os.path.isdir(parent):
            return
        if not self.p['create_parent']:
            self.stop('The parent directory %s does not exist; create it first or set create_parent=true.' % parent)
        try:
            parent_mode = int(self.p['parent_mode'], 8)
        except ValueError:
            self.stop('parent_mode must be an octal string such as 0700.')
        if not self.module.check_mode:
            try:
                self.created = ensure_parent(parent, parent_mode)  # removes what it made when it fails
            except SafeFileError as e:
                self.stop(e.msg)

    # -- under the lock -----------------------------------------------------------------------

    def read_old(self):
        """The old file: whether it exists, its text (None when not UTF-8 or too large), whether
        it was too large, its values (None when it could not be parsed) and whether it was not
        valid for the format."""
        old = _OldFile()
        merge = self.p['merge']
        try:
            data = load_if_exists(self.path)  # again, under the lock: another run may have made it
        except FileTooLarge as e:
            if merge:
                self.fail(e.msg)
            data = None
            old.exists = old.too_large = True  # rewritten whole; never loaded, never shown
        except SafeFileError as e:
            self.fail(e.msg)
        if data is not None:
            old.exists = True
            try:
                old.text = data.decode('utf-8')
            except UnicodeDecodeError:
                if merge:
                    self.fail('%s is not UTF-8 text; cannot merge into it.' % self.path)
        if old.text is not None:
            try:
                old.values = cf.read_values(self.fmt, old.text, self.p['section'], self.p['root_key'])
            except cf.FormatError as e:
                if merge:
                    self.fail('%s: %s' % (self.path, e.msg))
                # The file is rewritten whole, so its old content does not matter, but it is not shown
                # either: it may hold a token this module cannot find.
                old.unreadable = True
            self.adopt_old_token(old.values)
        return old

    def adopt_old_token(self, old_values):
        """Scrub the old token from everything this module returns, like the new one."""
        old_token = cf.lookup(self.fmt, old_values, self.names['api_token'])
        if isinstance(old_token, str) and old_token:
            self.module.no_log_values.add(old_token)
        elif old_token is not None and not isinstance(old_token, str):
            old_token = cf.scalar_text(old_token)
        if old_token:
            self.secrets.update(secret_values(self.p['username'], old_token))

    def render(self, items, old):
        """(the new file's text, or None to remove the file; the logical names that change)."""
        p, fmt = self.p, self.fmt
        where = dict(section=p['section'], root_key=p['root_key'])
        try:
            if p['state'] == 'present':
                new_text = cf.render(fmt, [(key, value) for _logical, key, value in items], old_text=old.text,
                                     merge=p['merge'] and old.exists, **where)
                changed_keys = cf.compare(fmt, old.values, items)
                if p['merge'] and fmt in ('yaml', 'json') and old.exists and not changed_keys:
                    new_text = old.text  # same data: leave the file (and its comments) alone
                self.result['token_fingerprint'] = token_fingerprint(p['api_token'])
                return new_text, changed_keys
            merge = p['merge'] and old.exists
            changed_keys = cf.present_keys(fmt, old.values, items, merge)
            if not merge:
                return None, changed_keys
            if not changed_keys:
                return old.text, changed_keys
            return cf.render(fmt, [], old_text=old.text, merge=True, remove=[key for _logical, key, _v in items],
                             **where), changed_keys
        except cf.FormatError as e:
            self.fail('%s: %s' % (self.path, e.msg))

    def content_diff(self, old, new_text):
        fmt, token_key, section = self.fmt, self.names['api_token'], self.p['section']
        try:
            if old.too_large:
                before = '(content not shown: larger than %d KiB)\n' % (MAX_READ_KIB)
            elif old.exists and old.text is None:
                before = '(content not shown: not UTF-8 text)\n'
            elif old.unreadable:
                before = '(content not shown: the file is not valid %s)\n' % fmt
            else:
                before = cf.mask_text(fmt, old.text, marker_for, token_key, section)
            after = cf.mask_text(fmt, new_text, marker_for, token_key, section) if new_text is not None else ''
        except cf.FormatError:
            before, after = '(content not shown: the file could not be read)\n', ''
        return dict(before=before if old.exists else '', after=after,
                    before_header='%s (content)' % self.path, after_header='%s (content)' % self.path)

    # -- the change ---------------------------------------------------------------------------

    def remove(self, exists):
        if not exists:
            return
        if not self.module.check_mode:
            try:
                backup_file = remove_file(self.path, backup=self.p['backup'])
            except SafeFileError as e:
                self.fail(e.msg)
            if backup_file:
                self.result['backup_file'] = backup_file
        # Only now: a refused removal changed nothing.
        self.result['changed'] = True

    def write(self, new_text, content_changed, exists, file_args):
        module, path, result = self.module, self.path, self.result
        attrs_changed = exists and self.attributes_differ(file_args, content_changed)
        if content_changed:
            if not module.check_mode:
                try:
                    backup_file = write_file(module, path, to_bytes(new_text, errors='strict'), file_args,
                                             validate=self.p['validate'], backup=self.p['backup'] and exists,
                                             mask=self.mask)
                except SafeFileError as e:
                    self.fail(e.msg)
                if backup_file:
                    result['backup_file'] = backup_file
            # Only now: a refused write leaves the file as it was, so it is not a change.
            result['changed'] = True
        elif attrs_changed:
            if not module.check_mode:
                try:
                    # On the open file; a file with other hard links is replaced instead, so the
                    # other names keep their mode and owner.
                    fix_attributes(module, path, file_args, mask=self.mask)
                except SafeFileError as e:
                    self.fail(e.msg)
            result['changed'] = True
        result['changed'] = result['changed'] or bool(self.created)
        if not module.check_file_absent_if_check_mode(path):
            # SELinux context and chattr attributes, when asked; mode and owner are done above.
            others = dict(file_args, mode=None, owner=None, group=None)
            result['changed'] = module.set_fs_attributes_if_different(others, result['changed'])

    def attributes_differ(self, file_args, content_changed):
        """Whether mode or owner differ from the old file's: shown in the diff, and fixed by
        :meth:`write` (a content change gives the new file its attributes anyway)."""
        path, result = self.path, self.result
        try:
            attrs_changed, attrs_diff = fix_attributes(self.module, path, file_args, check_mode=True)
        except SafeFileError as e:
            self.fail(e.msg)
        if attrs_diff and self.module._diff:
            if content_changed:
                # One diff entry for the file: its headers say how mode and owner change.
                result['diff']['before_header'] = '%s (content; %s)' % (path, _one_line(attrs_diff['before']))
                result['diff']['after_header'] = '%s (content; %s)' % (path, _one_line(attrs_diff['after']))
            else:
                result['diff'] = attrs_diff  # the content is the same: show what does change
        return attrs_changed

    def record_fact(self, values):
        fact = self.fact
        if not fact:
            return
        if self.p['state'] != 'present':
            rf.remove(self.module, fact['path'], self.result)
            return
        core = dict(url=values['url'], username=values['username'], account_id=fact['account_id'] or None,
                    token_fingerprint=self.result['token_fingerprint'], expires_on=fact['expires_on'],
                    config_path=self.path)
        rf.keep(self.module, fact, core, self.p['api_token'], self.result)


class _OldFile(object):
    """What :meth:`ConfigWriter.read_old` found at the path."""

    def __init__(self):
        self.exists = False
        self.too_large = False
        self.text = None
        self.values = None
        self.unreadable = False


def run(module):
    return ConfigWriter(module).run()


def main():
    module = argument_spec().create_ansible_module(add_file_common_args=True, supports_check_mode=True)
    module.exit_json(**run(module))


if __name__ == '__main__':
    main()
