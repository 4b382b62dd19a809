"""The fronts, thin over `service.pipeline.Pipeline`: the command line (cli), the web UI (ui) and `newsdesk
archive` on Ray (archive)."""
