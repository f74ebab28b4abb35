# Test-only callback: appends every task result, as callbacks receive it (already censored for
# no_log), to the JSON-lines file named by JIRA_TEST_RESULTS_FILE.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
name: result_dump
type: aggregate
short_description: write task results to a JSON-lines file for tests
description:
  - Test helper of integrations.jira. Not shipped with the collection.
'''

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'result_dump'
    CALLBACK_NEEDS_ENABLED = True

    def _dump(self, result, status):
        path = os.environ.get('JIRA_TEST_RESULTS_FILE')
        if not path:
            return
        # ansible-core 2.19+ offers public attributes; older releases only the private ones.
        task = getattr(result, 'task', None) or result._task
        host = getattr(result, 'host', None) or result._host
        payload = getattr(result, 'result', None)
        if not isinstance(payload, dict):
            payload = result._result
        # What a registered variable would show: 2.19+ keeps 'failed' out of the callback's copy.
        payload = dict(payload)
        payload.setdefault('failed', status == 'failed')
        record = {
            'host': host.get_name(),
            'task': task.get_name(),
            'action': task.action,
            'status': status,
            'result': payload,
        }
        with open(path, 'a') as f:
            f.write(json.dumps(record, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._dump(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._dump(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._dump(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._dump(result, 'unreachable')
