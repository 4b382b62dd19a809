"""Generation and runtimes: each article's jobs and their follow-ups (generate), the prompt templates
(prompts), the one generation queue per model (scheduler), the runtimes behind it (backends: llamacpp,
transformers, openai_backend), model profiles and weights (registry, provision), the SQLite cache (cache)."""
