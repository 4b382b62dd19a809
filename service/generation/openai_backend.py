"""OpenAI-compatible runtime: the model runs on a server (vLLM, SGLang, llama.cpp's server, llama-cpp-python's
server, a hosted API) and newsdesk sends it chat messages over HTTP (`POST {base_url}/chat/completions`).

Why: a newsroom with a GPU server runs a larger chat model (Qwen2.5-7B/14B/72B-Instruct) behind vLLM and wants
newsdesk's segmentation, checks, repair, UI and outputs on top of it, with no model in the newsdesk process.

- **The server applies the chat template**: requests carry the rendered messages, never token ids; the sampling is
  greedy (temperature 0) unless a profile says otherwise, so the same input gives the same output, which the
  cache relies on.
- **No local tokenizer.** The server's tokenizer is unknown here (any model can sit behind the URL), so token
  counts for chunking and context budgets are *estimates* (`estimate_pieces`): one token per CJK character, per
  digit, per punctuation mark, per run of whitespace and per four Latin letters. Real BPE vocabularies (Qwen,
  Llama, GPT) merge more than that, so the estimate is on the safe side: chunks come out somewhat shorter than
  with the embedded model, and nothing is sent that the server's context cannot hold.
- **The engine** (the scheduler's protocol, service/generation/scheduler.py) keeps up to `concurrency` requests in flight,
  each on a daemon thread (a stuck request never holds the process at exit); the server does its own batching.
- **Failures**: 429, 5xx, connection errors and timeouts are retried with exponential backoff (honouring
  Retry-After); then the request fails with a `ModelError` naming the URL. Requests that finished before are
  handed back first, so the caller caches them and a rerun resumes.
- **The API key** is read from an environment variable (`api_key_env`, default `NEWSDESK_API_KEY`) when the model
  is loaded and lives only in the HTTP client's headers: never in a profile, a record, a log line, an error
  message or the cache. `OPENAI_API_KEY` is read only when named, so a hosted-API key is never sent to a
  local server by accident.
- **The cache key** names the server's model (`<api_model>@openai`), so results of different models never mix;
  two servers of the same model share results (greedy outputs of one model are interchangeable).
"""

from __future__ import annotations

import os
import queue
import re
import threading
import time
from dataclasses import dataclass, field

from service.errors import ModelError
from service.generation.scheduler import Generation, Request

DEFAULT_KEY_ENV = "NEWSDESK_API_KEY"
DEFAULT_CONCURRENCY = 4
DEFAULT_CONTEXT = 8192  # tokens, when the server does not say (vLLM's /v1/models does: max_model_len)
MESSAGE_OVERHEAD = 4  # estimated tokens a chat template adds per message (role markers)
SERVER_KEYS = ("base_url", "api_model", "api_key_env", "concurrency", "timeout", "connect_timeout", "retries",
               "backoff", "temperature", "context_tokens", "request_params")
# what the request itself decides; a profile's request_params may not replace them
OWN_PARAMS = ("model", "messages", "max_tokens", "temperature", "stream")

_PIECE = re.compile(r"[A-Za-z]{1,4}|\s+|.", re.S)


def estimate_pieces(text: str) -> list[str]:
    """The text cut into pieces that each stand for at most about one token of a BPE vocabulary (see above)."""
    return _PIECE.findall(text)


def display_url(url: str) -> str:
    """The URL as shown in messages: credentials in it (https://user:secret@host) are dropped."""
    return re.sub(r"//[^/@]*@", "//", url)


def api_url(base_url: str) -> str:
    """`http://host:8000` and `http://host:8000/` mean the usual `/v1` root; a URL with a path is used as given
    (hosted APIs such as https://example.com/openai/v1)."""
    url = base_url.strip().rstrip("/")
    if not re.match(r"^https?://", url):
        raise ModelError(f"--base-url {display_url(base_url)!r} is not an http(s) URL; give e.g. "
                         "http://127.0.0.1:8000/v1.")
    if not re.match(r"^https?://[^/]+/.", url):
        url += "/v1"
    return url


class Prompt(list):
    """A rendered chat prompt as the rest of newsdesk sees it: a list of estimated tokens (its length is the
    estimated prompt length), carrying the messages the server gets."""

    def __init__(self, pieces: list[str], messages: list[dict]):
        super().__init__(pieces)
        self.messages = messages


@dataclass
class ServerConfig:
    base_url: str
    api_model: str | None = None
    api_key_env: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    timeout: float = 600.0  # seconds to wait for one answer (a long translation on a busy CPU server is slow)
    connect_timeout: float = 10.0
    retries: int = 4  # after the first attempt, on 429 / 5xx / connection errors / timeouts
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    temperature: float = 0.0
    context_tokens: int | None = None
    # more sampling fields sent with every request, e.g. {repeat_penalty = 1.0} for llama-cpp-python's server,
    # which applies 1.1 unless told (they go into the cache key: they change the outputs)
    request_params: dict = field(default_factory=dict)

    @classmethod
    def from_profile(cls, profile) -> "ServerConfig":
        ex = profile.extra
        if not ex.get("base_url"):
            raise ModelError(f"{profile.name or 'the model'} runs on an OpenAI-compatible server but names none: "
                             "pass --base-url URL (or set base_url in its profile).")
        kw = {k: ex[k] for k in SERVER_KEYS if ex.get(k) is not None}
        try:
            cfg = cls(**kw)
            for k in ("concurrency", "retries", "context_tokens"):
                if getattr(cfg, k) is not None:
                    setattr(cfg, k, int(getattr(cfg, k)))
            for k in ("timeout", "connect_timeout", "backoff", "temperature"):
                setattr(cfg, k, float(getattr(cfg, k)))
            if not isinstance(cfg.request_params, dict):
                raise TypeError(f"request_params must be a table, not {cfg.request_params!r}")
            clash = sorted(set(cfg.request_params) & set(OWN_PARAMS))
            if clash:
                raise ValueError(f"request_params may not set {', '.join(clash)} (newsdesk sets them)")
        except (TypeError, ValueError) as e:
            raise ModelError(f"the server settings of {profile.name or 'the model'} are malformed ({e}).") from None
        return cfg


class ServerError(ModelError):
    """The server could not be reached or refused a request (after retries where they make sense). `reason`: for
    a server that could not be reached or kept failing, what went wrong, without the advice around it."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason


class Client:
    """JSON over HTTP to one server, with retries. Thread-safe (one httpx client, its connection pool)."""

    def __init__(self, cfg: ServerConfig, key: str | None):
        import httpx

        self.cfg = cfg
        self.url = api_url(cfg.base_url)
        self.shown = display_url(self.url)
        self._key = key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(base_url=self.url, headers=headers,
                                  timeout=httpx.Timeout(cfg.timeout, connect=cfg.connect_timeout),
                                  limits=httpx.Limits(max_connections=max(cfg.concurrency, 1) + 2))
        self._httpx = httpx

    def __repr__(self) -> str:
        return f"Client({self.shown!r})"

    def _scrub(self, text: str) -> str:
        """What the server said, shortened, with the key removed should a server ever echo it."""
        text = " ".join(str(text).split())[:300]
        return text.replace(self._key, "***") if self._key else text

    def call(self, method: str, path: str, payload: dict | None = None, retries: int | None = None) -> dict:
        httpx = self._httpx
        retries = self.cfg.retries if retries is None else retries
        last = ""
        for attempt in range(retries + 1):
            wait = self.cfg.backoff * 2 ** attempt
            try:
                resp = self._http.request(method, path, json=payload)
            except httpx.TimeoutException as e:
                last = f"no answer within the timeout ({type(e).__name__})"
            except httpx.TransportError as e:
                last = f"unreachable ({type(e).__name__}: {self._scrub(e) or 'connection failed'})"
            else:
                if resp.status_code == 429 or resp.status_code >= 500:
                    last = f"HTTP {resp.status_code}: {self._scrub(resp.text)}"
                    after = resp.headers.get("retry-after", "")
                    if after.replace(".", "", 1).isdigit():
                        wait = min(max(wait, float(after)), 60.0)
                elif resp.status_code in (401, 403):
                    env = self.cfg.api_key_env or DEFAULT_KEY_ENV
                    why = (f"the API key in ${env} is not accepted" if self._key else
                           f"no API key was sent; put it in ${env} (or name another variable with --api-key-env)")
                    raise ServerError(f"the model server at {self.shown} refused the request (HTTP "
                                      f"{resp.status_code}): {why}.")
                elif resp.status_code >= 400:
                    raise ServerError(
                        f"the model server at {self.shown} refused {method} {path} (HTTP {resp.status_code}: "
                        f"{self._scrub(resp.text)}). If it says the prompt is too long, set context_tokens in the "
                        "model's profile to the server's context length.")
                else:
                    try:
                        return resp.json()
                    except ValueError:
                        raise ServerError(f"the model server at {self.shown} answered {method} {path} with something "
                                          f"that is not JSON ({self._scrub(resp.text)}); is it an OpenAI-compatible "
                                          "server?") from None
            if attempt < retries:
                time.sleep(wait)
        reason = last + (f" (tried {retries + 1} times)" if retries else "")
        raise ServerError(f"the model server at {self.shown} failed: {reason}. Results finished before this "
                          "are cached; start or fix the server (or --base-url) and run the same command again to "
                          "resume.", reason)

    def close(self) -> None:
        self._http.close()


class OpenAIEngine:
    """The scheduler's engine protocol over HTTP: each admitted request is one chat completion on a thread of its
    own; `step` hands back the requests that finished (with their result, or their error)."""

    def __init__(self, client: Client, model: str, concurrency: int, context_tokens: int, temperature: float,
                 request_params: dict | None = None):
        self.client = client
        self.request_params = dict(request_params or {})
        self.model = model
        self.capacity = concurrency
        self.max_capacity = 1024
        self.context_tokens = context_tokens
        self.temperature = temperature
        self._running: set[Request] = set()
        self._lock = threading.Lock()
        self._done: queue.Queue = queue.Queue()
        self._held: list[Request] = []  # failures, handed back one step after the successes that came with them
        self.counters = {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0, "seconds": 0.0}

    def check(self, r: Request) -> None:
        if len(r.ids) >= self.context_tokens:
            raise ModelError(f"a request of about {len(r.ids)} tokens does not fit the server's context of "
                             f"{self.context_tokens} tokens; raise context_tokens in the profile if the server "
                             "has more, or report it with the input.")

    def fits(self, r: Request) -> bool:
        with self._lock:
            return len(self._running) < self.capacity

    def add(self, r: Request) -> None:
        with self._lock:
            self._running.add(r)
        threading.Thread(target=self._complete, args=(r,), name=f"newsdesk-openai-{r.id}", daemon=True).start()

    def _complete(self, r: Request) -> None:
        payload = {**self.request_params, "model": self.model, "messages": r.ids.messages, "max_tokens": r.max_new,
                   "temperature": self.temperature, "stream": False}
        t0 = time.perf_counter()
        try:
            data = self.client.call("POST", "/chat/completions", payload)
            choice = data["choices"][0]
            text = (choice.get("message") or {}).get("content") or ""
            usage = data.get("usage") or {}
            tokens = usage.get("completion_tokens")
            tokens = int(tokens) if tokens is not None else len(estimate_pieces(text))
            seconds = time.perf_counter() - t0
            r.result = Generation(text.strip(), tokens, choice.get("finish_reason") == "stop", seconds)
            with self._lock:
                c = self.counters
                c["requests"] += 1
                c["prompt_tokens"] += int(usage.get("prompt_tokens") or 0)
                c["completion_tokens"] += tokens
                c["seconds"] += seconds
        except ModelError as e:
            r.error = e
        except (KeyError, IndexError, TypeError, ValueError) as e:
            r.error = ServerError(f"the model server at {self.client.shown} answered a chat completion in an "
                                  f"unexpected shape ({type(e).__name__}: {e}); is it an OpenAI-compatible server?")
        except Exception as e:  # anything else: still a message, never a stuck request
            r.error = ServerError(f"the request to the model server at {self.client.shown} failed "
                                  f"({type(e).__name__}: {self.client._scrub(e)}).")
        self._done.put(r)

    def step(self) -> list[Request]:
        """Wait briefly for finished requests (so cancellations and new requests are looked at between waits)."""
        got = self._held
        self._held = []
        if not got:
            try:
                got.append(self._done.get(timeout=0.2))
            except queue.Empty:
                return []
        while True:
            try:
                got.append(self._done.get_nowait())
            except queue.Empty:
                break
        with self._lock:
            mine = [r for r in got if r in self._running]  # a dropped request's late answer is ignored
            ok = [r for r in mine if r.error is None]
            failed = [r for r in mine if r.error is not None]
            if ok and failed:  # the successes first: the caller caches them before it stops on the error
                self._held = failed
                failed = []
            for r in ok + failed:
                self._running.discard(r)
        return ok + failed

    def drop(self, r: Request) -> None:
        with self._lock:
            self._running.discard(r)

    def reset(self) -> None:
        with self._lock:
            self._running.clear()
        self._held = []


def read_key(cfg: ServerConfig) -> str | None:
    """The API key from the environment; None when the default variable is unset (local servers need none)."""
    name = cfg.api_key_env or DEFAULT_KEY_ENV
    key = os.environ.get(name)
    if cfg.api_key_env and not key:
        raise ModelError(f"the environment variable {name} (named by --api-key-env / api_key_env) is not set or "
                         "empty; export the API key in it.")
    return key or None


def connect(cfg: ServerConfig, log) -> tuple[Client, str, int]:
    """Check the server before any work: it answers /models, and serves the model asked for (or exactly one,
    when none is named). Returns the client, the model name and the context length."""
    client = Client(cfg, read_key(cfg))
    try:
        data = client.call("GET", "/models", retries=min(cfg.retries, 1))
    except ServerError as e:
        client.close()
        if e.reason is None:  # refused (HTTP 4xx): the message says it all
            raise
        raise ServerError(f"the model server at {client.shown} did not answer {client.shown}/models before the run: "
                          f"{e.reason}. Is the server running, and is --base-url right?", e.reason) from None
    entries = [m for m in (data.get("data") or []) if isinstance(m, dict) and m.get("id")]
    ids = [m["id"] for m in entries]
    model = cfg.api_model
    if model is None:
        if len(ids) != 1:
            client.close()
            raise ModelError(f"the model server at {client.shown} serves {len(ids)} models "
                             f"({', '.join(ids) or 'none'}); name one with --api-model.")
        model = ids[0]
    elif model not in ids:
        client.close()
        raise ModelError(f"the model server at {client.shown} does not serve a model named {model!r}; it serves: "
                         f"{', '.join(ids) or 'none'}. Pass one of them with --api-model.")
    entry = next(m for m in entries if m["id"] == model)
    served = entry.get("max_model_len") or entry.get("context_length")
    context = cfg.context_tokens or (int(served) if served else DEFAULT_CONTEXT)
    log(f"newsdesk: model {model} on the server at {client.shown} (context {context} tokens"
        f"{'' if served or cfg.context_tokens else ', assumed'}; up to {cfg.concurrency} in flight)")
    return client, model, context
