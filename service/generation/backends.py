"""Model runtimes: one registry, each backend owning its kind of input and its generation engine.

A backend renders its own inputs (`render(template, **values)`: chat messages from the prompt templates for a
chat model, the raw source text for a seq2seq model), tokenizes them (`encode`) and runs them through its engine,
fed by the model's one generation queue (`scheduler`, service/generation/scheduler.py). Nothing outside this module and
service/generation/llamacpp.py asks what kind of model it is: callers ask `follows_instructions`.

Runtimes (`RUNTIMES`, chosen per profile with `runtime = ...`, or with `--runtime`):
- `llama.cpp`: the GGUF file as shipped, continuous batching and shared prompt prefixes (service/generation/llamacpp.py).
  The default for the embedded model: decode is bandwidth-bound on a CPU and the Q4_K_M file is a third of bf16.
- `transformers`: Hugging Face models (hub ids, local directories, the GGUF converted to bf16), chat and seq2seq,
  on CUDA when present. Its engine runs whole batches (`model.generate`), so requests join between batches.
- `openai`: a chat model on an OpenAI-compatible server (vLLM, SGLang, llama.cpp's server, a hosted API); the
  server applies the chat template and batches; token counts are estimates (service/generation/openai_backend.py).
Greedy decoding everywhere: the same input gives the same output, which the cache relies on.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property

from service.errors import ModelError
from service.generation import prompts
from service.generation.registry import Profile
from service.generation.scheduler import Generation, Request, Scheduler

__all__ = ["Backend", "Generation", "RUNTIMES", "load", "runtime_names"]


class Backend:
    runtime = ""
    follows_instructions = True  # a chat model driven by the prompt templates (False: seq2seq, raw text in)

    def __init__(self, name: str, engine, context_tokens: int):
        self.name = name
        self.engine = engine
        self.context_tokens = context_tokens
        self.scheduler = Scheduler(engine, name)
        self._heads: dict[str, list[int]] = {}

    @property
    def cache_name(self) -> str:
        """The model as named in cache keys: outputs of different runtimes never mix."""
        return self.name if self.runtime == "transformers" else f"{self.name}@{self.runtime}"

    # --- inputs ------------------------------------------------------------------------------------------
    def template_id(self, template: str) -> str:
        return prompts.load(template).id if self.follows_instructions else "raw"

    def render(self, template: str, **values: str) -> tuple[str, object]:
        """(template id, the input this backend takes) for a prompt template filled with `values`."""
        if not self.follows_instructions:
            return "raw", values["text"]
        t = prompts.load(template)
        return t.id, t.messages(**values)

    def encode(self, rendered) -> list[int]:
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        raise NotImplementedError

    def text_ids(self, text: str) -> list[int]:
        """Plain text as token ids, no template and no special tokens (what `score` reads)."""
        raise NotImplementedError

    def prefix_tokens(self, template: str, ids: list[int]) -> int:
        """How many leading tokens of `ids` are the template's fixed head (the same for every request of this
        template): the template rendered with empty values, compared token by token."""
        if not self.follows_instructions:
            return 0
        if template not in self._heads:
            t = prompts.load(template)
            names = dict.fromkeys(t.fields, "")
            self._heads[template] = self.encode(t.messages(**names))
        return _common(self._heads[template], ids)

    # --- generation --------------------------------------------------------------------------------------
    def request(self, ids: list[int], max_new: int, *, caller=None, reply=None, prefix: int = 0, tag=None,
                interactive: bool = False, temperature: float = 0.0, seed: int = 0) -> Request:
        limit = max(1, min(max_new, self.context_tokens - len(ids)))
        return Request(ids, limit, caller=caller, reply=reply, prefix=prefix, tag=tag, interactive=interactive,
                       temperature=temperature, seed=seed)

    @property
    def samples(self) -> bool:
        """Whether this runtime draws sampled requests (`Request.temperature`); the others decode greedily only."""
        return bool(getattr(self.engine, "samples", False))

    @property
    def scores(self) -> bool:
        """Whether this runtime can say how likely a text is (`score`); an API server's cannot."""
        return bool(getattr(self.engine, "scores", False))

    def score(self, texts: Sequence[str]) -> list[float]:
        """The log-probability of each text as plain text under the model (natural log, summed over its tokens
        after the first), through the model's queue. Texts that share their first characters compare fairly: the
        OCR step (service/page/ocr.py) weighs a printed sentence against the same sentence corrected."""
        import queue

        if not self.scores:
            raise ModelError(f"the {self.runtime} runtime cannot score text.")
        reply: queue.Queue = queue.Queue()
        caller = object()
        out = [0.0] * len(texts)
        # a few short texts, asked before a page is generated: served first, as a web-UI session's paste is
        reqs = [Request(ids, 0, caller=caller, reply=reply, tag=i, score=True, interactive=True)
                for i, ids in enumerate(self.text_ids(t) for t in texts) if len(ids) > 1]
        self.scheduler.submit(reqs)
        try:
            for _ in reqs:
                r = reply.get()
                if r.error:
                    raise r.error
                if r.cancelled or r.result is None:
                    raise ModelError("scoring was cancelled (the process is stopping).")
                out[r.tag] = r.result.logprob
        finally:
            self.scheduler.cancel(caller)
        return out

    def generate(self, inputs: Sequence, max_new_tokens: Sequence[int]) -> Iterator[list[tuple[int, Generation]]]:
        """Generate for many inputs through the queue; yields (input index, Generation) pairs as they finish,
        every input exactly once. (The Generator submits its jobs itself; this is for simple callers.)"""
        import queue

        reply: queue.Queue = queue.Queue()
        caller = object()
        encoded = [self.encode(x) for x in inputs]
        head = min((_common(encoded[0], e) for e in encoded[1:]), default=0)  # shared by all: read once
        reqs = [self.request(e, m, caller=caller, reply=reply, tag=i, prefix=head)
                for i, (e, m) in enumerate(zip(encoded, max_new_tokens))]
        self.scheduler.submit(sorted(reqs, key=lambda r: -len(r.ids)))
        try:
            for _ in reqs:
                r = reply.get()
                if r.error:
                    raise r.error
                yield [(r.tag, r.result)]
        finally:
            self.scheduler.cancel(caller)


def _common(a: list[int], b: list[int]) -> int:
    """Length of the common prefix of two token lists."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


# --- transformers ------------------------------------------------------------------------------------------
class BatchEngine:
    """The transformers engine: whole batches through `model.generate`, left-padded (chat) or right-padded
    (seq2seq). Requests wait for the running batch to end; a new batch starts with whatever is then waiting."""

    scores = True  # answers scoring requests (Request.score) with a forward pass each

    def __init__(self, backend: "TransformersBackend", capacity: int = 8):
        self.backend = backend
        self.capacity = capacity
        self.pending: list[Request] = []


    def check(self, r: Request) -> None:
        if len(r.ids) >= self.backend.context_tokens:
            raise ModelError(f"a request of {len(r.ids)} tokens does not fit the model's context of "
                             f"{self.backend.context_tokens} tokens; please report it with the input.")

    def fits(self, r: Request) -> bool:
        return len(self.pending) < self.capacity

    def add(self, r: Request) -> None:
        self.pending.append(r)

    def drop(self, r: Request) -> None:
        if r in self.pending:
            self.pending.remove(r)

    def reset(self) -> None:
        self.pending.clear()

    def step(self) -> list[Request]:
        batch, self.pending = self.pending, []
        scoring = [r for r in batch if r.score]
        for r in scoring:  # a forward pass of its own each (they are a few short sentences)
            t0 = time.perf_counter()
            logprob = self.backend.logprob(r.ids)
            r.result = Generation("", 0, True, time.perf_counter() - t0, logprob=logprob)
        batch = [r for r in batch if not r.score]
        if not batch:
            return scoring
        b = self.backend
        width = max(len(r.ids) for r in batch)
        limit = max(1, min(max(r.max_new for r in batch), b.context_tokens - width))
        t0 = time.perf_counter()
        rows = b.run_batch([r.ids for r in batch], limit)
        seconds = time.perf_counter() - t0
        for r, row in zip(batch, rows):
            row = row[:r.max_new]
            cut = next((k for k, t in enumerate(row) if t in b.eos_ids), None)
            tokens = row if cut is None else row[:cut]
            tokens = [t for t in tokens if t != b.pad_id]
            text = b.tokenizer.decode(tokens, skip_special_tokens=True).strip()
            r.result = Generation(text, len(tokens), cut is not None, seconds)
        return scoring + batch


class TransformersBackend(Backend):
    runtime = "transformers"

    def __init__(self, name: str, model, tokenizer, device: str, capacity: int = 8):
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        cfg = model.config
        ctx = getattr(cfg, "max_position_embeddings", None) or getattr(tokenizer, "model_max_length", 2048)
        eos = model.generation_config.eos_token_id if model.generation_config else None
        eos = eos if eos is not None else tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos])
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else next(iter(self.eos_ids))
        super().__init__(name, BatchEngine(self, capacity), int(min(ctx, 32768)))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def text_ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def logprob(self, ids: list[int]) -> float:
        import torch

        with torch.inference_mode():
            x = torch.tensor([ids], device=self.device)
            logits = self.model(input_ids=x).logits[0, :-1].float()
            return float(torch.log_softmax(logits, -1).gather(1, x[0, 1:, None]).sum())

    def _greedy(self):
        return dict(do_sample=False, num_beams=1, temperature=None, top_p=None, top_k=None)

    def _generate(self, ids, mask, max_new_tokens):
        import torch

        with torch.inference_mode():
            return self.model.generate(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                       max_new_tokens=max_new_tokens, pad_token_id=self.pad_id,
                                       eos_token_id=sorted(self.eos_ids), **self._greedy())


class TransformersChat(TransformersBackend):
    def encode(self, messages) -> list[int]:
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def run_batch(self, batch, max_new_tokens):
        import torch

        width = max(len(r) for r in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for r, row in enumerate(batch):  # left padding: every row ends where generation starts
            ids[r, width - len(row):] = torch.tensor(row)
            mask[r, width - len(row):] = 1
        return self._generate(ids, mask, max_new_tokens)[:, width:].tolist()


class TransformersSeq2Seq(TransformersBackend):
    follows_instructions = False
    scores = False  # a translation model's probability of a source sentence means nothing here

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, truncation=False)["input_ids"]

    def run_batch(self, batch, max_new_tokens):
        import torch

        width = max(len(r) for r in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for r, row in enumerate(batch):
            ids[r, :len(row)] = torch.tensor(row)
            mask[r, :len(row)] = 1
        out = self._generate(ids, mask, max_new_tokens)
        start = self.model.config.decoder_start_token_id
        return [row[1:] if row and row[0] == start else row for row in out.tolist()]


def pick_device(device: str | None = None) -> str:
    import torch

    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_transformers(profile: Profile, device: str | None, capacity: int, log) -> Backend:
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    from service.generation import provision

    path = provision.ensure(profile, log=log)
    dev = pick_device(device)
    chat = profile.kind == "chat"
    try:
        tok = AutoTokenizer.from_pretrained(path)
        auto = AutoModelForCausalLM if chat else AutoModelForSeq2SeqLM
        model = auto.from_pretrained(path, dtype=torch.bfloat16 if chat else torch.float32)
    except OSError as e:
        raise ModelError(
            f"could not load model {profile.name} from {path}: {e}. If it is a Hugging Face id, this machine "
            "needs the hub (or a copy in the HF cache); otherwise pass a local model directory."
        ) from e
    model.to(dev).eval()
    return (TransformersChat if chat else TransformersSeq2Seq)(profile.name, model, tok, dev, capacity)


# --- llama.cpp ---------------------------------------------------------------------------------------------
class LlamaCppBackend(Backend):
    """A chat model in a GGUF file run by llama.cpp. The prompt is rendered with the chat template stored in the
    GGUF, by the same Jinja rules as transformers' `apply_chat_template`, and tokenized by llama.cpp with special
    tokens parsed: the same token ids as the transformers path (tests/test_llamacpp.py checks it)."""

    runtime = "llama.cpp"

    def __init__(self, name: str, engine):
        self.template = engine.chat_template()
        if not self.template:
            raise ModelError(f"{name}: the GGUF file has no chat template; newsdesk needs a chat (instruct) model.")
        super().__init__(name, engine, engine.context_tokens)

    @cached_property
    def _jinja(self):
        return compile_chat_template(self.template)

    def encode(self, messages) -> list[int]:
        text = self._jinja.render(messages=messages, add_generation_prompt=True)
        return self.engine.tokenize(text, special=True)

    def count_tokens(self, text: str) -> int:
        return len(self.engine.tokenize(text, special=False))

    def text_ids(self, text: str) -> list[int]:
        return self.engine.tokenize(text, special=False)


def compile_chat_template(source: str):
    """A chat template compiled the way transformers compiles it (sandboxed Jinja, trim_blocks, lstrip_blocks,
    loop controls, `raise_exception`, `tojson`)."""
    import json

    from jinja2.exceptions import TemplateError
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env.from_string(source)


# --- OpenAI-compatible servers -----------------------------------------------------------------------------
class OpenAIBackend(Backend):
    """A chat model on an OpenAI-compatible server. `encode` gives a `Prompt`: estimated tokens (for the context
    budgets and chunking; the server's tokenizer is unknown here) carrying the messages that are sent."""

    runtime = "openai"

    @property
    def cache_name(self) -> str:
        """The server's model name (and any sampling other than greedy, and any request_params): what decides the
        outputs."""
        t = self.engine.temperature
        extra = json.dumps(self.engine.request_params, sort_keys=True) if self.engine.request_params else ""
        return f"{self.engine.model}@openai" + (f"(temperature={t})" if t else "") + extra

    def encode(self, messages):
        from service.generation.openai_backend import MESSAGE_OVERHEAD, Prompt, estimate_pieces

        pieces: list[str] = []
        for m in messages:
            pieces += [f"<{m['role']}>"] * MESSAGE_OVERHEAD + estimate_pieces(m["content"])
        return Prompt(pieces + ["<assistant>"] * MESSAGE_OVERHEAD, messages)

    def count_tokens(self, text: str) -> int:
        from service.generation.openai_backend import estimate_pieces

        return len(estimate_pieces(text))

    def prefix_tokens(self, template: str, ids) -> int:
        return 0  # the server reuses shared prompt heads itself (vLLM prefix caching, llama.cpp slots)


def load_openai(profile: Profile, device: str | None, capacity: int, log) -> Backend:
    from service.generation.openai_backend import OpenAIEngine, ServerConfig, connect

    if profile.kind != "chat":
        raise ModelError(f"{profile.name} is not a chat model; the openai runtime runs chat models only.")
    cfg = ServerConfig.from_profile(profile)
    cfg.concurrency = capacity
    client, model, context = connect(cfg, log)
    engine = OpenAIEngine(client, model, capacity, context, cfg.temperature, cfg.request_params)
    if not profile.name:  # made from --base-url alone: named after the model the server turned out to serve
        profile.name = model
    return OpenAIBackend(profile.name, engine, context)


def load_llamacpp(profile: Profile, device: str | None, capacity: int, log) -> Backend:
    from service.generation import provision
    from service.generation.llamacpp import LlamaEngine

    if not profile.gguf and not str(profile.hf_id or "").endswith(".gguf"):
        raise ModelError(f"{profile.name} has no GGUF file; the llama.cpp runtime needs one. Use --runtime transformers.")
    path = provision.llama_file(profile, log=log)
    if profile.kind != "chat":
        raise ModelError(f"{profile.name} is not a chat model; the llama.cpp runtime runs chat models only.")
    engine = LlamaEngine(path, capacity=capacity)
    return LlamaCppBackend(profile.name, engine)


RUNTIMES: dict[str, Callable[[Profile, str | None, int, Callable], Backend]] = {
    "llama.cpp": load_llamacpp,
    "transformers": load_transformers,
    "openai": load_openai,
}
DEFAULT_CAPACITY = {"llama.cpp": 16, "transformers": 8, "openai": 4}


def runtime_names() -> list[str]:
    return sorted(RUNTIMES)


_LOADED: dict[tuple, Backend] = {}
_LOAD_LOCK = threading.Lock()


def shutdown(timeout: float = 120.0) -> None:
    """Stop every loaded model's generation queue and wait for its engine thread (Ctrl-C, server stop)."""
    with _LOAD_LOCK:
        backends = list(_LOADED.values())
    for b in backends:
        b.scheduler.close(timeout)


def load(profile: Profile, device: str | None = None, log=print, runtime: str | None = None,
         batch_size: int | None = None) -> Backend:
    """Load (once per process) the model a profile names with its runtime; provisions it first when needed.
    Every caller in the process shares the loaded backend and its generation queue."""
    runtime = runtime or profile.runtime
    if runtime not in RUNTIMES:
        raise ModelError(f"unknown runtime {runtime!r}; choose one of {', '.join(runtime_names())}.")
    # a server profile is also told apart by its server settings (two URLs, two models: two backends)
    key = (profile.name, runtime, device, json.dumps(profile.extra, sort_keys=True, default=str))
    with _LOAD_LOCK:
        if key not in _LOADED:
            capacity = batch_size or profile.extra.get("concurrency") or DEFAULT_CAPACITY[runtime]
            _LOADED[key] = RUNTIMES[runtime](profile, device, int(capacity), log)
        backend = _LOADED[key]
    if batch_size:
        backend.engine.capacity = min(batch_size, getattr(backend.engine, "max_capacity", batch_size))
    return backend
