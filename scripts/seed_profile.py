"""Run the seed page once, cold (in-memory cache), and print where the generation time went: wall time, prompt
tokens (and how many came from shared template heads), generated tokens per template, the llama.cpp engine's
counters (prompt tokens read, tokens decoded, seconds in each, and seconds per kind of step: prompt chunks with decode
rows, decode-only steps of many or of few sequences) and the fact counts. A benchmark that prints, not
a test.

    flock /tmp/newsdesk-real-model.lock .venv/bin/python scripts/seed_profile.py [--batch-size N] [--runtime R] [--model M]
"""

import argparse
import json
import time
from pathlib import Path

from service.page.ingest import read_file
from service.pipeline import Pipeline

ap = argparse.ArgumentParser()
ap.add_argument("--batch-size", type=int)
ap.add_argument("--runtime")
ap.add_argument("--model", help="profile, Hugging Face id or model file (default: the embedded model)")
ap.add_argument("page", nargs="?", default=str(Path(__file__).resolve().parent.parent / "corpus" / "000_fd4f6e000473b793.txt"))
args = ap.parse_args()
pipe = Pipeline(args.model, cache_path=None, batch_size=args.batch_size, runtime=args.runtime, log=print)
t0 = time.time()
records = pipe.process(read_file(args.page))
wall = time.time() - t0
st = pipe.generator.stats
engine = pipe.generator.backends["translate"].engine
facts = {k: sum(r["fact_counts"].get(k, 0) for r in records) for k in records[0]["fact_counts"]}
print(json.dumps({"wall_seconds": round(wall, 1), "generations": st["generated"], "prompt_tokens": st["prompt_tokens"],
                  "shared_prompt_tokens": st["shared_prompt_tokens"], "generated_tokens": st["tokens"],
                  "templates": st["templates"], "engine": getattr(engine, "counters", None), "facts": facts}, indent=2))
