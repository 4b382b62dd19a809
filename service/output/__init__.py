"""Outputs: the files of an issue (JSONL, Markdown, fact report), written atomically as one set (outputs), and
the UI card (render)."""
