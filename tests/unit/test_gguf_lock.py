"""Parallel workers convert a GGUF file once: the second waits on the lock and reuses it."""

import threading

from mechanisms.models import gguf


def test_conversion_runs_once_under_the_lock(tmp_path, monkeypatch):
    monkeypatch.setenv("MECHANISMS_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "model.gguf"
    source.write_bytes(b"GGUF fake weights")
    calls = []

    def fake_convert(path, target, bars=False):
        calls.append(path)
        staging = target.with_name(target.name + ".partial")
        staging.mkdir()
        (staging / "config.json").write_text("{}")
        threading.Event().wait(0.2)
        staging.rename(target)

    monkeypatch.setattr(gguf, "_convert", fake_convert)
    results = []
    threads = [threading.Thread(target=lambda: results.append(gguf.converted_gguf(source))) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(calls) == 1 and len(set(results)) == 1 and (results[0] / "config.json").exists()
