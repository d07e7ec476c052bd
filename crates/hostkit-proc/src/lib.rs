//! /proc readers and parsers: per-process CPU time, thread states, the load average explained.
