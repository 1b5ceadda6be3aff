import subprocess
import sys


def test_plugin_import_loads_neither_torch_nor_transformer_lens():
    code = ("import sys, mechanisms.plugin, mechanisms.spec, mechanisms.items; "
            "heavy = [m for m in ('torch', 'transformer_lens', 'transformers') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
