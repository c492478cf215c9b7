"""Progress of long build steps: a bar on a terminal, otherwise a log line at least every
LOG_EVERY seconds, so that nobody watches minutes of silence while the pack builds."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from models.core.encoder import Encoder

log = logging.getLogger("build_pack")
LOG_EVERY = 10.0
ENCODE_CHUNK = 512  # small enough that even long texts report within LOG_EVERY
BATCH_TOKENS = 4096
MIN_BATCH, MAX_BATCH = 32, 128


_last_report = [time.monotonic()]  # when a progress line was last logged, for heartbeat()


def _report(msg: str, *args) -> None:
    _last_report[0] = time.monotonic()
    log.info(msg, *args)


@contextmanager
def heartbeat(label: str, every: float = LOG_EVERY) -> Iterator[None]:
    """While the block runs, a log line whenever `every` seconds pass without a progress line:
    for work with nothing to count (an index build, a model fit)."""
    stop = threading.Event()
    started = _last_report[0] = time.monotonic()  # the caller has just said the step began

    def beat() -> None:
        while not stop.wait(min(1.0, every)):
            now = time.monotonic()
            if now - _last_report[0] >= every:
                _report("%s: still working (%.0fs)", label, now - started)

    thread = threading.Thread(target=beat, name=f"heartbeat {label}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class Progress:
    """Counts work done towards `total`; draws a bar on a terminal, logs otherwise."""

    def __init__(self, label: str, total: int, unit: str = "texts", every: float = LOG_EVERY, stream=None):
        self.label, self.total, self.unit, self.every = label, total, unit, every
        self.done = 0
        self.started = self._last = time.monotonic()
        stream = stream or sys.stderr
        self._bar = None
        if hasattr(stream, "isatty") and stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, unit=f" {unit}", file=stream, leave=False)
        else:
            _report("%s: %d %s", label, total, unit)

    def update(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            rate = self.done / max(now - self.started, 1e-9)
            left = (self.total - self.done) / rate if rate > 0 else float("nan")
            _report(
                "%s: %d/%d %s (%.0f%%, %.0f/s, ~%.0fs left)",
                self.label,
                self.done,
                self.total,
                self.unit,
                100.0 * self.done / max(self.total, 1),
                rate,
                left,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        _report("%s: %d %s in %.1fs", self.label, self.done, self.unit, time.monotonic() - self.started)


def batch_for(longest_chars: int) -> int:
    """Batch size for texts up to `longest_chars` long: about BATCH_TOKENS tokens a batch.
    Short names gain from big batches (2,271 against 1,496 a second at 128 rather than 32 on
    8,000 skill labels here); long texts do not, and pad more."""
    tokens = longest_chars // 4 + 2  # ~4 characters a WordPiece token, plus [CLS] and [SEP]
    return max(MIN_BATCH, min(MAX_BATCH, BATCH_TOKENS // tokens))


def encode(encoder: Encoder, texts: list[str], label: str, batch_size: int | None = None) -> np.ndarray:
    """`encoder.encode(texts)` in chunks, reporting progress. Each distinct text is encoded
    once; they are sorted by length first, so each chunk pads as little as one call over
    everything would, and batched by length (batch_for) unless `batch_size` is given."""
    distinct = list(dict.fromkeys(texts))
    distinct.sort(key=len)
    vectors = np.zeros((len(distinct), encoder.dim), dtype=np.float32)
    progress = Progress(label, len(distinct))
    for start in range(0, len(distinct), ENCODE_CHUNK):
        chunk = distinct[start : start + ENCODE_CHUNK]
        vectors[start : start + len(chunk)] = encoder.encode(chunk, batch_size=batch_size or batch_for(len(chunk[-1])))
        progress.update(len(chunk))
    progress.close()
    row = {text: i for i, text in enumerate(distinct)}
    return vectors[[row[t] for t in texts]]
