"""The threads the math libraries (torch, FAISS) use for the calling thread's work.

Both run OpenMP. Torch keeps the count per thread but also takes the last one set as the
default of threads started later, so a change is always set back on the way out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def math_threads() -> int:
    """Torch's math threads in the calling thread (the process's setting, TALENT_WORKERS)."""
    import torch

    return int(torch.get_num_threads())


@contextmanager
def one_math_thread() -> Iterator[None]:
    """Torch and FAISS on one thread in this thread: for work that runs beside other threads
    which already keep every core busy (more OpenMP threads than cores spin against each other)."""
    import faiss
    import torch

    torch_threads, faiss_threads = torch.get_num_threads(), faiss.omp_get_max_threads()
    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(torch_threads)
        faiss.omp_set_num_threads(faiss_threads)
