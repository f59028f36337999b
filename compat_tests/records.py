"""Capturing what the "asyncio" logger says, in a form both loops can agree on.

Error reports are part of asyncio's behaviour: "Task exception was never retrieved" is what
a learner sees when they forget to await a task. Scenarios compare those reports line by
line, after `normalize` has removed what legitimately differs between the two loops:

* object addresses (`0x7f...`) and default task numbers (`Task-12`);
* the library's own files: `created at .../asyncio/tasks.py:410` and
  `.../miniloop/tasks.py:262` both become `created at <lib>`, and library frames are
  dropped from creation tracebacks (asyncio's are partly in C, miniloop's in Python);
* the directory of the scenario file, and the loop's class name.

What remains (the message, the keys, the user's frames and line numbers) must be equal.
"""

import contextlib
import logging
import re

_LIBRARY = r"[^\s\"'<>]*?/(?:asyncio|miniloop)/\w+\.py"


@contextlib.contextmanager
def asyncio_log(level=logging.DEBUG):
    """Collect the records of the "asyncio" logger (at `level` and above) in a list."""
    records = []

    def emit(record):
        # Format now, as a real handler would: "Close <loop ... closed=False>" is written
        # before the loop is marked closed.
        record.message = record.getMessage()
        records.append(record)

    handler = logging.Handler(level)
    handler.emit = emit
    logger = logging.getLogger("asyncio")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def normalize(text):
    """The text of a report with the differences listed in the module docstring removed."""
    lines = []
    skip_code_line = False
    for line in text.splitlines():
        if skip_code_line and line.startswith("    "):
            skip_code_line = False
            continue  # the source line of a library frame we dropped
        skip_code_line = False
        if re.match(rf'  File "{_LIBRARY}", line \d+, in ', line):
            skip_code_line = True
            continue
        lines.append(line)
    text = "\n".join(lines)
    text = re.sub(rf"{_LIBRARY}:\d+", "<lib>", text)
    text = re.sub(r"0x[0-9a-fA-F]+", "0x?", text)
    text = re.sub(r"Task-\d+", "Task-N", text)
    text = re.sub(r"[^\s\"'<>]*/(compat_tests/\w+\.py)", r"\1", text)
    text = re.sub(r"<\w*EventLoop ", "<EventLoop ", text)
    return text


def messages(records, level=logging.DEBUG):
    """`LEVEL message` for each record at `level` or above, normalized, split into lines."""
    out = []
    for record in records:
        if record.levelno >= level:
            out.extend(f"{record.levelname} {normalize(record.message)}".splitlines())
    return out
