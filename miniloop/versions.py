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
PY312 = _V >= (3, 12)
PY313 = _V >= (3, 13)
