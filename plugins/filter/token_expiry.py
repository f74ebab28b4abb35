# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: token_expiry
short_description: Whether an API token's expiry date is a valid YYYY-MM-DD date, and the days left until it
version_added: 0.1.0
description:
  - Reads an expiry date as Atlassian's API token page shows it (C(YYYY-MM-DD)) with the same rule as
    M(integrations.jira.jira_integration_config)'s C(rotation_fact.expires_on) - a real calendar date, nothing
    before or after it - and counts the days from today (UTC) to it.
  - The R(integrations.jira.jira_integration,ansible_collections.integrations.jira.jira_integration_role) role checks
    C(jira_integration_token_expires_on) with it before any host is touched.
author:
  - integrations.jira maintainers (@integrations-jira)
options:
  _input:
    description: The date, as text or a YAML date; V(null) or V("") when none is given.
    type: raw
    required: true
'''

EXAMPLES = r'''
- name: Refuse an expired token
  ansible.builtin.assert:
    that: expiry.days_left is none or expiry.days_left >= 0
  vars:
    expiry: "{{ '2027-12-01' | integrations.jira.token_expiry }}"
'''

RETURN = r'''
_value:
  description: What the date says.
  type: dict
  contains:
    given:
      description: Whether a date was given at all.
      type: bool
    valid:
      description: Whether it is a date written C(YYYY-MM-DD); V(false) when none was given.
      type: bool
    date:
      description: The date as text (as given when it is not valid), or V(null) when none was given.
      type: str
    days_left:
      description: Days from today (UTC) to the date, negative once it has passed; V(null) unless RV(_value.valid).
      type: int
  sample: {given: true, valid: true, date: '2027-12-01', days_left: 364}
'''

import datetime

from ansible_collections.integrations.jira.plugins.module_utils._rotation_fact import RotationFactError, check_date


def expiry(value, today):
    """The token_expiry mapping of ``value`` on the day ``today``."""
    text = None if value is None or value == '' else str(value)
    result = {'given': text is not None, 'valid': False, 'date': text, 'days_left': None}
    if text is None:
        return result
    try:
        check_date(text, 'expires_on')
    except RotationFactError:
        return result
    result['valid'] = True
    result['days_left'] = (datetime.date(int(text[:4]), int(text[5:7]), int(text[8:10])) - today).days
    return result


def token_expiry(value):
    return expiry(value, datetime.datetime.now(datetime.timezone.utc).date())


class FilterModule(object):
    def filters(self):
        return {'token_expiry': token_expiry}
