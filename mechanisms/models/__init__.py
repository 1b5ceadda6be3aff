"""Models: the hub-cache layout (``hubcache``), resolving a reference to local weights
(``resolve``, with ``gguf`` and ``packaged`` conversions), booting a TransformerBridge
(``loading``) and the per-worker cache (``cache``)."""
