"""Time single llama.cpp steps on one model file: a prompt chunk read in one `llama_decode`, a decode step of 16
sequences, and one of a single sequence; each three times. A benchmark that prints, not a test; compare files
or builds back to back on one machine.

    flock /tmp/newsdesk-real-model.lock .venv/bin/python scripts/engine_steps.py [MODEL.gguf] [--chunk 256]
"""

import argparse
import time

from service.generation import provision
from service.generation.llamacpp import LlamaEngine
from service.generation.registry import default_profile

ap = argparse.ArgumentParser()
ap.add_argument("model", nargs="?", help="a GGUF file (default: what the embedded model loads on this machine)")
ap.add_argument("--chunk", type=int, default=256)
args = ap.parse_args()
path = args.model or provision.llama_file(default_profile())
e = LlamaEngine(path, n_ctx=2048, n_batch=args.chunk, capacity=16)
L, b = e.L, e.batch


def step(rows: list[tuple[int, int, int, bool]]) -> float:
    """rows of (token, position, sequence, logits); seconds of the llama_decode."""
    for i, (tok, pos, sid, logits) in enumerate(rows):
        b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = tok, pos, 1, logits
        b.seq_id[i][0] = sid
    b.n_tokens = len(rows)
    t = time.perf_counter()
    rc = L.llama_decode(e.ctx, b)
    if rc != 0:
        raise SystemExit(f"llama_decode returned {rc}")
    return time.perf_counter() - t


n = args.chunk
step([(100 + i, i, 0, i == n - 1) for i in range(n)])  # warm-up
chunks = [step([(100 + i, i, sid, i == n - 1) for i in range(n)]) for sid in (1, 2, 3)]
many = [step([(200, k, 4 + s, True) for s in range(16)]) for k in range(3)]
one = [step([(200, 3 + k, 4, True)]) for k in range(3)]
print(f"{path}\nprompt chunk of {n}: " + ", ".join(f"{n / t:.0f}" for t in chunks) + " tokens/s")
print("16-sequence step: " + ", ".join(f"{t * 1000:.0f}" for t in many) + " ms")
print("1-sequence step: " + ", ".join(f"{t * 1000:.0f}" for t in one) + " ms")
