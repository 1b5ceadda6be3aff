"""The run plan: the cells (model x checkpoint) a run covers, from its options and the suite
catalogue (``mechanisms.catalogue``). Nothing here imports torch."""
