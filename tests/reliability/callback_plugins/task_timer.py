# Test-only callback: appends {task, host, status, seconds} for every task result to the JSON-lines
# file named by RELIABILITY_TIMER_FILE, so a test can bound how long one task (one module run) took.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
name: task_timer
type: aggregate
short_description: write per-task durations to a JSON-lines file for tests
description:
  - Test helper of integrations.jira (tests/reliability). Not shipped with the collection.
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'task_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._started = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started[task._uuid] = time.monotonic()

    def _done(self, result, status):
        path = os.environ.get('RELIABILITY_TIMER_FILE')
        if not path:
            return
        task = getattr(result, 'task', None) or result._task
        host = getattr(result, 'host', None) or result._host
        start = self._started.get(task._uuid)
        record = {'task': task.get_name(), 'host': host.get_name(), 'status': status,
                  'seconds': None if start is None else round(time.monotonic() - start, 3)}
        with open(path, 'a') as f:
            f.write(json.dumps(record) + '\n')

    def v2_runner_on_ok(self, result):
        self._done(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, 'failed')

    def v2_runner_on_unreachable(self, result):
        self._done(result, 'unreachable')
