"""Gating a candidate model (a fine-tune) against its base: tolerances, the claim-by-claim
judgement, and stored baselines. Reads records; never measures (``measure`` does)."""
