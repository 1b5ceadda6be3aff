"""The English the task generators draw from: names, places, templates, nouns and verbs.

Kept apart from the generators so that widening a task's data is a change to one list. Every
word is checked against the model's tokenizer at generation time (``tasks.Vocab.singles``);
the zoo's vocabulary covers the first entries of the IOI lists.
"""

# The first 30 are the zoo's (its corpus names them); the rest bring the list to the paper's 100
# for tokenizers that have them as single tokens (Wang et al. draw from 100 first names).
NAMES = (
    "Mary John Alice Bob Tom Anna Paul Sarah Mark Lisa James Emma David Laura Peter Kate Simon "
    "Julia Adam Grace Henry Rose Oscar Clara Michael Jessica Daniel Susan Robert Linda "
    "Aaron Alan Alex Amanda Amy Andrew Angela Anne Arthur Ben Beth Bill Brian Carl Carol Charlie "
    "Chris Claire Dan Dave Diana Donna Edward Elena Ellen Emily Eric Frank George Helen Ian Jack "
    "Jacob Jane Jason Jeff Jennifer Jerry Jim Joe Joseph Joshua Karen Kevin Kelly Kyle Leon Lucy "
    "Luke Maria Martin Matthew Max Michelle Nancy Nick Patrick Rachel Richard Ryan Sam Scott Sean "
    "Steve Thomas Tony Victoria William"
).split()
PLACES = "store park school garden office station house market library beach museum farm".split()
OBJECTS = "drink ring book ball cake letter key bag hat flower gift coin".split()
IOI_TEMPLATES = {
    "train": (
        "When {A} and {B} went to the {P}, {B} gave a {O} to",
        "After {A} and {B} went to the {P}, {B} gave a {O} to",
        "While {A} and {B} were working at the {P}, {B} handed a {O} to",
        "Then, {A} and {B} had a long day at the {P}. {B} gave a {O} to",
        "When {A} and {B} were working at the {P}, {B} handed a {O} to",
        "After {A} and {B} had a long day at the {P}, {B} gave a {O} to",
    ),
    "held_out": ("Afterwards {A} and {B} had a lot of fun at the {P}. {B} decided to give a {O} to",),
    # The paper's "mixed" set: the first 7 templates of Wang et al. (their Fig. 14), each used in
    # both name orders (7 BABA + 7 ABBA), with their places and objects.
    "paper": (
        "Then, {A} and {B} went to the {P}. {B} gave a {O} to",
        "Then, {A} and {B} had a lot of fun at the {P}. {B} gave a {O} to",
        "Then, {A} and {B} were working at the {P}. {B} decided to give a {O} to",
        "Then, {A} and {B} were thinking about going to the {P}. {B} wanted to give a {O} to",
        "Then, {A} and {B} had a long argument, and afterwards {B} said to",
        "After {A} and {B} went to the {P}, {B} gave a {O} to",
        "When {A} and {B} got a {O} at the {P}, {B} decided to give it to",
    ),
}
PAPER_PLACES = "store garden restaurant school hospital office house station".split()
PAPER_OBJECTS = "ring kiss bone basketball computer necklace drink snack".split()
IOI_FILLERS = {  # template set -> (places, objects)
    "train": (PLACES, OBJECTS),
    "held_out": (PLACES, OBJECTS),
    "paper": (PAPER_PLACES, PAPER_OBJECTS),
}

# Greater-than: what "lasted from the year XXYY to the year XX". The first three are the zoo's;
# the paper draws from about 120 such nouns; words a tokenizer does not know are dropped.
GT_NOUNS = [
    noun.replace("@", " ")
    for noun in (
        "war deal reign@of@the@king abduction accord affair agreement alliance apprenticeship armistice "
        "arrangement assault attack auction battle blockade boom boycott campaign ceasefire ceremony "
        "coalition collaboration competition conference conflict conquest contract controversy "
        "convention crisis crusade cult custom debate decline depression dispute drought dynasty "
        "economy embargo empire epidemic era evacuation exile expansion expedition experiment "
        "exploration famine feud festival flood friendship government haunting insurgency invasion "
        "journey kingdom marriage massacre migration mission monarchy movement mutiny negotiation "
        "occupation operation outbreak pact partnership period persecution pilgrimage plague pledge "
        "presidency process program project prosecution protest quest raid rebellion recession reform "
        "regime relationship renaissance republic revolt revolution riot rivalry rule scandal "
        "settlement siege strike struggle survey tenure tournament tradition treaty trial truce "
        "tyranny union uprising voyage warfare work"
    ).split()
]

FEMALE = "Mary Alice Anna Sarah Lisa Emma Laura Kate Julia Grace Rose Clara Jessica Susan Linda".split()
MALE = "John Bob Tom Paul Mark James David Peter Simon Adam Henry Oscar Michael Daniel Robert".split()
GP_PREDICATES = (
    "such a good cook",
    "a very good athlete",
    "a really great friend",
    "a really nice person",
    "such a funny person",
)

# Subject-verb agreement in the style of Marvin & Linzen (2018): the prompt ends where the verb
# goes; {S} is the subject, {A} an attractor noun of either number, {V} a transitive verb agreeing
# with {S}, {W} one agreeing with {A}, {I} an intransitive verb agreeing with {S}. The corrupted
# prompt flips the subject's number (and {V}, {I}). Names follow their ML-*.csv files; "_inanim"
# constructions take an inanimate subject (the movie / the movies), "within" ones ask for the
# verb inside the relative clause, whose subject is {S}.
SVA_CONSTRUCTIONS = {
    "simple": "The {S}",
    "sent_comp": "The {A} said the {S}",
    "vp_coord": "The {S} {I} and",
    "long_vp_coord": "The {S} {V} the {A} every single day and",
    "prep_anim": "The {S} {P} the {A}",
    "prep_inanim": "The {S} {P} the {A}",
    "subj_rel": "The {S} that {V} the {A}",
    "obj_rel_across_anim": "The {S} that the {A} {W}",
    "obj_rel_across_inanim": "The {S} that the {A} {W}",
    "obj_rel_within_anim": "The {A} that the {S}",
    "obj_rel_within_inanim": "The {A} that the {S}",
    "obj_rel_no_comp_across_anim": "The {S} the {A} {W}",
    "obj_rel_no_comp_within_anim": "The {A} the {S}",
}
SVA_INANIMATE = [
    (w, w + "s") for w in "movie book song game poem painting show play novel film picture letter".split()
]
SVA_INTRANSITIVE = [(v + "s", v) for v in "laugh smile swim sleep run dance sing cry".split()]
SVA_NOUNS = [
    (w, w + "s")
    for w in (
        "author pilot surgeon farmer manager customer officer teacher senator architect dancer minister "
        "mechanic doctor student singer lawyer painter guard soldier driver writer player worker"
    ).split()
] + [("child", "children"), ("woman", "women"), ("man", "men")]
SVA_PREPOSITIONS = ("near", "behind", "next to", "in front of", "across from", "beside")
SVA_TRANSITIVE = [(v + "s", v) for v in "like hate love admire know meet help".split()]
SVA_VERBS = [("is", "are"), ("was", "were"), ("has", "have"), ("does", "do"), ("goes", "go")] + [
    (v + "s", v)
    for v in (
        "like know say want think run laugh smile swim write play love hate need seem look make take "
        "get come live work tell feel remain stay bring help believe sing read"
    ).split()
]

ORDINALS = {
    "numbers": [str(n) for n in range(10, 100)],  # two digits: single tokens for the zoo and for BPE
    "weekdays": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    "months": (
        "January February March April May June July August September October November December"
    ).split(),
}
CYCLIC = {"weekdays", "months"}

# Successor heads (Gould et al.; the paper's get_new_successor_head_scores_over_time.py): nine
# ordinal sequences, each also with a leading space and with its first letter's case inverted.
# Cyclic ones wrap (Sunday -> Monday); only pairs whose two items are single tokens are scored.
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
)
SUCCESSOR_SEQUENCES = {
    "numbers": [str(n) for n in range(1, 201)],
    "number_words": _NUMBER_WORDS.split(),
    "ordinals": "first second third fourth fifth sixth seventh eighth ninth tenth".split(),
    "days": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    "day_abbreviations": "Mon Tue Wed Thu Fri Sat Sun".split(),
    "months": (
        "January February March April May June July August September October November December"
    ).split(),
    "month_abbreviations": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
    "letters": [chr(c) for c in range(ord("A"), ord("Z") + 1)],
    "roman_numerals": "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX XX".split(),
}
SUCCESSOR_CYCLIC = {"days", "day_abbreviations", "months", "month_abbreviations"}
