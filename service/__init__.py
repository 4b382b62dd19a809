"""newsdesk: Chinese local-newspaper pages in, per-article Chinese summaries and English translations out.

The flow, one module per step:
    ingest  ->  segment  ->  generate (summarize, translate)  ->  checks  ->  outputs
`pipeline.Pipeline` ties them together; `cli` (batch, models, segment) and the web UI are thin fronts over it.
"""

__version__ = "0.1.0"
