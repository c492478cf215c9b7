"""Encoding for the pack build: every text gets its own vector, each distinct text is encoded
once, and short texts go in bigger batches than long ones."""

import numpy as np

from training import progress


class CountingEncoder:
    """Gives each text a vector derived from its characters and records every call."""

    dim = 4

    def __init__(self):
        self.calls: list[tuple[list[str], int]] = []

    def encode(self, texts, batch_size=None):
        self.calls.append((list(texts), batch_size))
        return np.array([[len(t), sum(map(ord, t)) % 97, t.count("a"), 1.0] for t in texts], dtype=np.float32)


def test_each_text_keeps_its_own_vector_and_duplicates_are_encoded_once():
    texts = ["weld pipe", "a", "weld pipe", "operate a forklift", "a"]
    encoder = CountingEncoder()
    vectors = progress.encode(encoder, texts, "test")
    encoded = [t for call, _ in encoder.calls for t in call]
    assert sorted(encoded) == ["a", "operate a forklift", "weld pipe"]
    assert vectors.shape == (5, 4)
    for text, vector in zip(texts, vectors):
        assert vector.tolist() == CountingEncoder().encode([text])[0].tolist()


def test_short_names_go_in_bigger_batches_than_long_definitions():
    assert progress.batch_for(20) == progress.MAX_BATCH
    assert progress.batch_for(2000) == progress.MIN_BATCH
    assert progress.MIN_BATCH < progress.batch_for(300) < progress.MAX_BATCH
    encoder = CountingEncoder()
    progress.encode(encoder, ["x" * 20] * 3 + ["y" * 2000], "test", batch_size=None)
    assert encoder.calls[0][1] == progress.MIN_BATCH  # one chunk: its longest text decides
    encoder = CountingEncoder()
    progress.encode(encoder, ["x" * 20], "test", batch_size=7)
    assert encoder.calls[0][1] == 7


def test_nothing_to_encode_gives_an_empty_matrix():
    assert progress.encode(CountingEncoder(), [], "test").shape == (0, 4)


def test_a_step_with_nothing_to_count_still_says_it_is_working(caplog):
    import logging
    import threading

    seen = threading.Event()

    class Watch(logging.Handler):
        def emit(self, record):
            if "still working" in record.getMessage():
                seen.set()

    caplog.set_level(logging.INFO, logger=progress.log.name)
    watch = Watch()
    progress.log.addHandler(watch)
    try:
        with progress.heartbeat("index build", every=0.05):
            assert seen.wait(timeout=10), "no heartbeat line while the step ran"
        seen.clear()
        assert not seen.wait(timeout=0.2), "a heartbeat line after the step ended"
    finally:
        progress.log.removeHandler(watch)
