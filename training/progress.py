"""Progress of long build steps: a bar on a terminal, otherwise a log line at least every
LOG_EVERY seconds, so that nobody watches minutes of silence while the pack builds."""

from __future__ import annotations

import logging
import sys
import time

import numpy as np

from models.core.encoder import Encoder

log = logging.getLogger("build_pack")
LOG_EVERY = 10.0
ENCODE_CHUNK = 512  # small enough that even long texts report within LOG_EVERY


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
            log.info("%s: %d %s", label, total, unit)

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
            log.info(
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
        log.info("%s: %d %s in %.1fs", self.label, self.done, self.unit, time.monotonic() - self.started)


def encode(encoder: Encoder, texts: list[str], label: str, batch_size: int | None = None) -> np.ndarray:
    """`encoder.encode(texts)` in chunks, reporting progress. The texts are sorted by length
    first, so each chunk pads as little as one call over everything would."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    progress = Progress(label, len(texts))
    for start in range(0, len(order), ENCODE_CHUNK):
        rows = order[start : start + ENCODE_CHUNK]
        out[rows] = encoder.encode([texts[i] for i in rows], batch_size=batch_size)
        progress.update(len(rows))
    progress.close()
    return out
