"""Circuits (arXiv 2407.10827, section 3): the graph, EAP/EAP-IG edge attribution, greedy
selection, patched evaluation and the faithfulness size search, on ``TransformerBridge``."""
