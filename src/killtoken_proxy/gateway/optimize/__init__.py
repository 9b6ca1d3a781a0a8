"""Prompt optimization: token counting, the optimizers of each mode, and the pipeline stage that runs them."""
