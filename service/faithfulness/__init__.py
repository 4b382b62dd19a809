"""Faithfulness: the checks of every generated text against its source (checks, with numbers and
dates in facts), the glossary and the news formulas (glossary, newsstyle), and the repair follow-ups (repair)."""
