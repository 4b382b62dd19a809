"""Evaluation and benchmarks: metrics (evaluate), segmentation against gold pages (segeval), tables and
reports (report), and `newsdesk bench` (bench)."""
