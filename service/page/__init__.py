"""Reading the page: bytes to text (ingest), the page split into items with headline, dateline, byline and
paragraphs (segment, with people and bylines in names and heading parts in headlines), and the OCR step (ocr)."""
