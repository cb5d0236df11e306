"""Paragraph and query vectors from the static embedding model ``searchkit[semantic]`` ships.

The extra installs ``wordllama``, whose wheel holds its 256-dimension model: a table of
token vectors, averaged over a text's tokens (no network, no GPU, about 0.3 s to load).
Nothing here imports it until a vector is asked for, and :func:`available` answers
without importing it, so an installation without the extra imports and computes nothing.

``WordLlama.load()`` looks for its tokenizer in ``tokenizer/`` and, not finding it
there, downloads it from a hub; the wheel ships it in ``tokenizers/``, which is where
``load`` looks under ``cache_dir``.  So the model is loaded with the package's own folder
as ``cache_dir`` and downloads disabled: it loads offline, always from the wheel.

A text is lower-cased before it is embedded (the model's tokens are case-sensitive, and
queries are typed in any case), and every vector is scaled to length 1, so the cosine of
two vectors is their dot product.  A text without tokens gets the zero vector.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._utf8 import without_surrogates
from .errors import SemanticUnavailableError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

__all__ = [
    "DIMENSIONS",
    "EMBED_BATCH",
    "MODEL",
    "available",
    "embed",
    "embed_by_length",
    "paragraph_text",
]

# What the vectors of an index were made by: recorded in every vector file.
MODEL = "wordllama/l2_supercat/256"
DIMENSIONS = 256
# Texts embedded per call of the model (it pads each batch to its longest text; callers
# that slice their texts slice by whole batches, for the same rows bit for bit).
EMBED_BATCH = 256

_LOCK = threading.Lock()
_MODEL: Any = None


def available() -> bool:
    """Whether ``searchkit[semantic]`` is installed (without importing it)."""
    try:
        return importlib.util.find_spec("wordllama") is not None
    except (ImportError, ValueError):
        return False


def _model() -> Any:
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            if not available():
                raise SemanticUnavailableError(
                    "hybrid ranking needs paragraph vectors: install searchkit[semantic] "
                    "(pip install 'searchkit[semantic]')"
                )
            # The tokenizer's thread pool must not be running when a writer forks.
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            # wordllama calls logging.basicConfig(level=INFO) as it is imported: the
            # program's logging (what it shows, and where) is put back as it was.
            root = logging.getLogger()
            handlers, level = list(root.handlers), root.level
            import wordllama  # type: ignore[import-untyped]

            root.handlers[:] = handlers
            root.setLevel(level)
            folder = os.path.dirname(wordllama.__file__)
            _MODEL = wordllama.WordLlama.load(
                config="l2_supercat", dim=DIMENSIONS, cache_dir=folder, disable_download=True
            )
        return _MODEL


def paragraph_text(title: str | None, text: str | None) -> str:
    """What a paragraph's vector is made of: its document's title and its text."""
    return f"{title or ''}\n{text or ''}"


def embed(texts: Sequence[str]) -> Vectors:
    """One unit-length ``float32`` row per text (lower-cased first); zero for no tokens."""
    import numpy as np

    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    if not texts:
        return out
    model = _model()
    # The model's tokenizer takes UTF-8 alone: a lone surrogate (a JSON escape) is U+FFFD.
    lowered = [without_surrogates(t).lower() for t in texts]
    for i in range(0, len(lowered), EMBED_BATCH):
        out[i : i + EMBED_BATCH] = model.embed(lowered[i : i + EMBED_BATCH], norm=False)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    out[~np.isfinite(out).all(axis=1)] = 0.0
    return out


def embed_by_length(texts: Sequence[str]) -> Any:
    """``embed(texts)``, the texts embedded shortest first and the rows put back
    in order: the model pads each batch to its longest text, so batches of like lengths
    take half the time (Reuters-21578) for the same rows, bit for bit.  Embedded
    ``_EMBED_SLICE`` texts at a time (whole model batches, so the same batches), each
    slice's rows put in place: a segment's rows are held once, not twice (60,000
    paragraphs' are 59 MiB)."""
    import numpy as np

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
    for start in range(0, len(order), _EMBED_SLICE):
        part = order[start : start + _EMBED_SLICE]
        out[part] = embed([texts[i] for i in part])
    return out


# Texts embedded at once by embed_by_length: a whole number of the model's batches.
_EMBED_SLICE = 32 * EMBED_BATCH
