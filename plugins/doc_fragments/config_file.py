# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Where the Jira settings sit in the config file: shared by jira_integration_config (writes) and
    # jira_integration_config_info (reads), which take the same values. The argument spec of these
    # options is config_file_argument_spec() in plugins/module_utils/_config_formats.py.
    DOCUMENTATION = r'''
options:
  keys:
    description:
      - The names of the three fields in the file.
      - Defaults are V(url), V(username), V(api_token); for O(format=env) V(JIRA_URL), V(JIRA_USERNAME),
        V(JIRA_API_TOKEN).
    type: dict
    suboptions:
      url:
        description: Key of the URL.
        type: str
      username:
        description: Key of the username.
        type: str
      api_token:
        description: Key of the API token.
        type: str
  section:
    description:
      - The section for O(format=ini). V(DEFAULT) is refused, since configparser copies its keys into every section.
    type: str
    default: jira
  root_key:
    description:
      - For O(format=yaml) and O(format=json), the key the settings are nested under. By default they are at the
        top level.
    type: str
'''
