# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Standard attribute documentation, shared by all modules.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
'''

    # Modules that only read.
    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module is read-only and works the same in check mode.
  diff_mode:
    support: N/A
    details:
      - This module never changes anything.
'''

    # Modules listed in the integrations.jira.jira action group (meta/runtime.yml).
    ACTION_GROUP = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/integrations.jira.jira) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - integrations.jira.jira
'''

    # Modules that write files on the target.
    FILES = r'''
options: {}
attributes:
  safe_file_operations:
    description: Uses Ansible's strict file operation functions to ensure proper permissions and avoid data corruption.
    support: full
'''
