"""Model runtimes: load a transformers model once and generate for many inputs in batches.

Two kinds, one interface (`encode` an input to token ids, `generate` many of them):
- `ChatBackend`: a causal chat model (Qwen2.5 and the like). Inputs are chat messages rendered with the model's
  chat template; batches are left-padded.
- `Seq2SeqBackend`: an encoder-decoder model (Marian opus-mt, mT5, ...). Inputs are the raw source text.
Batches are built from inputs sorted by length, so little compute goes to padding; the batch size is the main
speed lever on a CPU. Greedy decoding: the same input gives the same output, which the cache relies on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .errors import ModelError
from .registry import Profile


@dataclass
class Generation:
    text: str
    tokens: int  # generated tokens
    finished: bool  # stopped at end-of-sequence (False: cut off at max_new_tokens)
    seconds: float  # wall time of the batch it was in


def pick_device(device: str | None = None) -> str:
    import torch

    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


class Backend:
    kind = ""

    def __init__(self, name: str, model, tokenizer, device: str):
        self.name = name
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.lock = threading.Lock()  # one generate at a time per model (the web UI serves several users)
        cfg = model.config
        ctx = getattr(cfg, "max_position_embeddings", None) or getattr(tokenizer, "model_max_length", 2048)
        self.context_tokens = int(min(ctx, 32768))
        eos = model.generation_config.eos_token_id if model.generation_config else None
        eos = eos if eos is not None else tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos])
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else next(iter(self.eos_ids))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, item) -> list[int]:
        raise NotImplementedError

    def _run(self, batch: list[list[int]], max_new_tokens: int):
        raise NotImplementedError

    def generate(self, inputs: Sequence, max_new_tokens: Sequence[int], batch_size: int = 8
                 ) -> Iterator[list[tuple[int, Generation]]]:
        """Yield, batch by batch, (input index, Generation) pairs; every input appears exactly once."""
        encoded = [self.encode(x) for x in inputs]
        order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
        for start in range(0, len(order), max(1, batch_size)):
            idx = order[start:start + batch_size]
            width = max(len(encoded[i]) for i in idx)
            limit = max(1, min(max(max_new_tokens[i] for i in idx), self.context_tokens - width))
            t0 = time.perf_counter()
            with self.lock:
                rows = self._run([encoded[i] for i in idx], limit)
            seconds = time.perf_counter() - t0
            out = []
            for i, row in zip(idx, rows):
                cut = next((k for k, t in enumerate(row) if t in self.eos_ids), None)
                tokens = row if cut is None else row[:cut]
                tokens = [t for t in tokens if t != self.pad_id]
                text = self.tokenizer.decode(tokens, skip_special_tokens=True).strip()
                out.append((i, Generation(text, len(tokens), cut is not None, seconds)))
            yield out

    def _greedy(self):
        return dict(do_sample=False, num_beams=1, temperature=None, top_p=None, top_k=None)


class ChatBackend(Backend):
    kind = "chat"

    def encode(self, messages) -> list[int]:
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _run(self, batch, max_new_tokens):
        import torch

        width = max(len(r) for r in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for r, row in enumerate(batch):  # left padding: every row ends where generation starts
            ids[r, width - len(row):] = torch.tensor(row)
            mask[r, width - len(row):] = 1
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                      max_new_tokens=max_new_tokens, pad_token_id=self.pad_id,
                                      eos_token_id=sorted(self.eos_ids), **self._greedy())
        return out[:, width:].tolist()


class Seq2SeqBackend(Backend):
    kind = "seq2seq"

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, truncation=False)["input_ids"]

    def _run(self, batch, max_new_tokens):
        import torch

        width = max(len(r) for r in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for r, row in enumerate(batch):
            ids[r, :len(row)] = torch.tensor(row)
            mask[r, :len(row)] = 1
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                      max_new_tokens=max_new_tokens, pad_token_id=self.pad_id,
                                      eos_token_id=sorted(self.eos_ids), **self._greedy())
        start = self.model.config.decoder_start_token_id
        return [row[1:] if row and row[0] == start else row for row in out.tolist()]


_LOADED: dict[tuple, Backend] = {}
_LOAD_LOCK = threading.Lock()


def load(profile: Profile, device: str | None = None, log=print) -> Backend:
    """Load (once per process) the model a profile names; provisions it first when needed."""
    from . import provision

    key = (profile.name, device)
    with _LOAD_LOCK:
        if key in _LOADED:
            return _LOADED[key]
        import torch
        from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        path = provision.ensure(profile, log=log)
        dev = pick_device(device)
        dtype = torch.bfloat16 if profile.kind == "chat" else torch.float32
        try:
            tok = AutoTokenizer.from_pretrained(path)
            if profile.kind == "chat":
                model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
                cls = ChatBackend
            else:
                model = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=dtype)
                cls = Seq2SeqBackend
        except OSError as e:
            raise ModelError(
                f"could not load model {profile.name} from {path}: {e}. If it is a Hugging Face id, this machine "
                "needs the hub (or a copy in the HF cache); otherwise pass a local model directory."
            ) from e
        model.to(dev).eval()
        backend = cls(profile.name, model, tok, dev)
        _LOADED[key] = backend
        return backend
