"""Build and save the zoo's word-level tokenizer as ``tokenizer.json``.

TransformerBridge reloads any tokenizer it is handed from its ``name_or_path``, so the zoo never
passes an in-memory tokenizer: it saves one next to every checkpoint, and models boot from disk.
"""

from pathlib import Path
from typing import Any

from .vocabulary import EOT, PAD, UNK, word_to_id


def build_tokenizer() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel(vocab=word_to_id(), unk_token=UNK))
    core.pre_tokenizer = pre_tokenizers.Whitespace()  # words, and punctuation apart: 'store,' -> 'store' ','
    core.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=EOT,
        eos_token=EOT,
        unk_token=UNK,
        pad_token=PAD,
        padding_side="right",
        model_max_length=256,
    )


def save_tokenizer(directory: Path) -> None:
    build_tokenizer().save_pretrained(str(directory))
