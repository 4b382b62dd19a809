"""One generation queue per model: every caller (a batch run, each web-UI session, eval and bench) submits its
requests here, and one engine thread keeps the model's running batch full.

- **Continuous batching.** The scheduler admits a waiting request whenever the engine has room (a free sequence
  slot and enough KV cache); the engine advances every running sequence one step at a time, so a finished
  sequence leaves and a waiting one joins at the next step (llama.cpp). An engine that can only run whole
  batches (transformers `generate`) takes a new batch each time the last one is done: the same queue, coarser steps.
- **Fair between callers.** Admission goes round-robin over the callers that have requests waiting, so a
  one-article paste is not stuck behind a 40-article issue: its requests join the running batch at once.
- **Light interactive callers first.** While an interactive caller (a web-UI session: its requests say
  `interactive`) with at most `LIGHT` requests pending (a pasted article, a page's last follow-ups) shares the model
  with a heavier caller (a page, an issue), its requests are admitted first and, on an engine that
  can hold sequences (llama.cpp: `engine.hold`), the heavy caller's running sequences are held (their KV cache
  kept, nothing lost or recomputed) except the `BACKGROUND` oldest ones. On a CPU a decode step costs nearly in
  proportion to the sequences in it, so the page loses almost no throughput while the paste's steps are short:
  a card comes back in seconds, not after the page's batch of 16 has shared every step with it. Batch work
  (`newsdesk batch`, `archive`, bench) never holds anyone: an archive actor's issue in its short tail of follow-ups
  shares the batch with the other issues' jobs, which is what keeps the batch full.
- **Follow-ups first.** A caller's requests are admitted in the order it queued them (the Generator queues the
  longest possible answers first), and a follow-up (a re-translation, a term look-up, a summary's second
  attempt: `submit(first=True)`) goes ahead of its caller's waiting requests: so an article's follow-ups run
  beside the rest of the page, where they fill the batch, instead of in a tail of a few sequences at the end.
- **Streamed, cancellable.** Each finished request is handed back at once on its caller's reply queue;
  `cancel(caller)` drops that caller's waiting requests and stops its running ones, and touches no one else's.
- **Errors.** An engine failure (a crash, a context that cannot hold a request) is handed back to every caller
  whose requests were in flight or waiting, as a `ModelError` saying what to do; results already handed back
  (and cached by the caller) stay.

The engine protocol (see `service/generation/llamacpp.py` and `service/generation/backends.py`):

    engine.capacity            most sequences at once
    engine.fits(req) -> bool    whether the request can join now (slots, KV cache)
    engine.check(req)           raise ModelError if it can never run (longer than the context)
    engine.add(req)             join; its prompt is read in the next steps
    engine.step() -> [req]      advance; returns the requests that finished (req.result set)
    engine.drop(req)            stop a running request (cancelled), free what it holds
    engine.hold(reqs)           (optional) running requests not to advance until the next hold(); they keep
                                their state, and do not count against `capacity`
    engine.reset()              forget every running request (after a failure)
    engine.scores               (optional) True: it answers `Request.score` requests (a text's log-probability)
    engine.samples              (optional) True: it draws `Request.temperature` > 0 requests by epsilon sampling
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from service.errors import ModelError

EPSILON = 0.02  # a sampled request (Request.temperature > 0) never draws a token less likely than this
LIGHT = 12  # an interactive caller with at most this many requests pending is served first beside a heavier one
BACKGROUND = 1  # a heavier caller's running sequences that keep advancing meanwhile (the oldest ones)


@dataclass
class Generation:
    text: str
    tokens: int  # generated tokens
    finished: bool  # stopped at end-of-sequence (False: cut off at max_new_tokens)
    seconds: float  # wall time from joining the batch to finishing
    logprob: float | None = None  # a scoring request's answer: log-probability of its tokens after the first


_ids = itertools.count()


@dataclass(eq=False)
class Request:
    """One generation: prompt token ids, a token limit, and where the answer goes."""

    ids: list[int]
    max_new: int
    caller: object = None
    reply: queue.Queue | None = None  # receives the request itself when done (result or error set)
    prefix: int = 0  # leading prompt tokens shared with other requests of the same template (KV reuse)
    tag: object = None  # the caller's own handle (e.g. its Job)
    interactive: bool = False  # a person waits for it (a web-UI session): may be served first (see LIGHT)
    score: bool = False  # nothing to generate: read the prompt and give its log-probability (Generation.logprob)
    # 0: greedy; else drawn at this temperature among the tokens at least EPSILON likely (epsilon sampling, as
    # Freitag et al. 2023 use for consensus decoding), reproducibly from `seed` (engines that say `samples`)
    temperature: float = 0.0
    seed: int = 0
    result: Generation | None = None
    error: BaseException | None = None
    cancelled: bool = False
    started: float = 0.0
    id: int = field(default_factory=lambda: next(_ids))


class Scheduler:
    """The generation queue of one engine; `submit` from any thread, results on each request's reply queue."""

    def __init__(self, engine, name: str = "model"):
        self.engine = engine
        self.name = name
        self._cond = threading.Condition()
        self._waiting: OrderedDict[object, deque[Request]] = OrderedDict()  # caller -> its requests, in order
        self._running: dict[Request, None] = {}  # in the order they joined (a set that keeps order)
        self._held: set[Request] = set()  # running, but not advanced while a light caller's requests run
        self._cancel: set[object] = set()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.stats = {"steps": 0, "generated_tokens": 0, "prompt_tokens": 0, "requests": 0, "busy_seconds": 0.0}

    # --- callers -----------------------------------------------------------------------------------------
    def submit(self, requests: list[Request], first: bool = False) -> None:
        """Queue requests; each one comes back on its `reply` queue when done (or failed, or cancelled).
        `first`: ahead of the caller's other waiting requests (in the order given), e.g. the follow-ups of an
        article whose first round is done, so that they run beside the rest of the page instead of after it."""
        if self._closed:
            raise ModelError(f"the {self.name} generation queue is closed (the process is stopping).")
        for r in requests:
            self.engine.check(r)  # a request that can never run fails now, before anything is queued
        with self._cond:
            for r in reversed(requests) if first else requests:
                q = self._waiting.setdefault(r.caller, deque())
                if first:
                    q.appendleft(r)
                else:
                    q.append(r)
            self._start()
            self._cond.notify_all()

    def cancel(self, caller: object) -> int:
        """Drop the caller's waiting requests and stop its running ones; returns how many were affected."""
        with self._cond:
            dropped = list(self._waiting.pop(caller, ()))
            running = [r for r in self._running if r.caller == caller]
            if running:
                self._cancel.add(caller)  # the engine thread drops them between two steps
            self._cond.notify_all()
        for r in dropped:
            self._reply(r, cancelled=True)
        return len(dropped) + len(running)

    def close(self, timeout: float = 120.0) -> None:
        """Stop: drop everything waiting, stop what runs after the step in flight, and wait for the engine thread
        (so that a process interrupted with Ctrl-C never exits while the engine is inside native code)."""
        with self._cond:
            self._closed = True
            callers = set(self._waiting) | {r.caller for r in self._running}
            thread = self._thread
        for c in callers:
            self.cancel(c)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def pending(self, caller: object = None) -> int:
        with self._cond:
            if caller is None:
                return sum(len(q) for q in self._waiting.values()) + len(self._running)
            return len(self._waiting.get(caller, ())) + sum(r.caller == caller for r in self._running)

    # --- the engine thread -------------------------------------------------------------------------------
    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name=f"newsdesk-engine-{self.name}", daemon=True)
            self._thread.start()

    def _light(self) -> set:
        """The callers to serve first: interactive ones with at most LIGHT requests pending, while a heavier caller
        has work."""
        pending: dict[object, int] = {c: len(q) for c, q in self._waiting.items()}
        interactive = {c for c, q in self._waiting.items() if any(r.interactive for r in q)}
        for r in self._running:
            pending[r.caller] = pending.get(r.caller, 0) + 1
            if r.interactive:
                interactive.add(r.caller)
        if len(pending) < 2 or max(pending.values()) <= LIGHT:
            return set()
        return {c for c in interactive if pending[c] <= LIGHT}

    def _hold(self, light: set) -> None:
        """Hold the heavier callers' running sequences (all but the BACKGROUND oldest) while a light one has work."""
        hold = getattr(self.engine, "hold", None)
        if hold is None:
            return
        held: set[Request] = set()
        if light:
            heavy = [r for r in self._running if r.caller not in light]
            held = set(heavy[BACKGROUND:])
        if held != self._held:
            self._held = held
            hold(held)

    def _admit(self) -> None:
        """Round-robin over the callers (only the light ones while there are any): one request of each caller in
        turn, while the engine has room."""
        light = self._light()
        self._hold(light)
        while self._waiting and len(self._running) - len(self._held) < self.engine.capacity:
            progressed = False
            # while a light caller has work, only light callers join (the heavy ones wait, their sequences held)
            for caller in [c for c in self._waiting if c in light] if light else list(self._waiting):
                q = self._waiting[caller]
                if not self.engine.fits(q[0]):
                    if caller in light and self._held:
                        self._hold(set())  # no room even with the heavy sequences held: let them run and leave
                        return
                    continue
                r = q.popleft()
                if not q:
                    del self._waiting[caller]
                else:
                    self._waiting.move_to_end(caller)  # the next turn goes to the next caller
                r.started = time.perf_counter()
                self.engine.add(r)
                self._running[r] = None
                self.stats["requests"] += 1
                self.stats["prompt_tokens"] += len(r.ids)
                progressed = True
                break
            if not progressed:
                return

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._running:
                    if not self._cond.wait(timeout=30):
                        self._thread = None  # idle: a later submit starts a new thread
                        return
                for r in [r for r in self._running if r.caller in self._cancel or self._closed]:
                    self.engine.drop(r)
                    self._running.pop(r, None)
                    r.cancelled = True
                    self._reply(r, cancelled=True)
                self._cancel.clear()
                if self._closed:
                    self._thread = None
                    return
                self._admit()
                if not self._running:
                    continue
            t0 = time.perf_counter()
            try:
                done = self.engine.step()
            except Exception as e:  # the engine broke: every request in flight or waiting learns why
                self._fail(e)
                continue
            self.stats["steps"] += 1
            self.stats["busy_seconds"] += time.perf_counter() - t0
            with self._cond:
                for r in done:
                    self._running.pop(r, None)
                    self.stats["generated_tokens"] += r.result.tokens if r.result else 0
            for r in done:
                self._reply(r)

    def _fail(self, e: Exception) -> None:
        err = e if isinstance(e, ModelError) else ModelError(
            f"the {self.name} engine failed ({type(e).__name__}: {e}). Results finished before this are cached; "
            "run the same command again to resume. If it fails again, run with --runtime transformers or a "
            "smaller --batch-size.")
        with self._cond:
            victims = list(self._running) + [r for q in self._waiting.values() for r in q]
            self._running.clear()
            self._waiting.clear()
            self._held = set()
        try:
            self.engine.reset()
        except Exception:
            pass
        for r in victims:
            r.error = err
            self._reply(r)

    @staticmethod
    def _reply(r: Request, cancelled: bool = False) -> None:
        r.cancelled = r.cancelled or cancelled
        if r.reply is not None:
            r.reply.put(r)
