# -*- coding: utf-8 -*-
# Copyright (c) integrations.jira contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Benchmark-only callback (not shipped in the collection): ansible-core has no profile_tasks
# callback (that one is in ansible.posix), so this records, per task, the wall time from the
# task's start to the next task's start, and the number of host results. Written as JSON to
# $BENCH_TIMING_FILE at the end of the playbook.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: bench_timing
type: aggregate
short_description: Per-task wall time for the integrations.jira benchmarks
description:
  - Writes per-task timings to the file named by the environment variable BENCH_TIMING_FILE.
options: {}
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timing'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._tasks = []
        self._current = None
        self._started = time.time()

    def _close(self):
        if self._current is not None:
            self._current['end'] = time.time()
            self._current['seconds'] = self._current['end'] - self._current['start']
            self._current = None

    def _start(self, task, kind):
        self._close()
        self._current = dict(name=task.get_name(), action=task.action, kind=kind, start=time.time(),
                             results=0, changed=0, skipped=0, failed=0)
        self._tasks.append(self._current)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task, 'task')

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task, 'handler')

    def _result(self, result, status):
        if self._current is None:
            return
        self._current['results'] += 1
        if status == 'skipped':
            self._current['skipped'] += 1
        elif status == 'failed':
            self._current['failed'] += 1
        elif result._result.get('changed'):
            self._current['changed'] += 1

    def v2_runner_on_ok(self, result, **kwargs):
        self._result(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._result(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._result(result, 'failed')

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get('BENCH_TIMING_FILE')
        if not path:
            return
        with open(path, 'w') as handle:
            json.dump(dict(started=self._started, ended=time.time(), tasks=self._tasks), handle)
