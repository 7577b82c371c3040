"""The project's settings with a shorter interpreter switch interval (a bench variant).

In a threaded worker, a thread whose database answer has arrived waits for the one running
Python to give up the interpreter lock, up to `sys.getswitchinterval()` (5 ms by default), on
every round trip. A shorter interval trades some CPU for that wait.
"""

import os
import sys

from config.settings import *  # noqa: F403

sys.setswitchinterval(float(os.environ.get("BENCH_SWITCH_INTERVAL", "0.0005")))
