"""Embeddings: the local model that turns a paper's title and abstract into a vector, and how vectors are stored.

The model is WordLlama's `l2_supercat` at 256 dimensions (static token vectors averaged, 16 MB),
whose weights ship inside the `wordllama` package: nothing is downloaded, no GPU is needed.
It was chosen by measurement against an int8 ONNX MiniLM (docs/benchmarks.md). It comes with
the optional extra `paperdb[semantic]`; without it `available()` is False and nothing here loads.
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

from app.search.text import QueryError

MODEL_PACKAGE = "wordllama"
MODEL_CONFIG = "l2_supercat"
DIMENSIONS = 256
# What an install without the extra is told by every command that needs vectors.
ENABLE_HINT = "semantic search needs the optional extra: pip install 'paperdb[semantic]'"
# The largest int8 value: each vector is stored as round(v / scale) with scale = max|v| / 127.
INT8_MAX = 127
# Texts embedded at a time: their token vectors (a few MB) stay in the CPU's cache.
EMBED_BATCH = 64


class SemanticUnavailable(QueryError):
    """A semantic search or related papers asked of an install without the extra, or a database without vectors."""


def available() -> bool:
    """Whether the embedding model's package is installed."""
    return importlib.util.find_spec(MODEL_PACKAGE) is not None


def model_id() -> str:
    """The model's name and version as the database records it: another one re-embeds every paper."""
    return f"{MODEL_PACKAGE} {MODEL_CONFIG} {DIMENSIONS} {version(MODEL_PACKAGE)}"


@cache
def _model():
    import wordllama
    from wordllama import WordLlama

    # The package's own folder as the cache: its bundled weights and tokenizer are found there
    # (its loader looks for the tokenizer under another folder name), and nothing is downloaded.
    model = WordLlama.load(
        MODEL_CONFIG, dim=DIMENSIONS, cache_dir=Path(wordllama.__file__).parent, disable_download=True
    )
    model.tokenizer.no_padding()  # `embed` sums each text's own tokens
    return model


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors (float32, one row per text): the mean of the texts' token vectors, normalised."""
    if not available():
        raise SemanticUnavailable(ENABLE_HINT)
    model = _model()
    vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for start in range(0, len(texts), EMBED_BATCH):
        encoded = model.tokenizer.encode_batch(texts[start : start + EMBED_BATCH], add_special_tokens=False)
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encoded]
        lengths = np.array([len(i) for i in ids])
        if not lengths.sum():
            continue
        # The batch's token vectors end to end, summed per text: no padding to the longest text.
        tokens = model.embedding[np.clip(np.concatenate(ids), 0, len(model.embedding) - 1)]
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        some = np.flatnonzero(lengths)
        vectors[start + some] = np.add.reduceat(tokens, offsets[some], axis=0) / lengths[some, None]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1)


def paper_text(title: str | None, abstract: str | None) -> str:
    """What is embedded of a paper: its title, then its abstracts."""
    return "\n".join(t for t in (title, abstract) if t)


def text_hash(text: str) -> int:
    """A 64-bit signed hash of an embedded text: a paper whose text is unchanged keeps its vector."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


def encode(vectors: np.ndarray) -> list[tuple[bytes, float]]:
    """Each vector as stored: int8 bytes and the scale that multiplies them back."""
    peaks = np.abs(vectors).max(axis=1)
    scales = np.where(peaks > 0, peaks / INT8_MAX, 1.0)
    quantized = np.rint(vectors / scales[:, None]).astype(np.int8)
    return [(row.tobytes(), float(scale)) for row, scale in zip(quantized, scales)]


def int8_rows(blobs: list[bytes]) -> np.ndarray:
    """Stored vectors as one int8 matrix, a row each (times its scale, the model's vector)."""
    if not blobs:
        return np.zeros((0, DIMENSIONS), dtype=np.int8)
    return np.frombuffer(b"".join(blobs), dtype=np.int8).reshape(len(blobs), -1)
