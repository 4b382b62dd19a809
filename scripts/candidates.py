"""Is it worth writing an answer several times and keeping the most typical one? Each item of a dev set is written
N times through the real engine (the greedy answer, then N-1 drawn by epsilon sampling, seeds 1..N-1, the whole
prompt read once), and the choices among them are scored against the references: the greedy one, the most typical
(mean similarity to the others: minimum-Bayes-risk decoding), for LCSTS also the most typical among those breaking
the fewest summary rules (what `Repair.consensus` keeps), and the oracle (the best against the reference: a bound,
not a system). A benchmark that prints; `--json FILE` also writes the candidates and figures.

    flock /tmp/newsdesk-real-model.lock .venv/bin/python scripts/candidates.py lcsts [--n 8] [--temperature 1.0] [--limit 100]

LCSTS uses `summarize_short` on the text as the bench gives it (no headline, no notes); FLORES uses `translate` on
the raw sentence (the service pre-renders amounts and names first), so its figures compare choices, not the service.
"""

import argparse
import json
import queue
import time

from service.chinese import as_prose
from service.evaluation.bench import _items, load_set
from service.evaluation.evaluate import ChrF, Rouge
from service.faithfulness.repair import Repair, most_typical
from service.generation import prompts
from service.generation.backends import load
from service.generation.generate import SUMMARY_LENGTHS, Draft
from service.generation.registry import default_profile

ap = argparse.ArgumentParser()
ap.add_argument("set", choices=["lcsts", "flores"])
ap.add_argument("--n", type=int, default=8)
ap.add_argument("--temperature", type=float, default=1.0)
ap.add_argument("--limit", type=int, default=100)
ap.add_argument("--json")
a = ap.parse_args()

examples = load_set(a.set, limit=a.limit)
template = "summarize_short" if a.set == "lcsts" else "translate"
metric = Rouge("L", "char") if a.set == "lcsts" else ChrF()
backend = load(default_profile(), log=lambda *x: None)
fields = prompts.load(template).fields
reply: queue.Queue = queue.Queue()
requests = []
for i, e in enumerate(examples):
    ids = backend.encode(backend.render(template, **{k: e.source if k == "text" else "" for k in fields})[1])
    for k in range(a.n):
        r = backend.request(ids, 64 if a.set == "lcsts" else 160, caller="candidates", reply=reply,
                            prefix=len(ids) - 1, tag=(i, k), temperature=a.temperature if k else 0.0, seed=k)
        requests.append(r)
t0 = time.perf_counter()
backend.scheduler.submit(requests)
texts: dict = {}
for _ in requests:
    r = reply.get()
    if r.error:
        raise r.error
    texts[r.tag] = r.result.text.strip()
seconds = time.perf_counter() - t0
cands = [[texts[(i, k)] for k in range(a.n)] for i in range(len(examples))]
if a.set == "lcsts":
    cands = [[as_prose(c).strip() for c in cs] for cs in cands]
refs = [e.ref for e in examples]


figures = {"greedy": metric.corpus([c[0] for c in cands], refs)}
for n in sorted({2, 4, a.n}):
    if n <= a.n:
        figures[f"most typical of {n}"] = metric.corpus([most_typical(c[:n], metric.sentence) for c in cands], refs)
if a.set == "lcsts":
    kept = [Repair.consensus(Draft(item, summary_length=SUMMARY_LENGTHS["short"]), cs)
            for item, cs in zip(_items([e.source for e in examples]), cands)]
    figures[f"most typical of {a.n} among those breaking the fewest rules"] = metric.corpus(kept, refs)
figures["oracle (bound)"] = metric.corpus([max(c, key=lambda h: metric.sentence(h, r)) for c, r in zip(cands, refs)],
                                          refs)
print(f"{a.set}, first {len(examples)}, {a.n} candidates, temperature {a.temperature}, {metric.name}; "
      f"{seconds:.0f} s to write them")
for name, value in figures.items():
    print(f"  {name:<70} {value:6.2f}")
if a.json:
    with open(a.json, "w") as f:
        json.dump({"set": a.set, "n": a.n, "temperature": a.temperature, "metric": metric.name,
                   "seconds": seconds, "figures": figures, "refs": refs, "candidates": cands}, f, ensure_ascii=False)
