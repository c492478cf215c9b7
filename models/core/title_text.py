"""The words of a job title: what is cleaned before a title is encoded or matched.

Employers write titles as they please: "LABORER, TREE TAPPING", "Sr. Maint. Tech II",
"Amuse & Rec Attendants", "Lanscaping & Grounds Keeping Workers", "CDL-A Driver (Seasonal)".
`TitleCleaner` turns them into the form the alternate titles of O*NET are written in
("Tree Tapping Laborer", "Maintenance Technician", "Amusement and Recreation Attendant"):

- abbreviations spelled out (a hand-written table of general usage);
- seniority, grade and employment-terms qualifiers dropped ("Sr.", "II", "Apprentice",
  "Seasonal"): they say nothing about the occupation;
- a parenthetical that restates the title dropped, one that spells out an acronym kept;
- an inverted title ("BAKER, HEAD") put in natural order, when the part before the comma ends
  in a word that heads job titles and the part after it is not a title of its own;
- plural heads made singular;
- a word no known title uses corrected to the known word it misspells (edit distance 1, or 2
  for long words; a doubled letter written once counts half), the most frequent one on a tie.

The last three need what titles look like: the words that end known titles (heads) and the
vocabulary with its frequencies, both learnt from the known titles when the pack is built.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from models.core.text import FUNCTION_WORDS, stem

# Abbreviations common in job titles (general usage, written by hand). Keys are lower case and
# matched on whole words with or without a final period; acronyms of two letters that are also
# ordinary words ("it", "pt", "ot") are only expanded when written in capitals.
ABBREVIATIONS = {
    "acct": "Accounting", "adm": "Administrator", "bldg": "Building", "admin": "Administrator", "anlst": "Analyst",
    "asst": "Assistant", "assoc": "Associate", "atty": "Attorney",
    "capt": "Captain", "cdl": "Commercial Driver's License", "ceo": "Chief Executive Officer",
    "cfo": "Chief Financial Officer", "cio": "Chief Information Officer", "clk": "Clerk",
    "cna": "Certified Nursing Assistant", "coo": "Chief Operating Officer",
    "coord": "Coordinator", "cpa": "Certified Public Accountant", "csr": "Customer Service Representative",
    "cto": "Chief Technology Officer", "cust": "Customer", "dba": "Database Administrator", "dept": "Department",
    "dev": "Developer", "dir": "Director", "educ": "Education", "elec": "Electrical",
    "emt": "Emergency Medical Technician", "engr": "Engineer", "equip": "Equipment", "evp": "Executive Vice President",
    "exec": "Executive", "gm": "General Manager", "hlpr": "Helper", "hwy": "Highway", "govt": "Government", "hha": "Home Health Aide",
    "hr": "Human Resources", "info": "Information", "insp": "Inspector", "instr": "Instructor",
    "intl": "International", "it": "Information Technology", "lab": "Laboratory", "lpn": "Licensed Practical Nurse",
    "lvn": "Licensed Vocational Nurse", "maint": "Maintenance", "mech": "Mechanic", "med": "Medical",
    "mfg": "Manufacturing", "mgmt": "Management", "mgr": "Manager", "mktg": "Marketing", "mngr": "Manager",
    "np": "Nurse Practitioner", "oper": "Operator", "ops": "Operations", "opr": "Operator",
    "ot": "Occupational Therapist", "pct": "Patient Care Technician", "pgmr": "Programmer", "pharm": "Pharmacy",
    "prod": "Production", "prog": "Programmer", "pt": "Physical Therapist", "pta": "Physical Therapist Assistant",
    "qa": "Quality Assurance", "qc": "Quality Control", "rep": "Representative", "reps": "Representatives",
    "rn": "Registered Nurse", "rt": "Respiratory Therapist", "secy": "Secretary", "sgt": "Sergeant",
    "spec": "Specialist", "supr": "Supervisor", "supv": "Supervisor", "supvr": "Supervisor", "svc": "Service",
    "svcs": "Services", "svp": "Senior Vice President", "sys": "Systems", "tech": "Technician",
    "techs": "Technicians", "trng": "Training", "vp": "Vice President", "whse": "Warehouse", "wkr": "Worker",
}  # fmt: skip
_CAPITALS_ONLY = {"it", "pt", "ot", "rt", "np", "gm", "qa", "qc", "hr"}
# "Admin Assistant" is administrative, "System Admin" an administrator
_ADJECTIVE_BEFORE_ROLE = {"admin": "Administrative", "adm": "Administrative"}
_ROLE_WORDS = {
    "assistant",
    "asst",
    "specialist",
    "coordinator",
    "coord",
    "clerk",
    "support",
    "officer",
    "secretary",
    "aide",
}
# seniority says nothing about the occupation; "Lead" is kept (a lead is often a supervisor)
_LEVEL_WORD = re.compile(r"^(?:senior|sr|junior|jr|entry-level)$", re.IGNORECASE)
_GRADE = re.compile(r"^(?:i{1,3}|iv|v|[1-5])$", re.IGNORECASE)
_PARENTHETICAL = re.compile(r"\(([^()]*)\)")
_INITIAL_SKIP = {"and", "of", "the", "for", "in", "&"}


def expand_abbreviations(text: str) -> str:
    """'Sr. Maint. Tech' -> 'Sr Maintenance Technician' (see ABBREVIATIONS)."""
    words = text.replace("/", " / ").split()
    out = []
    for i, word in enumerate(words):
        key = word.strip(".,;:").lower()
        following = words[i + 1].strip(".,").lower() if i + 1 < len(words) else ""
        if key in _ADJECTIVE_BEFORE_ROLE and following in _ROLE_WORDS:
            out.append(_ADJECTIVE_BEFORE_ROLE[key])
        elif key in ABBREVIATIONS and (key not in _CAPITALS_ONLY or word.strip(".,;:").isupper()):
            out.append(ABBREVIATIONS[key])
        else:
            out.append(word)
    return " ".join(out).replace(" / ", "/")


def strip_level(text: str) -> str:
    """'Senior Accountant III' -> 'Accountant'; 'Engineer Level 2' -> 'Engineer'."""
    words = [w for w in text.split() if not _LEVEL_WORD.match(w.strip(".,"))]
    while len(words) > 1 and _GRADE.match(words[-1].strip(".,")):
        words.pop()
        if len(words) > 1 and words[-1].lower() in ("level", "grade"):
            words.pop()
    return " ".join(words)


def _is_acronym_of(acronym: str, phrase: str) -> bool:
    letters = [w[0] for w in re.findall(r"[A-Za-z]+", phrase) if w.lower() not in _INITIAL_SKIP]
    return acronym.replace(".", "").replace(" ", "").lower() == "".join(letters).lower()


def clean_title(title: str) -> str:
    """The form of a job title that is encoded and matched.

    Abbreviations are spelled out and seniority or grade markers dropped. A parenthetical
    remark usually restates the title ("Welding Technician (Welding Tech)", "Quality Control
    Inspector (QCI)") and is dropped; when it is the longer form ("CFO (Chief Financial
    Officer)") it replaces the title."""
    raw_remark = " ".join(m.strip() for m in _PARENTHETICAL.findall(title)).strip()
    raw_main = " ".join(_PARENTHETICAL.sub(" ", title).split())
    main = strip_level(expand_abbreviations(raw_main)) or raw_main
    if not raw_remark or _is_acronym_of(raw_remark, raw_main):
        return main or " ".join(title.split())
    remark = strip_level(expand_abbreviations(raw_remark))
    return remark if len(remark) > len(main) else (main or remark)


def title_words(text: str) -> list[str]:
    """Stemmed content words of a title or task, in order: the units of lexical coverage."""
    return [stem(w) for w in re.findall(r"[a-z0-9]+", text.casefold()) if w not in FUNCTION_WORDS and w != "except"]


# words ending in -s that are not plurals, or whose plural is themselves
_NOT_PLURAL = {
    "series", "species", "news", "glasses", "clothes", "sales", "mathematics", "physics", "economics",
    "statistics", "athletics", "logistics", "electronics", "avionics", "graphics", "aeronautics", "analytics",
    "politics", "ethics", "gas", "bus", "status", "campus", "chassis", "canvas", "lens", "arts", "works",
    "operations", "services", "systems", "relations", "resources", "products", "goods", "affairs",
    "communications", "means",
}  # fmt: skip
_ICS_PEOPLE = {"mechanics", "medics", "critics", "clerics", "paramedics"}
_IRREGULAR = {"men": "man", "women": "woman", "people": "person", "children": "child", "alumni": "alumnus"}


@lru_cache(maxsize=1 << 16)  # called for every word of every CV sentence that could end a job title
def singular(word: str) -> str:
    """English singular of a plural occupation noun ("Technologists" -> "Technologist")."""
    low = word.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low].capitalize() if word[:1].isupper() else _IRREGULAR[low]
    if low.endswith("men") and len(low) > 4:
        return word[:-3] + "man"
    if low in _NOT_PLURAL or len(low) <= 3 or not low.isalpha():
        return word
    if low.endswith("ies") and len(low) > 4:
        return word[:-3] + "y"
    if low.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if low.endswith("ics") and low not in _ICS_PEOPLE:
        return word
    if low.endswith(("ss", "us", "is")):
        return word
    if low.endswith("s"):
        return word[:-1]
    return word


# Terms of employment and training stage: not the occupation ("Cook Apprentice" is a cook). Shift
# words stay: a "Night Auditor" is a hotel desk clerk, not an auditor.
_QUALIFIER = re.compile(
    r"^(?:apprentice|trainee|journeyman|journeyperson|seasonal|temporary|temp|part-time|full-time|parttime|fulltime|"
    r"h-?2b|h-?2a)$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z][a-z'-]*[a-z]|[a-z]")


# a title's last word names a person; employers often write the work instead ("Farm Labor",
# "Kitchen Help"), which would match "Labor Relations Specialists" or "Help Desk Technicians"
_WORK_AS_WORKER = {"labor": "Laborer", "labour": "Labourer", "help": "Helper"}


def work_as_worker(text: str) -> str:
    """'Special Event Labor' -> 'Special Event Laborer'."""
    words = text.split()
    if words and words[-1].lower() in _WORK_AS_WORKER:
        words[-1] = _WORK_AS_WORKER[words[-1].lower()]
    return " ".join(words)


def drop_qualifiers(text: str) -> str:
    words = [w for w in text.split() if not _QUALIFIER.match(w.strip(".,()-"))]
    return " ".join(words) if words else text


def _edits1(word: str) -> set[str]:
    """Deletions of one character: two words within one edit share a deletion (or are one)."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _undoubled(a: str, b: str) -> bool:
    """`a` is `b` with one doubled letter written once ("buser", "busser")."""
    return len(b) == len(a) + 1 and any(b[i] == b[i - 1] and b[:i] + b[i + 1 :] == a for i in range(1, len(b)))


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps), capped."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


class TitleCleaner:
    """Cleans job titles (module docstring); `heads` and `vocabulary` come from known titles."""

    MIN_SPELL_LENGTH = 6  # shorter words are too often other words one edit away
    LONG_WORD = 9  # from this length two edits are still a misspelling

    COMMON_HEAD = 50  # a second part ending in so common a head is a title of its own: no inversion

    def __init__(self, heads: dict[str, int] | None = None, vocabulary: dict[str, int] | None = None):
        self.heads = {h.lower(): n for h, n in (heads or {}).items()}
        self.vocabulary = dict(vocabulary or {})
        self._deletions: dict[str, list[str]] = {}
        for word in self.vocabulary:
            if len(word) >= self.MIN_SPELL_LENGTH - 1:
                for d in _edits1(word) | {word}:
                    self._deletions.setdefault(d, []).append(word)

    @classmethod
    def learn(cls, titles: Iterable[str], texts: Iterable[str] = (), min_head_count: int = 3) -> TitleCleaner:
        """Heads (words ending at least `min_head_count` known titles) and word frequencies of
        the titles and of other `texts` of the field (task statements, definitions), so that a
        correct word titles happen not to use is not taken for a misspelling."""
        heads: Counter = Counter()
        words: Counter = Counter()
        for title in titles:
            tokens = _WORD.findall(title.lower())
            if tokens:
                heads[singular(tokens[-1])] += 1
                words.update(tokens)
        for text in texts:
            words.update(_WORD.findall(text.lower()))
        return cls({h: n for h, n in heads.items() if n >= min_head_count}, dict(words))

    def to_dict(self) -> dict:
        return {"heads": self.heads, "vocabulary": self.vocabulary}

    def correct(self, word: str) -> str:
        """The known word `word` misspells, or `word` itself."""
        low = word.lower()
        if not self.vocabulary or len(low) < self.MIN_SPELL_LENGTH or not low.isalpha():
            return word
        if low in self.vocabulary or singular(low) in self.vocabulary:
            return word
        limit = 2 if len(low) >= self.LONG_WORD else 1
        # a plural is corrected through its singular ("busers" -> "buser" -> "busser" + "s")
        one = singular(low)
        forms = [(low, "")] + ([(one, low[len(one) :])] if one != low and low.startswith(one) else [])
        scored = []
        for form, ending in forms:
            candidates: set[str] = set()
            for d in _edits1(form) | {form}:
                candidates.update(self._deletions.get(d, ()))
            for c in candidates:
                # a doubled letter written once is the commonest misspelling: half an edit
                distance = 0.5 if _undoubled(form, c) else _distance(form, c, limit)
                if distance <= limit:
                    # a misspelling seldom changes the first letter ("busers" is not "users")
                    scored.append(((distance, c[0] != form[0], -self.vocabulary[c], c), c + ending))
        best = min(scored)[1] if scored else None
        if best is None:
            return word
        if word.isupper():
            return best.upper()
        return best.capitalize() if word[:1].isupper() else best

    def singular_heads(self, text: str) -> str:
        """Plural heads made singular: the last word of each '/' alternative and any word whose
        singular heads known titles ("Waiters and Waitresses" -> "Waiter and Waitress")."""
        words = text.replace("/", " / ").split()
        out = []
        for i, word in enumerate(words):
            last = i + 1 == len(words) or words[i + 1] == "/"
            one = singular(word) if word.isalpha() else word
            out.append(one if one != word and (last or one.lower() in self.heads) else word)
        return " ".join(out).replace(" / ", "/")

    def _invert(self, text: str) -> str:
        """'Baker, Head' -> 'Head Baker' when the first part ends in a title head and the second does not."""
        parts = [strip_level(p.strip()) for p in text.split(",")]
        if len(parts) != 2 or not parts[0] or not parts[1] or not self.heads:
            return text
        first, second = parts[0].split(), parts[1].split()
        head_first = singular(first[-1]).lower() in self.heads
        second_is_title = self.heads.get(singular(second[-1]).lower(), 0) >= self.COMMON_HEAD
        if len(first) <= 3 and len(second) <= 4 and head_first and not second_is_title:
            return f"{parts[1]} {parts[0]}"
        return text

    def clean(self, title: str) -> str:
        """The form of a job title that is encoded and matched."""
        text = " ".join(title.replace("&", " and ").split())
        text = " ".join(self.correct(w) if w.isalpha() else w for w in text.split())
        text = clean_title(self._invert(text))
        return self.singular_heads(work_as_worker(drop_qualifiers(text))) or text
