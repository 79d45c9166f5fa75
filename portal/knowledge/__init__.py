"""The public knowledge base: published corrections and practices, and their search index."""
