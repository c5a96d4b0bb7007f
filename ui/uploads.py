"""Keeping uploaded article files: safe names, allow-listed types, a size limit, one folder.

Every upload batch is copied into its own folder `UPLOADS/<time>-<random>/` under the uploads folder
(`settings.index_dir.parent / "uploads"`), with a sanitised file name; nothing is written anywhere
else. The copies are what gets indexed, so an article's `source` points at them. After each change
to the index, files that no indexed article comes from any more (a rejected or replaced upload, a
removed article) are deleted, so the folder holds exactly what the index was built from.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

ALLOWED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl")
SIDECAR_SUFFIX = ".meta.json"
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILES_PER_BATCH = 200
MAX_NAME_CHARS = 120


def original_name(name: str) -> str:
    """The last component of a client-given file name (either kind of slash)."""
    return PureWindowsPath(PurePosixPath(name).name).name


def safe_name(name: str) -> str | None:
    """A file name that is safe to create: no folders, no leading dot, only word characters, '.', '-';
    the suffix lower-cased. None when the type is not allowed (checked on the original suffix)."""
    base = unicodedata.normalize("NFKC", original_name(name)).strip()
    lower = base.lower()
    if lower.endswith(SIDECAR_SUFFIX):
        stem, suffix = base[: -len(SIDECAR_SUFFIX)], SIDECAR_SUFFIX
        inner = Path(stem).suffix.lower()
        if inner not in ALLOWED_SUFFIXES:
            return None
        stem = stem[: -len(inner)] if inner else stem
        suffix = inner + SIDECAR_SUFFIX
    else:
        suffix = Path(base).suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            return None
        stem = base[: -len(suffix)]
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE)
    stem = re.sub(r"[._-]{2,}", "_", stem).strip("._-")
    stem = stem[: MAX_NAME_CHARS - len(suffix)] or "upload"
    return stem + suffix


@dataclass
class Staged:
    """One batch copied into its folder: `files` to index (sidecars sit beside them), `rejected` with why."""

    folder: Path | None
    files: list[Path] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # stored path -> the name the user gave
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def display(self, source: str) -> str:
        """A problem's source (a path, maybe with :line) -> the user's file name."""
        for path, name in self.names.items():
            if source == path or source.startswith(path + ":"):
                return name + source[len(path) :]
        return original_name(source)


class UploadStore:
    """The uploads folder. Methods are serialised: one batch is staged and indexed at a time."""

    def __init__(self, root: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = Path(root).resolve()
        self.max_bytes = max_bytes
        self.lock = threading.RLock()

    def _inside(self, path: Path) -> bool:
        try:
            return path.resolve().is_relative_to(self.root)
        except OSError:
            return False

    def stage(self, uploads: Iterable[tuple[str | Path, str]]) -> Staged:
        """Copy (temporary path, name the user gave) pairs into a new batch folder, checking each."""
        uploads = list(uploads)
        staged = Staged(folder=None)
        if len(uploads) > MAX_FILES_PER_BATCH:
            staged.rejected.append(
                ("(batch)", f"too many files at once: {len(uploads)} (at most {MAX_FILES_PER_BATCH})")
            )
            return staged
        accepted: list[tuple[Path, str, str]] = []
        used: set[str] = set()
        for temp, given in uploads:
            given = original_name(str(given)) or "unnamed"
            temp = Path(temp)
            name = safe_name(given)
            if name is None:
                suffix = Path(given).suffix or "(none)"
                staged.rejected.append(
                    (given, f"file type {suffix} is not accepted; use one of {', '.join(ALLOWED_SUFFIXES)}")
                )
                continue
            try:
                size = temp.stat().st_size
            except OSError:
                staged.rejected.append((given, "the upload could not be read"))
                continue
            if not temp.is_file():
                staged.rejected.append((given, "not a regular file"))
                continue
            if size > self.max_bytes:
                staged.rejected.append(
                    (given, f"too large: {size / 1e6:.1f} MB (the limit is {self.max_bytes / 1e6:.0f} MB)")
                )
                continue
            if name.lower() in used:
                staged.rejected.append((given, f"another file in this batch is also named {name}"))
                continue
            used.add(name.lower())
            accepted.append((temp, name, given))
        if not accepted:
            return staged

        with self.lock:
            self.root.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
            folder = self.root / f"{stamp}-{secrets.token_hex(4)}"
            folder.mkdir()
            staged.folder = folder
            names_lower = {name.lower() for _, name, _ in accepted}
            for temp, name, given in accepted:
                target = folder / name
                if not self._inside(target):  # cannot happen with safe names; belt and braces
                    staged.rejected.append((given, "unsafe file name"))
                    continue
                with open(temp, "rb") as src, open(target, "xb") as dst:
                    shutil.copyfileobj(src, dst, length=1024 * 1024)
                    if dst.tell() > self.max_bytes:  # grew since stat()
                        dst.close()
                        target.unlink()
                        staged.rejected.append((given, f"too large (the limit is {self.max_bytes / 1e6:.0f} MB)"))
                        continue
                os.chmod(target, 0o600)
                if name.lower().endswith(SIDECAR_SUFFIX):
                    described = name[: -len(SIDECAR_SUFFIX)]
                    if described.lower() not in names_lower:
                        target.unlink()
                        staged.rejected.append(
                            (given, f"metadata for {described}, which was not uploaded in the same batch")
                        )
                    continue
                staged.files.append(target)
                staged.names[str(target)] = given
        return staged

    def discard(self, staged: Staged) -> None:
        """Delete a batch folder (nothing in it was indexed)."""
        if staged.folder is not None and self._inside(staged.folder) and staged.folder != self.root:
            shutil.rmtree(staged.folder, ignore_errors=True)

    def prune(self, sources: Iterable[str]) -> list[Path]:
        """Delete uploaded files that no indexed article comes from; returns what was deleted."""
        if not self.root.is_dir():
            return []
        used = set()
        for source in sources:
            used.add(source)
            head, sep, tail = source.rpartition(":")
            if sep and tail.isdigit():
                used.add(head)
        deleted = []
        with self.lock:
            for path in sorted(self.root.rglob("*")):
                if not path.is_file() or path.is_symlink() or not self._inside(path):
                    continue
                main = str(path)[: -len(SIDECAR_SUFFIX)] if path.name.lower().endswith(SIDECAR_SUFFIX) else str(path)
                if main not in used:
                    path.unlink(missing_ok=True)
                    deleted.append(path)
            for folder in sorted((p for p in self.root.iterdir() if p.is_dir()), reverse=True):
                if not any(folder.iterdir()):
                    folder.rmdir()
        return deleted
