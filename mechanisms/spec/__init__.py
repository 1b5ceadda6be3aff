"""Spec files: the YAML format (``loader``), its JSON Schema (``schema``), and the registry of
every name and rule a spec can use (``registry``). Nothing here imports torch."""
