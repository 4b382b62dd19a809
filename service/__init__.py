"""newsdesk: Chinese local-newspaper pages in, per-article Chinese summaries and English translations out.

The flow, one folder per stage (docs/architecture.md):
    page (ingest, segment, ocr)  ->  generation (generate, scheduler, runtimes)  ->  faithfulness (checks,
    repair)  ->  output (outputs, render)
`pipeline.Pipeline` ties them together; the fronts (cli, ui, archive) are thin over it; evaluation holds the
metrics and benchmarks.
"""

__version__ = "0.1.0"
