"""`python -m miniloop SCRIPT [ARGS...]`: run an unmodified asyncio program on miniloop.

    python -m miniloop server.py --port 8000     # like `python server.py --port 8000`
    python -m miniloop -m package.module ARGS    # like `python -m package.module ARGS`
    python -m miniloop -c "import asyncio; ..."  # like `python -c "..."`

The program's `import asyncio` gets miniloop (see dropin.py); everything else is as if
Python had run it directly: it runs as `__main__`, sees its own `sys.argv`, and finds the
modules next to it.
"""

import os
import runpy
import sys
import types

from .dropin import install

USAGE = "usage: python -m miniloop (SCRIPT | -m MODULE | -c CODE) [ARGS...]"


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help") or (argv[0] in ("-m", "-c") and len(argv) < 2):
        sys.exit(USAGE)
    install()
    if argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    elif argv[0] == "-c":
        sys.argv = ["-c", *argv[2:]]
        sys.path[0] = ""  # as `python -c`: the current directory
        main_module = sys.modules["__main__"] = types.ModuleType("__main__")
        exec(compile(argv[1], "<string>", "exec"), main_module.__dict__)
    else:
        sys.argv = argv
        # `python script.py` puts the script's directory first on the path, not ours.
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
