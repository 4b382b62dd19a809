"""The AMX layout of a GGUF: the same weights in the block formats llama.cpp's AMX kernels multiply fast.

On Intel Xeons with AMX (Sapphire Rapids and later), llama.cpp multiplies the weight matrices with AMX tiles. Its
kernels for K-quant blocks (Q4_K, Q6_K: the shipped Q4_K_M file) are slow there; those for Q4_1 and Q8_0 are not.
Measured on a 2-core AMX Xeon (2026-12-06, README "Speed"): a 16-sequence decode step takes about 160 ms instead of
about 280 ms, and prompt reading is 10-20 % faster. Without AMX the same layout is four times slower (no repacked
Q4_1 kernels on x86), so it is used only where llama.cpp reports AMX.

The change of format loses nothing that matters:
- Q4_K -> Q4_1 is exact but for rounding to float16. A Q4_K sub-block of 32 weights is `d*sc*q - dmin*m` with one
  4-bit q per weight, and a Q4_1 block of 32 is `d'*q + m'`. So the same q are kept, with `d' = d*sc` and
  `m' = -dmin*m` (relative RMS change about 0.07 %).
- Q6_K -> Q8_0 re-quantizes at 8 bits (relative RMS change about 0.5 %).
- token_embd (only looked up, never multiplied) and every other tensor are copied as they are.
On FLORES dev 100 the service scored chrF++ 48.33 with this layout and 48.31 with the shipped file.

The derived file is written once into the model cache and verified like the GGUF (service/generation/provision.py).
"""

from __future__ import annotations

import os
from pathlib import Path

RECIPE = "q4_k->q4_1 (exact scales), q6_k->q8_0, token_embd kept; v1"  # a new recipe derives the file again
Q4_K_BYTES = 144  # bytes of one Q4_K block of 256 weights: d, dmin (f16), 12 bytes of 6-bit scales, 128 of nibbles


def wanted() -> bool:
    """Use the AMX layout: llama.cpp was built with AMX (and it runs: `newsdesk models check`), unless
    NEWSDESK_AMX_LAYOUT=off asks for the shipped file."""
    if os.environ.get("NEWSDESK_AMX_LAYOUT", "auto").lower() in ("off", "0", "no", "shipped"):
        return False
    try:
        import llama_cpp
    except ImportError:
        return False
    return b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info()


def q4_k_to_q4_1(raw):
    """Q4_K rows (uint8, last axis the row's bytes) as Q4_1 rows holding the same 4-bit values: each Q4_K sub-block
    of 32 weights becomes one Q4_1 block with d = d*sc and m = -dmin*min."""
    import numpy as np
    from gguf.quants import Q4_K

    lead = raw.shape[:-1]
    b = raw.reshape(-1, Q4_K_BYTES)
    n = b.shape[0]
    d = b[:, 0:2].copy().view(np.float16).astype(np.float32)
    dmin = b[:, 2:4].copy().view(np.float16).astype(np.float32)
    sc, mn = Q4_K.get_scale_min(b[:, 4:16].copy())  # (n, 8) 6-bit scales and mins of the 8 sub-blocks
    qs = b[:, 16:].reshape(n, 4, 32)  # sub-blocks 2k and 2k+1: low and high nibbles of the k-th 32 bytes
    nib = np.stack([qs & 0x0F, qs >> 4], axis=2).reshape(n, 8, 32)
    d1 = (d * sc.astype(np.float32)).astype(np.float16)
    m1 = (-(dmin * mn.astype(np.float32))).astype(np.float16)
    packed = nib[..., :16] | (nib[..., 16:] << np.uint8(4))  # Q4_1: weight j in the low nibble, j+16 in the high
    out = np.concatenate([d1.view(np.uint8).reshape(n, 8, 2), m1.view(np.uint8).reshape(n, 8, 2), packed], axis=-1)
    return out.reshape(*lead, -1)


def _target(tensor):
    from gguf import GGMLQuantizationType as T

    if tensor.name == "token_embd.weight":
        return tensor.tensor_type
    return {T.Q4_K: T.Q4_1, T.Q6_K: T.Q8_0}.get(tensor.tensor_type, tensor.tensor_type)


def _converted(tensor):
    from gguf import GGMLQuantizationType as T
    from gguf import quants

    to = _target(tensor)
    if to == tensor.tensor_type:
        return tensor.data
    if to == T.Q4_1:
        return q4_k_to_q4_1(tensor.data)
    return quants.quantize(quants.dequantize(tensor.data, tensor.tensor_type), to)


def derive(src: str | Path, dst: str | Path) -> int:
    """Write the AMX layout of GGUF `src` to `dst`, one tensor at a time (memory stays small); the metadata is
    copied as it is. Returns how many tensors changed format."""
    import gguf
    import numpy as np
    from gguf import quants

    r = gguf.GGUFReader(str(src))
    w = gguf.GGUFWriter(str(dst), arch=r.fields[gguf.Keys.General.ARCHITECTURE].contents(), endianess=r.endianess)
    for f in r.fields.values():
        if f.name == gguf.Keys.General.ARCHITECTURE or f.name.startswith("GGUF."):
            continue  # written by GGUFWriter itself
        kind = f.types[0]
        w.add_key_value(f.name, f.contents(), kind, sub_type=f.types[-1] if kind == gguf.GGUFValueType.ARRAY else None)
    changed = 0
    for t in r.tensors:
        to = _target(t)
        if to == t.tensor_type:
            w.add_tensor_info(t.name, t.data.shape, t.data.dtype, t.data.nbytes, t.tensor_type)
            continue
        shape = quants.quant_shape_to_byte_shape([int(x) for x in reversed(t.shape)], to)
        w.add_tensor_info(t.name, shape, np.dtype(np.uint8), int(np.prod(shape)), to)
        changed += 1
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for t in r.tensors:
        w.write_tensor_data(_converted(t))
    w.close()
    return changed
