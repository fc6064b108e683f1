"""Reading and writing the files a user hands us: text, JSON, CSV, output folders."""

from psr_sched.io.text import decode_text, read_text

__all__ = ["decode_text", "read_text"]
