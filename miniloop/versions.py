"""Versions as data: every asyncio behaviour change between 3.11 and 3.13 that miniloop follows.

What you learn here: how asyncio itself changed across the Pythons miniloop supports. Each
change is one named flag, true when the running Python has the newer behaviour, with a
one-line reason and the compat scenario that pins it. The rest of miniloop asks these flags
and never `sys.version_info`, so a reader sees every version difference in one list, and a
branch in the code names the change it follows.
"""

from __future__ import annotations

import sys

_V = sys.version_info[:2]

# -- The loop ---------------------------------------------------------------------------
# 3.13 clamps the poll timeout with comparisons, not max(): a NaN deadline reaches the
# selector, which raises ValueError; before, the timer fires at once.
# (test_nan_deadline_fires_at_once, test_nan_deadline_raises_out_of_the_poll)
NAN_DEADLINE_REACHES_POLL = _V >= (3, 13)

# -- Tasks ------------------------------------------------------------------------------
# Task.get_context() is new in 3.12. (test_task_get_context)
TASK_GET_CONTEXT = _V >= (3, 12)
# 3.13: uncancel() down to zero also drops a cancel() not yet delivered.
# (test_uncancel_to_zero_drops_a_pending_cancel)
UNCANCEL_CLEARS_PENDING_CANCEL = _V >= (3, 13)
