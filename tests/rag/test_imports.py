"""`import rag` and `python -m rag --help` stay light: no model library is loaded until a model is needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rag.settings import PROJECT_ROOT

HEAVY = ("torch", "sentence_transformers", "transformers", "faiss", "gradio", "llama_index")

_REPORT = "import json, sys; print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))"


def _loaded(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\n" + _REPORT.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return __import__("json").loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        "import rag",
        "from rag import Assistant, Settings, Answer",
        # python -m rag --help, in-process so that the modules it loaded can be listed
        "import contextlib, io, runpy, sys\nsys.argv = ['rag', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    runpy.run_module('rag', run_name='__main__')",
    ],
    ids=["import rag", "public names", "--help"],
)
def test_no_heavy_library_is_loaded(code: str) -> None:
    assert _loaded(code) == []
