"""miniloop is written from scratch: nothing in the package imports asyncio or _asyncio."""

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "miniloop"
FORBIDDEN = {"asyncio", "_asyncio"}


def imported_modules(source: str) -> set[str]:
    """Every module named by an import statement, at any depth (functions included)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "__import__" and node.args
              and isinstance(node.args[0], ast.Constant)):
            names.add(str(node.args[0].value))
    return names


def test_no_module_of_the_package_imports_asyncio():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        bad = {name for name in imported_modules(path.read_text())
               if name.split(".")[0] in FORBIDDEN}
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_the_checker_would_notice_an_asyncio_import():
    assert imported_modules("def f():\n    from asyncio import sleep\n") == {"asyncio"}
    assert imported_modules("import _asyncio as fast") == {"_asyncio"}
    assert imported_modules("__import__('asyncio')") == {"asyncio"}


def test_importing_miniloop_loads_no_asyncio_at_all():
    code = "import sys, miniloop; print(sorted(m for m in sys.modules if 'asyncio' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
