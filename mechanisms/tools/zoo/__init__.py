"""The mini-Pythia zoo: a synthetic corpus, its word-level tokenizer, and the recipe that trains
GPT-NeoX models on it with Pythia-style checkpoints.

Nothing here is imported by the plugin at collection time; the zoo is consumed through the
ordinary model-loading path (``mechanisms.models.resolve``) like any other hub model.
"""
