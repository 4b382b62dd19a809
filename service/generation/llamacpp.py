"""llama.cpp runtime: the verified GGUF as shipped (no conversion), through llama-cpp-python's low-level API.

Why: on a CPU, one decode step of the 1.5B model reads its weights once; the Q4_K_M file is 1.1 GB against
3.1 GB in bf16, so llama.cpp decodes about seven times as fast as transformers, and many sequences share each
read of the weights when they are decoded in one `llama_decode` call.

`LlamaEngine` is the step engine behind the generation queue (service/generation/scheduler.py):
- **Continuous batching**: up to `capacity` sequences run at once; every step is one `llama_decode` holding one
  token of every decoding sequence plus a chunk of the prompts still being read, so a sequence that finishes
  leaves and a waiting one joins at the next step.
- **One shared (unified) KV cache** of `n_ctx` cells for all sequences, flash attention on.
  Known cost: every token's attention also walks the cells of the other sequences (masked): measured here, 8,192
  cells of other sequences slowed a 256-token prompt chunk from 89 to 58 tokens/s and a 16-sequence decode step
  from 242 to 343 ms. One KV stream per sequence (`kv_unified = false`) removes that in isolation (89 tokens/s,
  245 ms), but llama.cpp then splits every mixed step into per-sequence-equal micro-batches, and the seed page
  took 238 s instead of 197 s; so the cache stays unified.
- **Decode rows apart from prompt rows once the cache is big.** llama.cpp's CPU flash attention takes a batch of 64
  rows or more in tiles of 64 consecutive query rows, and skips a block of 64 KV cells only when it is masked for
  every row of the tile. A tile of prompt rows of one sequence skips the other sequences' cells; a tile holding the
  decode rows (one per running sequence, whose cells lie all over the cache) skips nothing, and the prompt rows
  sharing it pay for attention over the whole cache. So from SPLIT_CELLS cells in use, a step that reads prompts
  while sequences decode is two `llama_decode` calls: the decode rows (fewer than 64: attention cell by cell, masked
  cells skipped), then the prompt rows. `scripts/engine_steps.py --mixed` (16 decode rows and a 256-token chunk,
  medians of 5, alternating), two runs: one call -> two calls 2.59 -> 2.38 s and 1.87 -> 1.82 s at 1,100 cells,
  1.96 -> 1.64 s and 3.02 -> 2.66 s at 3,200, 3.22 -> 2.70 s and 3.12 -> 2.56 s at 5,600: the extra pass over the
  weights for the decode rows costs less than the attention it saves.
- **Shared prompt prefixes**: a request names how many of its leading tokens are its template's fixed part
  (system prompt and instructions). That prefix is read once into a sequence of its own and copied into every
  request with the same prefix (`llama_memory_seq_cp`: in a unified cache the cells are shared, not copied), so
  only the per-passage part is read for each request.
- **Weights read, not mapped**: the repacked Q4_K tensors are then held once, not also as mapped file pages.
- **Only the logits needed**: one row per sequence per step (the last token), argmax in place (greedy), or a
  seeded draw for a request with a temperature (`_Seq.sample`).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from service.errors import ModelError
from service.generation.scheduler import EPSILON, Generation, Request

MIN_PREFIX = 8  # shorter shared heads are not worth a sequence of their own
MAX_PREFIXES = 12  # shared prefixes kept (least recently used dropped first)
N_CTX = 16384  # KV cells shared by all running sequences (about 470 MB in f16 for the 1.5B model)
PREFILL_CHUNK = 256  # prompt tokens read per step beside the decoding sequences (keeps decode steps short)
SCORE_ROWS = 64  # rows of scoring requests per step that ask for logits (each row's logits: 0.6 MB)
FA_TILE = 64  # llama.cpp's CPU flash attention works in tiles of 64 query rows from a batch of this many rows on
SPLIT_CELLS = 1024  # KV cells in use from which a step's decode rows and prompt rows go to llama.cpp apart
FEW = 8  # a decode-only step with fewer sequences than this is a "few" step in the counters (a page's tail)
STEP_KINDS = ("prompt and decode", "decode, many sequences", "decode, few sequences")


def threads() -> int:
    """The model's threads: NEWSDESK_THREADS when set (an archive actor sharing a node), else the usable cores."""
    if os.environ.get("NEWSDESK_THREADS", "").isdigit() and int(os.environ["NEWSDESK_THREADS"]) > 0:
        return int(os.environ["NEWSDESK_THREADS"])
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def import_llama():
    try:
        import llama_cpp
    except ImportError as e:
        raise ModelError(
            "the llama.cpp runtime needs the llama-cpp-python package, which is not installed or failed to build "
            f"({e}). Run ./scripts/setup.sh (it builds it; gcc and cmake are needed), or `pip install "
            "llama-cpp-python`, or use --runtime transformers.") from e
    return llama_cpp


def _read_not_mapped(L, mp) -> None:
    """Read the weights into memory instead of mapping the file. llama.cpp repacks the Q4_K tensors into a copy
    its faster kernels read (596 MiB for the 1.5B model); with the file mapped, the pages of the originals it read
    to do so stay mapped and count in the process's RSS a second time. Read, only the tensors kept as they are
    (463 MiB) are held: peak RSS falls by about 600 MiB, outputs and speed unchanged. Older llama-cpp-python
    releases call the switch `use_mmap`, newer ones `load_mode`."""
    names = {f[0] for f in mp._fields_}
    if "load_mode" in names:
        mp.load_mode = L.LLAMA_LOAD_MODE_NONE
    elif "use_mmap" in names:
        mp.use_mmap = False


_LOG_CB = None


def _quiet(L) -> None:
    """llama.cpp logs every load to stderr; keep warnings and errors only."""
    global _LOG_CB
    if _LOG_CB is None:
        @L.llama_log_callback
        def cb(level, text, _user):  # GGML_LOG_LEVEL_WARN = 3, ERROR = 4
            if level in (3, 4) and os.environ.get("NEWSDESK_LLAMA_LOG"):
                os.write(2, text)
        _LOG_CB = cb
        L.llama_log_set(_LOG_CB, ctypes.c_void_p(0))


@dataclass(eq=False)
class _Seq:
    req: Request
    sid: int
    pos: int = 0  # prompt tokens already in the KV cache
    out: list[int] = field(default_factory=list)
    feed: int | None = None  # the sampled token to feed next step
    prefix: "_Prefix | None" = None
    row: int = -1  # logits row in the current batch
    scoring: list = field(default_factory=list)  # a scoring request's (row, next token) pairs in this batch
    logprob: float = 0.0  # ... and the sum of its tokens' log-probabilities so far
    rng: object = None  # a sampled request's random generator (seeded from Request.seed)

    def sample(self, logits) -> int:
        """Epsilon sampling (Hewitt et al. 2022): the tokens at least EPSILON likely, drawn at the request's
        temperature from a generator seeded with the request's seed (the same request draws the same text)."""
        import numpy as np

        if self.rng is None:
            self.rng = np.random.default_rng(self.req.seed)
        z = logits.astype(np.float64) / self.req.temperature
        p = np.exp(z - z.max())
        p /= p.sum()
        keep = np.flatnonzero(p >= EPSILON)
        if keep.size == 0:
            return int(p.argmax())
        q = p[keep] / p[keep].sum()
        return int(keep[self.rng.choice(keep.size, p=q)])


@dataclass(eq=False)
class _Prefix:
    ids: tuple
    sid: int
    pos: int = 0  # tokens of the prefix in the KV cache (after a decode went through)
    users: int = 0
    reading: int = 0  # tokens of it in the batch being decoded

    @property
    def ready(self) -> bool:
        return self.pos >= len(self.ids)


class LlamaEngine:
    scores = True  # answers scoring requests (Request.score): a text's log-probability, for the OCR step
    samples = True  # draws requests with a temperature (Request.temperature): a short summary's candidates

    def __init__(self, path: str | Path, *, capacity: int = 16, n_ctx: int = N_CTX, n_batch: int = 512,
                 n_threads: int | None = None):
        L = import_llama()
        self.L = L
        _quiet(L)
        streams = 2 * capacity + MAX_PREFIXES  # running + held sequences, and the shared prefixes
        most = L.llama_max_parallel_sequences()  # llama.cpp's LLAMA_MAX_SEQ: sequence ids per context
        if streams > most:
            raise ModelError(f"--batch-size {capacity} is more than the llama.cpp runtime can run: at most "
                             f"{(most - MAX_PREFIXES) // 2} sequences at once. Use a smaller --batch-size.")
        L.llama_backend_init()
        mp = L.llama_model_default_params()
        _read_not_mapped(L, mp)
        self.model = L.llama_model_load_from_file(str(path).encode(), mp)
        if not self.model:
            raise ModelError(f"llama.cpp could not load {path}: not a GGUF model it can read (damaged, or made "
                             "by a newer llama.cpp). Run `newsdesk models fetch` to verify it, or use --runtime transformers.")
        cp = L.llama_context_default_params()
        cp.n_ctx = n_ctx
        cp.n_batch = cp.n_ubatch = n_batch
        cp.n_seq_max = streams
        cp.kv_unified = True
        cp.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_ENABLED
        cp.n_threads = cp.n_threads_batch = n_threads or threads()
        cp.no_perf = True
        self.ctx = L.llama_init_from_model(self.model, cp)
        if not self.ctx:
            raise ModelError(f"llama.cpp could not make a context of {n_ctx} tokens for {path} (out of memory?). "
                             "Try a smaller --batch-size.")
        self.vocab = L.llama_model_get_vocab(self.model)
        self.mem = L.llama_get_memory(self.ctx)
        self.n_vocab = L.llama_vocab_n_tokens(self.vocab)
        self.n_ctx = L.llama_n_ctx(self.ctx)
        self.n_batch = n_batch
        self.capacity = self.max_capacity = capacity
        self.context_tokens = min(L.llama_model_n_ctx_train(self.model), self.n_ctx // 2)
        self.batch = L.llama_batch_init(n_batch, 0, 1)
        self.seqs: list[_Seq] = []
        self.held: set[Request] = set()  # running but not advanced (the scheduler serves a light caller first)
        self.prefixes: OrderedDict[tuple, _Prefix] = OrderedDict()
        self.streams = streams
        self.free_sids = list(range(streams))
        self.lock = threading.Lock()  # tokenizer calls from other threads vs decode
        # what the engine did: prompt tokens read (shared prefixes once), tokens decoded, and the time of each;
        # and the time of each kind of step: those that read a prompt chunk (decode rows riding along), and
        # decode-only steps with many or few (< FEW) sequences, where the page's tail runs
        self.counters = {"steps": 0, "prompt_read": 0, "prompt_seconds": 0.0, "decoded": 0, "decode_seconds": 0.0,
                         "shared_hits": 0, "split_steps": 0, "step_seconds": dict.fromkeys(STEP_KINDS, 0.0)}

    # --- tokens and text ----------------------------------------------------------------------------------
    def tokenize(self, text: str, special: bool = True) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 16
        buf = (self.L.llama_token * cap)()
        n = self.L.llama_tokenize(self.vocab, data, len(data), buf, cap, False, special)
        if n < 0:
            buf = (self.L.llama_token * -n)()
            n = self.L.llama_tokenize(self.vocab, data, len(data), buf, -n, False, special)
        return list(buf[:n])

    def detokenize(self, ids: list[int]) -> str:
        if not ids:
            return ""
        arr = (self.L.llama_token * len(ids))(*ids)
        cap = 8 * len(ids) + 64
        buf = ctypes.create_string_buffer(cap)
        n = self.L.llama_detokenize(self.vocab, arr, len(ids), buf, cap, True, False)
        if n < 0:
            cap = -n + 16
            buf = ctypes.create_string_buffer(cap)
            n = self.L.llama_detokenize(self.vocab, arr, len(ids), buf, cap, True, False)
        return buf.raw[:n].decode("utf-8", errors="replace")

    def is_eog(self, token: int) -> bool:
        return bool(self.L.llama_vocab_is_eog(self.vocab, token))

    def meta(self, key: str) -> str | None:
        buf = ctypes.create_string_buffer(1 << 16)
        n = self.L.llama_model_meta_val_str(self.model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8") if n >= 0 else None

    def chat_template(self) -> str | None:
        t = self.L.llama_model_chat_template(self.model, None)
        return t.decode("utf-8") if t else None

    # --- the engine protocol (service/generation/scheduler.py) ---------------------------------------------------------

    def _cells(self, r: Request, shared: bool) -> int:
        return len(r.ids) - (r.prefix if shared else 0) + r.max_new

    def check(self, r: Request) -> None:
        if r.score and not r.ids:
            raise ModelError("an empty text cannot be scored.")
        if len(r.ids) + r.max_new > self.context_tokens:
            raise ModelError(
                f"a request of {len(r.ids)} prompt tokens (+{r.max_new} to generate) does not fit the llama.cpp "
                f"context of {self.context_tokens} tokens per sequence. This is a bug in how newsdesk splits text; "
                "please report it with the input. Meanwhile --runtime transformers has a longer context.")

    def fits(self, r: Request) -> bool:
        """A free sequence slot, and room in the KV cache for the prompt and the longest answer of every running
        sequence and of this one (so a decode never runs out of cells)."""
        if len(self.seqs) - sum(s.req in self.held for s in self.seqs) >= self.capacity or not self.free_sids:
            return False
        used = sum(self._cells(s.req, s.prefix is not None) for s in self.seqs)
        used += sum(len(p.ids) for p in self.prefixes.values())
        return not self.seqs or used + self._cells(r, False) <= self.n_ctx - 64

    def add(self, r: Request) -> None:
        s = _Seq(r, self.free_sids.pop(0))
        if r.prefix >= MIN_PREFIX and r.prefix < len(r.ids):
            key = tuple(r.ids[:r.prefix])
            p = self.prefixes.get(key)
            if p is None and self._make_room_for_prefix():
                p = _Prefix(key, self.free_sids.pop(0))
                self.prefixes[key] = p
            if p is not None:
                self.prefixes.move_to_end(key)
                p.users += 1
                s.prefix = p
                if p.ready:
                    self._attach(s)
                    self.counters["shared_hits"] += 1
        self.seqs.append(s)

    def _make_room_for_prefix(self) -> bool:
        if len(self.prefixes) < MAX_PREFIXES and self.free_sids:  # sequence ids: 2 * capacity + MAX_PREFIXES
            return True
        for key, p in list(self.prefixes.items()):  # least recently used first
            if p.users == 0 and not p.reading:  # unused (a prefix whose users all left half-read too)
                self.L.llama_memory_seq_rm(self.mem, p.sid, -1, -1)
                self.free_sids.append(p.sid)
                del self.prefixes[key]
                return bool(self.free_sids)
        return False

    def _attach(self, s: _Seq) -> None:
        p = s.prefix
        self.L.llama_memory_seq_cp(self.mem, p.sid, s.sid, 0, len(p.ids))
        s.pos = len(p.ids)

    def hold(self, reqs: set[Request]) -> None:
        """Do not advance these running requests until the next hold(): their KV cells, read prompt and answer so
        far stay as they are, so holding loses nothing; they do not count against `capacity`."""
        self.held = set(reqs)

    def drop(self, r: Request) -> None:
        for s in list(self.seqs):
            if s.req is r:
                self._release(s)

    def _release(self, s: _Seq) -> None:
        self.L.llama_memory_seq_rm(self.mem, s.sid, -1, -1)
        if s.prefix is not None:
            s.prefix.users -= 1
        self.seqs.remove(s)
        self.held.discard(s.req)
        self.free_sids.append(s.sid)

    def reset(self) -> None:
        self.L.llama_memory_clear(self.mem, True)
        self.free_sids = list(range(self.streams))
        self.seqs.clear()
        self.held.clear()
        self.prefixes.clear()

    def step(self) -> list[Request]:
        import numpy as np

        L, b = self.L, self.batch
        n = 0
        budget = self.n_batch

        def put(token: int, pos: int, sid: int, logits: bool) -> None:
            nonlocal n
            b.token[n] = token
            b.pos[n] = pos
            b.n_seq_id[n] = 1
            b.seq_id[n][0] = sid
            b.logits[n] = logits
            n += 1

        live = [s for s in self.seqs if s.req not in self.held]
        for s in self.seqs:
            s.row = -1
        for s in live:  # decoding sequences first: one token each
            if s.feed is not None:
                s.row = n
                put(s.feed, len(s.req.ids) + len(s.out) - 1, s.sid, True)
                s.feed = None
        budget -= n
        chunk = max(PREFILL_CHUNK, budget // 2)
        score_rows = SCORE_ROWS
        for p in self.prefixes.values():  # shared prefixes not yet read
            if budget <= 0:
                break
            if not p.ready and p.users > 0 and not p.reading:
                take = min(len(p.ids) - p.pos, budget, chunk)
                for k in range(p.pos, p.pos + take):
                    put(p.ids[k], k, p.sid, False)
                p.reading = take  # counted as read only once the decode went through
                budget -= take
        for s in live:  # prompts being read
            if budget <= 0:
                break
            if s.prefix is not None and s.pos == 0:
                if not s.prefix.ready:
                    continue
                self._attach(s)
            todo = len(s.req.ids) - s.pos
            if todo <= 0 or s.out:
                continue
            if s.req.score:  # every row but the last asks for logits: what follows it is the text's next token
                take = min(todo, budget, chunk, score_rows)
                if take <= 0:
                    continue
                ids = s.req.ids
                for k in range(s.pos, s.pos + take):
                    follows = k + 1 < len(ids)
                    put(ids[k], k, s.sid, follows)
                    if follows:
                        s.scoring.append((n - 1, ids[k + 1]))
                s.pos += take
                budget -= take
                score_rows -= take
                continue
            take = min(todo, budget, chunk)
            for k in range(s.pos, s.pos + take):
                put(s.req.ids[k], k, s.sid, False)
            s.pos += take
            budget -= take
            if s.pos == len(s.req.ids):
                b.logits[n - 1] = True
                s.row = n - 1
        if n == 0:
            return []
        decoding = sum(1 for s in live if s.row >= 0 and s.out)  # the first rows: one token of each decoding sequence
        # a step that reads prompts while sequences decode runs as two llama_decode calls once the cache is big:
        # see the module's docstring (the decode rows would share an attention tile with the prompt rows)
        split = 0 < decoding < n and n >= FA_TILE and self._cells_used() >= SPLIT_CELLS
        ranges = [(0, decoding), (decoding, n)] if split else [(0, n)]
        picks: dict[int, int] = {}  # row -> the token chosen after it (greedy)
        t0 = time.perf_counter()
        for lo, hi in ranges:
            rc = self._decode(lo, hi)
            if rc != 0:
                break
            for s in self.seqs:
                if lo <= s.row < hi and not s.req.score:
                    logits = np.ctypeslib.as_array(L.llama_get_logits_ith(self.ctx, s.row - lo), shape=(self.n_vocab,))
                    picks[s.row] = int(logits.argmax()) if s.req.temperature <= 0 else s.sample(logits)
        dt = time.perf_counter() - t0
        c = self.counters
        c["steps"] += 1
        c["split_steps"] += split
        c["decoded"] += decoding
        c["prompt_read"] += n - decoding
        # a mixed step's time is split by token count (prompt tokens cost about as much as decoded ones)
        c["decode_seconds"] += dt * decoding / n
        c["prompt_seconds"] += dt * (n - decoding) / n
        kind = STEP_KINDS[0] if n > decoding else STEP_KINDS[1] if decoding >= FEW else STEP_KINDS[2]
        c["step_seconds"][kind] += dt
        if rc != 0:
            raise ModelError(
                f"llama_decode failed (code {rc}: {'no room in the KV cache' if rc == 1 else 'internal error'}) "
                f"with {len(self.seqs)} sequences running. Results finished before this are cached; run again to "
                "resume, with a smaller --batch-size if it happens again.")
        for p in self.prefixes.values():
            p.pos += p.reading
            p.reading = 0
        done = []
        for s in list(self.seqs):
            if s.req.score:
                self._score(s, done, ranges[-1][0])  # scoring rows are prompt rows: in the last call
                continue
            if s.row < 0:
                continue
            tok = picks[s.row]
            eog = self.is_eog(tok)
            if not eog:
                s.out.append(tok)
            if eog or len(s.out) >= s.req.max_new:
                with self.lock:
                    text = self.detokenize(s.out).strip()
                s.req.result = Generation(text, len(s.out), eog, time.perf_counter() - s.req.started)
                self._release(s)
                done.append(s.req)
            else:
                s.feed = tok
        return done

    def _cells_used(self) -> int:
        """KV cells held now (prompts read, tokens generated, shared prefixes): about how far attention reaches."""
        return (sum(s.pos + len(s.out) for s in self.seqs)
                + sum(p.pos for p in self.prefixes.values()))

    def _decode(self, lo: int, hi: int) -> int:
        """llama_decode of the batch's rows lo..hi-1 (their logits then sit at rows 0..hi-lo-1)."""
        b, L = self.batch, self.L
        if lo == 0:
            b.n_tokens = hi
            view = b
        else:
            view = L.llama_batch()
            view.n_tokens = hi - lo
            for name in ("token", "pos", "n_seq_id", "seq_id", "logits"):
                ptr = getattr(b, name)
                size = ctypes.sizeof(ptr._type_)
                setattr(view, name, ctypes.cast(ctypes.addressof(ptr.contents) + lo * size, type(ptr)))
        with self.lock:
            return L.llama_decode(self.ctx, view)

    def _score(self, s: _Seq, done: list, base: int) -> None:
        """Add the log-probabilities of a scoring request's tokens read in this step; finish it once all are read.
        `base`: the first row of the last llama_decode call (its logits rows count from there)."""
        import numpy as np

        for row, nxt in s.scoring:
            logits = np.ctypeslib.as_array(self.L.llama_get_logits_ith(self.ctx, row - base), shape=(self.n_vocab,))
            top = float(logits.max())
            s.logprob += float(logits[nxt]) - top - float(np.log(np.exp(logits - top).sum()))
        s.scoring.clear()
        if s.pos >= len(s.req.ids):
            s.req.result = Generation("", 0, True, time.perf_counter() - s.req.started, logprob=s.logprob)
            self._release(s)
            done.append(s.req)

    def close(self) -> None:
        if getattr(self, "ctx", None):
            self.L.llama_batch_free(self.batch)
            self.L.llama_free(self.ctx)
            self.L.llama_model_free(self.model)
            self.ctx = None


PROBE_PROMPT = 64  # tokens: enough that llama.cpp multiplies matrices in blocks (AMX tiles where built in), not rows


def _probe_once(path: str) -> None:
    """Load the model and answer one prompt: what `probe` runs in a child process."""
    engine = LlamaEngine(path, capacity=1, n_ctx=1024, n_batch=PROBE_PROMPT)
    ids = engine.tokenize("新闻" * PROBE_PROMPT)[:PROBE_PROMPT]
    r = Request(ids, max_new=4)
    r.started = time.perf_counter()
    engine.add(r)
    while r.result is None:
        engine.step()
    engine.close()


def probe(path: str | Path) -> None:
    """Check that this machine's llama.cpp library runs: load the model and read one prompt, in a child process.
    A library built with CPU instructions this machine cannot execute (a build copied from another CPU, or GCC 12
    dropping the tile configuration of llama.cpp's AMX kernels on Intel Xeons since Sapphire Rapids) dies with
    SIGILL on the first prompt, and would take the whole newsdesk process, and the page's work, with it."""
    code = "import sys; from service.generation.llamacpp import _probe_once; _probe_once(sys.argv[1])"
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    if r.returncode == 0:
        return
    rebuild = ("Rebuild it for this CPU: CMAKE_ARGS=\"-DCMAKE_C_FLAGS='-fno-tree-dse -fno-dse' "
               "-DCMAKE_CXX_FLAGS='-fno-tree-dse -fno-dse'\" .venv/bin/pip install --force-reinstall --no-deps "
               "--no-cache-dir llama-cpp-python (or with -mno-amx-tile -mno-amx-int8 -mno-amx-bf16 for flags, to "
               "leave AMX out), or use --runtime transformers.")
    if r.returncode == -signal.SIGILL:
        raise ModelError("the llama.cpp library stopped on an illegal CPU instruction when it read a first prompt: "
                         "it was built with instructions this machine cannot run, or miscompiled. " + rebuild)
    last = (r.stderr.strip().splitlines() or ["no message"])[-1]
    raise ModelError(f"the llama.cpp runtime failed on a first prompt (exit code {r.returncode}: {last}). "
                     + rebuild)
