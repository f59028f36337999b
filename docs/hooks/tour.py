"""The tour's build hook: what the pages show that must not go stale is made here.

mkdocs calls these functions while it builds the site (`hooks:` in mkdocs.yml). A page asks
for generated text with a marker line, `<!-- tour: NAME ARGS -->`, replaced by what NAME
makes of ARGS:

    scoreboard [zh]        chapter 0's table: the core scenarios told with each toy step
    sizes [zh]             chapter 0's table of sizes, its rows: each step's lines of code,
                           and miniloop's (code_lines)
    trace PROGRAM          `python -m miniloop trace PROGRAM`'s text, run now
    turn PROGRAM TEXT      `turn 7`: the first turn of that trace with TEXT in its lines
    scenario FILE::NAME    a compat scenario's source, its trace above it (compat_tests/FILE)
    exercise ID [zh]       an exercise of docs/exercises/exercises.toml: what to change, how to
                           run the stories, and (folded) the stories that catch it

and a link may point into miniloop's source by name, resolved now to the line it is on:

    [Task._step](src:tasks.py:Task._step)                 the line of `def _step`
    [the send](src:tasks.py:Task._step/coro.send)         the first line in it with that text
    [taken](src:locks.py:Lock.acquire/await wait_in_line/self._locked = True)
                                                          the first line with the last text
                                                          below one with the text before
    [loop.py](src:loop.py)                                the module's page

The links go to pages made here too, one per module of miniloop (`source/NAME.md`, each
line with an anchor `#L12`), so a link to a line that moved follows it, and one to a name
that is gone fails the build.

Prose that quotes a page's trace marks the quote, `` `b waits on Future #1`{.trace} `` (N
for any number, ... for any text): tests/test_docs.py checks each against the trace built.
"""

from __future__ import annotations

import ast
import html
import logging
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Where mermaid.js is looked for: $MINILOOP_MERMAID_JS, else npm's folder at the top of the
# repository (`npm install --prefix .docs-js mermaid@11`, as .ci/run does).
MERMAID_JS = os.environ.get("MINILOOP_MERMAID_JS") or os.path.join(
    ROOT, ".docs-js", "node_modules", "mermaid", "dist", "mermaid.min.js")

# A warning fails `mkdocs build --strict` (what CI runs) and is only shown by `mkdocs serve`.
log = logging.getLogger("mkdocs.hooks.tour")

MARKER = re.compile(r"^<!-- tour: (\w+)(?: (.*?))? -->$", re.MULTILINE)


def scoreboard(language: str) -> str:
    sys.path.insert(0, os.path.join(ROOT, "docs", "chapter0"))
    import scoreboard as board
    return board.table(board.score(), language or "en")


def code_lines(path: str) -> int:
    """The lines of code of a Python file: not blank, not a comment, not in a docstring, and
    not in an `if __name__ == "__main__":` block (the demo of a chapter 0 step)."""
    with open(path, encoding="utf-8") as source:
        code = source.read()
    left_out: set[int] = set()
    for node in ast.walk(ast.parse(code)):
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and ast.get_docstring(node, clean=False) is not None):
            left_out.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
        elif isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'":
            left_out.update(range(node.lineno, node.end_lineno + 1))
    return sum(1 for number, line in enumerate(code.splitlines(), 1)
               if number not in left_out and line.strip() and not line.strip().startswith("#"))


SIZE_WORDS = {"en": "the three steps", "zh": "三步合计"}


def sizes(language: str) -> str:
    """The rows of chapter 0's table of sizes (the page writes its header)."""
    steps = [f"docs/chapter0/step{n}.py" for n in (1, 2, 3)]
    counts = [code_lines(os.path.join(ROOT, step)) for step in steps]
    rows = [f"| `{step}` | {count} |" for step, count in zip(steps, counts, strict=True)]
    rows.append(f"| **{SIZE_WORDS[language or 'en']}** | **{sum(counts)}** |")
    miniloop = sum(code_lines(os.path.join(SOURCE, module)) for module in _modules())
    rows.append(f"| `miniloop/*.py` | {miniloop:,} |")
    return "\n".join(rows)


def trace(program: str) -> str:
    """The program run under the tracer, its text trace as a code block titled with the
    command (tests/test_docs.py finds the trace by that title)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "trace.txt")
        ran = subprocess.run(
            [sys.executable, "-m", "miniloop", "trace", "--text", out,
             os.path.join(ROOT, "docs", program)],
            cwd=ROOT, capture_output=True, text=True, timeout=120)
        if ran.returncode != 0:
            raise RuntimeError(f"the tracer failed on {program}:\n{ran.stderr}")
        with open(out, encoding="utf-8") as text:
            return (f'```text title="python -m miniloop trace docs/{program}"\n'
                    + text.read() + "```")


def turn(args: str) -> str:
    """The number of the first turn of the program's trace (the one its page shows) whose
    lines hold the text, as `turn 7`: prose may point at a turn that moves."""
    program, _, text = args.partition(" ")
    number = None
    for line in made("trace", program).splitlines():
        if line.startswith("turn "):
            number = line.split()[1]
        if number is not None and text in line:
            return f"`turn {number}`"
    raise ValueError(f"turn: no {text!r} in a turn of {program}'s trace")


def scenario(where: str) -> str:
    """The scenario compat_tests/FILE::NAME as a code block: its decorator (the trace
    asyncio and miniloop both print, checked by the compat suite) and its story."""
    file, name = where.split("::")
    path = os.path.join(ROOT, "compat_tests", file)
    with open(path, encoding="utf-8") as source:
        code = source.read()
    found = [node for node in ast.parse(code).body
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name
             and node.decorator_list]
    if not found:
        raise ValueError(f"scenario: no {name} in compat_tests/{file}")
    first = found[0].decorator_list[0].lineno - 1  # the line of its "@"
    lines = code.splitlines()[first:found[0].end_lineno]
    return (f'```python title="compat_tests/{file}::{name}"\n' + "\n".join(lines)
            + "\n```")


EXERCISE_WORDS = {  # the exercise's sentences, in the page's language (`exercise ID zh`)
    "en": ("In `{file}`, delete this line:",
           "In `{file}`, replace the body of `{name}`, all of it after the docstring, with "
           "this line; predict, run, then write the body yourself from the docstring until "
           "the stories pass again.",
           "Predict which stories of these files fail, then run them:",
           "The stories of these files that catch it ({count})"),
    "zh": ("在 `{file}` 里删掉这一行：",
           "把 `{file}` 里 `{name}` 的函数体，也就是文档字符串之后的全部，换成下面这一行；"
           "预测、运行，然后照着文档字符串自己把函数体写出来，直到这些故事重新通过。",
           "先预测这些文件里哪些故事会失败，再运行它们：",
           "这些文件里抓住它的故事（{count} 个）"),
}
# What replaces a function's body (`blank`): the line tests/test_docs_exercises.py puts there.
STUB = 'raise NotImplementedError("write {name} yourself")'


def exercise(args: str) -> str:
    """One exercise as the page shows it; tests/test_docs_exercises.py checks the answer."""
    name, _, language = args.partition(" ")
    delete, blank, predict, caught = EXERCISE_WORDS[language or "en"]
    with open(os.path.join(ROOT, "docs", "exercises", "exercises.toml"), "rb") as toml:
        found = [one for one in tomllib.load(toml)["exercise"] if one["id"] == name]
    if not found:
        raise ValueError(f"exercise: no {name} in docs/exercises/exercises.toml")
    one = found[0]
    if "delete" in one:
        task = delete.format(file=one["file"]) + f"\n\n```python\n{one['delete']}\n```"
    else:
        task = (blank.format(file=one["file"], name=one["blank"])
                + f"\n\n```python\n{STUB.format(name=one['blank'])}\n```")
    command = ".venv/bin/python -m pytest -k miniloop " + " ".join(one["run"])
    answer = "\n".join(f"    - `{story}`" for story in one["caught_by"])
    return (f"{task}\n\n{predict}\n\n```sh\n{command}\n```\n\n"
            f'??? success "{caught.format(count=len(one["caught_by"]))}"\n\n{answer}\n')


MAKERS: dict[str, Callable[[str], str]] = {
    "scoreboard": scoreboard, "sizes": sizes, "trace": trace, "turn": turn,
    "scenario": scenario, "exercise": exercise}
_made: dict[tuple[str, str], str] = {}  # one build makes each thing once, for both languages


def made(name: str, args: str) -> str:
    """What MAKERS[name] makes of `args`, made once a build."""
    if (name, args) not in _made:
        _made[name, args] = MAKERS[name](args)
    return _made[name, args]


# == miniloop's source, one page per module ====================================================

SOURCE = os.path.join(ROOT, "miniloop")
# The text may hold parentheses, balanced (two deep at most): `(src:x.py:f/g(h(1)))`.
SOURCE_LINK = re.compile(r"\]\(src:([a-z_]+\.py)(?::([\w.]+))?"
                         r"(?:/((?:[^()]|\((?:[^()]|\([^()]*\))*\))+))?\)")


def _modules() -> list[str]:
    return sorted(name for name in os.listdir(SOURCE) if name.endswith(".py"))


def source_page(module: str) -> str:
    """miniloop/MODULE as a page: every line numbered, with an anchor L<number>."""
    with open(os.path.join(SOURCE, module), encoding="utf-8") as source:
        lines = source.read().splitlines()
    rows = [f'<span id="L{n}" class="line"><a class="lineno" href="#L{n}">{n:4d}</a> '
            f"{html.escape(line)}</span>" for n, line in enumerate(lines, 1)]
    return (f"# miniloop/{module}\n\n"
            '<pre class="source"><code>' + "\n".join(rows) + "</code></pre>\n")


def find_line(module: str, name: str | None, text: str | None) -> int:
    """The line of `def`/`class` NAME (dotted: Class.method) in miniloop/MODULE, or the first
    line inside it, at or after the def, holding TEXT. TEXT may be a path, `A/B`: the first
    line holding B below the first one holding A. Raises if there is none."""
    with open(os.path.join(SOURCE, module), encoding="utf-8") as source:
        code = source.read()
    start, end = 1, len(code.splitlines())
    if name:
        scope: Any = ast.parse(code)
        for part in name.split("."):
            found = [node for node in ast.iter_child_nodes(scope)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and node.name == part]
            if not found:
                raise ValueError(f"src link: no {name} in miniloop/{module}")
            scope = found[-1]
        start, end = scope.lineno, scope.end_lineno
    if text is None:
        return start
    lines = code.splitlines()
    found = start - 1
    for part in text.split("/"):
        found = next((number for number in range(found + 1, end + 1)
                      if part in lines[number - 1]), 0)
        if not found:
            raise ValueError(f"src link: no {text!r} in {name or module} (miniloop/{module})")
    return found


def _resolve_links(markdown: str, page: Any) -> str:
    depth = page.file.src_uri.count("/")
    prefix = "../" * depth + "source/"

    def replace(match: re.Match[str]) -> str:
        module, name, text = match.groups()
        if not os.path.exists(os.path.join(SOURCE, module)):
            raise ValueError(f"src link: no miniloop/{module} ({page.file.src_uri})")
        page_link = prefix + module[:-3] + ".md"
        if name is None and text is None:
            return f"]({page_link})"
        return f"]({page_link}#L{find_line(module, name, text)})"

    resolved = SOURCE_LINK.sub(replace, markdown)
    if "](src:" in resolved:  # left as is, it would be a link to nowhere that mkdocs accepts
        line = next(line for line in resolved.splitlines() if "](src:" in line)
        raise ValueError(f"src link not understood ({page.file.src_uri}): {line}")
    return resolved


def on_config(config: Any, **kwargs: Any) -> Any:
    """Write the source pages into docs/source/ (not in git: .gitignore), before mkdocs
    looks for pages. A page is rewritten only when its module changed, so that `mkdocs
    serve`, which rebuilds when a page changes, does not rebuild for ever."""
    folder = os.path.join(ROOT, "docs", "source")
    os.makedirs(folder, exist_ok=True)
    modules = _modules()
    for name in os.listdir(folder):
        if name.endswith(".md") and name[:-3] + ".py" not in modules:
            os.remove(os.path.join(folder, name))  # a module that is gone
    for module in modules:
        path = os.path.join(folder, module[:-3] + ".md")
        text = source_page(module)
        if not os.path.exists(path) or pathlib.Path(path).read_text(encoding="utf-8") != text:
            with open(path, "w", encoding="utf-8") as page:
                page.write(text)
    return config


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        return made(match.group(1), match.group(2) or "")

    return _resolve_links(MARKER.sub(replace, markdown), page)


def on_startup(**kwargs: Any) -> None:
    _made.clear()


def on_post_build(config: Any, **kwargs: Any) -> None:
    """Copy mermaid.js into the site, so the pictures draw offline; without it they do not
    draw at all, which a strict build does not let pass."""
    _made.clear()
    if not os.path.exists(MERMAID_JS):
        log.warning("no mermaid.js at %s: the pictures will not draw "
                    "(npm install --prefix .docs-js mermaid@11)", MERMAID_JS)
        return
    target = os.path.join(config["site_dir"], "assets", "mermaid.min.js")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(MERMAID_JS, target)
