"""``tmplint check``: run the detector over files, in parallel where it pays off."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

from tmplint.config import Config
from tmplint.detector import DetectorError, Finding, check_bytes, prefilter_needles
from tmplint.files import FileError, iter_python_files, read_bytes


@dataclass
class FileResult:
    path: str
    findings: List[Finding] = field(default_factory=list)
    #: one line saying why the file could not be checked
    error: Optional[str] = None


def check_data(data: bytes, path: str, config: Config, needles: Optional[Sequence[bytes]] = None) -> FileResult:
    try:
        return FileResult(path, check_bytes(data, path, config, needles))
    except DetectorError as exc:
        return FileResult(path, error=str(exc))


def check_file(path: Path, config: Config, needles: Optional[Sequence[bytes]] = None) -> FileResult:
    try:
        data = read_bytes(path)
    except FileError as exc:
        return FileResult(str(path), error=str(exc))
    return check_data(data, str(path), config, needles)


def _check_chunk(args: Tuple[List[str], Config]) -> List[FileResult]:
    paths, config = args
    needles = prefilter_needles(config)
    return [check_file(Path(p), config, needles) for p in paths]


#: below this many files a process pool costs more than it saves
PARALLEL_THRESHOLD = 200


def check_paths(
    paths: Iterable[Path], config: Config, jobs: Optional[int] = None, use_cache: bool = True
) -> Iterator[FileResult]:
    """Results for every Python file under ``paths``, in discovery order."""
    files: List[str] = []
    for path, error in iter_python_files(paths, config):
        if error is not None:
            yield FileResult(str(path), error=error)
        else:
            files.append(str(path))
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(files) < PARALLEL_THRESHOLD:
        yield from _check_chunk((files, config))
        return
    size = max(16, len(files) // (jobs * 8))
    chunks = [(files[i:i + size], config) for i in range(0, len(files), size)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for results in pool.map(_check_chunk, chunks):
            yield from results
