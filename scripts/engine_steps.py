"""Time single llama.cpp steps on one model file: a prompt chunk read in one `llama_decode`, a decode step of 16
sequences, and one of a single sequence; each three times. With --mixed, also a step that reads a 256-token
chunk while 16 sequences decode, as one `llama_decode` call and as two (decode rows, then prompt rows; what the
engine does from SPLIT_CELLS cells in use), alternating five times at three cache sizes. A benchmark that prints,
not a test; compare files or builds back to back on one machine.

    flock /tmp/newsdesk-real-model.lock .venv/bin/python scripts/engine_steps.py [MODEL.gguf] [--chunk 256] [--mixed]
"""

import argparse
import time

from service.generation import provision
from service.generation.llamacpp import LlamaEngine
from service.generation.registry import default_profile

ap = argparse.ArgumentParser()
ap.add_argument("model", nargs="?", help="a GGUF file (default: what the embedded model loads on this machine)")
ap.add_argument("--chunk", type=int, default=256)
ap.add_argument("--mixed", action="store_true", help="also time a prompt chunk beside 16 decoding sequences, one call vs two")
args = ap.parse_args()
path = args.model or provision.llama_file(default_profile())
e = LlamaEngine(path, n_ctx=2048, n_batch=args.chunk, capacity=16)


def step(rows: list[tuple[int, int, int, bool]], e=e) -> float:
    """rows of (token, position, sequence, logits); seconds of the llama_decode."""
    b = e.batch
    for i, (tok, pos, sid, logits) in enumerate(rows):
        b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = tok, pos, 1, logits
        b.seq_id[i][0] = sid
    b.n_tokens = len(rows)
    L, ctx = e.L, e.ctx
    t = time.perf_counter()
    rc = L.llama_decode(ctx, b)
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

if args.mixed:
    e.close()
    e = LlamaEngine(path, capacity=16)  # the engine's own cache size
    L, mem = e.L, e.mem
    for per in (20, 150, 300):  # 16 sequences of `per` prompt tokens, then 40 decoded: about 1.1k, 3.2k, 5.6k cells
        L.llama_memory_clear(mem, True)
        for s in range(16):
            step([(100 + i, i, s, False) for i in range(per)], e)
        pos = per
        for _ in range(40):
            step([(200, pos, s, True) for s in range(16)], e)
            pos += 1
        times = {"one": [], "two": []}
        sid = 30
        for _ in range(5):
            for mode in times:
                dec = [(200, pos, s, True) for s in range(16)]
                chunk = [(100 + i, i, sid, i == 255) for i in range(256)]
                pos += 1
                times[mode].append(step(dec + chunk, e) if mode == "one" else step(dec, e) + step(chunk, e))
                L.llama_memory_seq_rm(mem, sid, -1, -1)
                sid += 1
        med = {k: sorted(v)[2] * 1000 for k, v in times.items()}
        print(f"16 decode rows + 256 prompt rows, {16 * pos} cells: one call {med['one']:.0f} ms, "
              f"two calls {med['two']:.0f} ms (medians of 5, alternating)")
