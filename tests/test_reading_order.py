"""One reading order everywhere: the package docstring and the README list the same modules,
in the same order, and every module of the package is in it."""

import pathlib
import re

import miniloop

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _readme_order() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Reading order"):text.index("## Layout")]
    return re.findall(r"`miniloop/([a-z][a-z_]*\.py)`", section)


def _docstring_order() -> list[str]:
    doc = miniloop.__doc__ or ""
    section = doc[doc.index("Reading order"):]
    return re.findall(r"\b([a-z_]+\.py)\b", section.split("\n", 2)[2])


def test_readme_and_package_docstring_give_the_same_order():
    assert _readme_order() == _docstring_order()


def test_every_module_is_in_the_reading_order():
    modules = {path.name for path in (ROOT / "miniloop").glob("*.py")
               if path.name not in ("__init__.py", "__main__.py")}
    assert modules == set(_readme_order())
