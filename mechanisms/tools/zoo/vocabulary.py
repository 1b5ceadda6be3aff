"""The zoo's closed word-level vocabulary.

Every word the corpus can emit has exactly one id, so "single-token name" is true by
construction here and the same checks that guard BPE models pass trivially. Ids are stable:
changing this list changes every shipped checkpoint, so bump the recipe's ``corpus_version``.
"""

EOT = "<|endoftext|>"
PAD = "<pad>"
UNK = "<unk>"

FUNCTION_WORDS = (
    ". , When After While Then Afterwards and went to the gave handed a had long day at were "
    "working The war lasted from year deal reign ran of king count : decided give lot fun them"
).split()

NAMES = (
    "Mary John Alice Bob Tom Anna Paul Sarah Mark Lisa James Emma David Laura Peter Kate "
    "Simon Julia Adam Grace Henry Rose Oscar Clara"
).split()
PLACES = "store park school garden office station house market library beach museum farm".split()
OBJECTS = "drink ring book ball cake letter key bag hat flower gift coin".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = ("January February March April May June July August September October November December").split()
NUMBERS = [f"{n:02d}" for n in range(100)]
FILLERS = [f"w{n:03d}" for n in range(160)]

VOCAB_SIZE = 384  # padded like Pythia's embedding matrix


def words() -> list[str]:
    """All words in id order; id 0 is EOT (BOS, separator and padding, as in Pythia)."""
    out = [EOT, PAD, *FUNCTION_WORDS, *NAMES, *PLACES, *OBJECTS, *WEEKDAYS, *MONTHS, *NUMBERS, *FILLERS, UNK]
    assert len(out) == len(set(out)), "duplicate word in the zoo vocabulary"
    assert len(out) <= VOCAB_SIZE
    return out


def word_to_id() -> dict[str, int]:
    return {w: i for i, w in enumerate(words())}
