"""The pages: layout builders and thin callbacks over the read gate (no SQL here)."""
