"""Moves the clock of every Python process a test run starts (the worker, gunicorn, the S3
server) as far as the run's own clock was moved (tests/conftest.py puts this folder on their
PYTHONPATH with XUNJIAN_TEST_CLOCK_OFFSET), so they agree on what time it is."""

import os
import time

import time_machine

time_machine.travel(time.time() + float(os.environ["XUNJIAN_TEST_CLOCK_OFFSET"]), tick=True).start()
# A ticking clock starts to tick at the first time it is asked, not when it is set: ask now,
# or a process that first asks seconds later (gunicorn, loading the app) runs behind the tests
# by those seconds, and a stamp the tests sign "now" is from its future.
time.time()
