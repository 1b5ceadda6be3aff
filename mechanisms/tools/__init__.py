"""Build-time programs the plugin never imports: the zoo (``zoo``: corpus, training, emergence
table) and random-init models of real architectures (``random_init``)."""
